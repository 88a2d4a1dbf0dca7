#!/bin/bash
# compare.sh DOPPEL: end-to-end tests of `doppel compare` and the command
# line as a whole (help, version, usage errors, bad input).
#
# Each test runs the real binary on real files (the bundled examples, the
# seeds in $DOPPEL_SHARED/seeds, generated bad inputs) and checks exit
# codes, messages and JSON values. JSON is checked with python3 (check.py).
# Ends with "N passed, N failed"; exits non-zero when anything failed.
set -u
DOPPEL=$(readlink -f "${1:?usage: compare.sh path/to/doppel}")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
SHARED=${DOPPEL_SHARED:-$root/../shared}
SEED_A=$SHARED/seeds/000_150493159232f54a.txt
SEED_B=$SHARED/seeds/001_64c48dc445758d8a.txt
EX_A=$root/examples/harbour-a.txt
EX_B=$root/examples/harbour-b.txt
CHECK="python3 $here/check.py"
tmp=$(mktemp -d /tmp/doppel-cli.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

. "$here/common.bash"

# ---------------------------------------------------------------- help
t cli_help_lists_commands
run --help
expect_exit 0 && expect_out "compare" && ok

t cli_version_matches_build
run --version
want=$(sed -n "s/^  version : '\(.*\)',/\1/p" "$root/meson.build")
expect_exit 0 && { [ "$(cat "$tmp/out")" = "doppel $want" ] && ok || fail "got '$(cat "$tmp/out")', want 'doppel $want'"; }

t cli_compare_help_documents_every_option
run compare --help
if expect_exit 0; then
    missing=""
    for o in --json --min-words --max-gap --shingle --invalid-utf8 --language --max-bytes --color; do
        grep -qF -- "$o" "$tmp/out" || missing="$missing $o"
    done
    [ -z "$missing" ] && ok || fail "help lacks:$missing"
fi

t cli_usage_errors_exit_2
bad=""
run; [ "$(rc)" = 2 ] || bad="$bad noargs"
run frobnicate; [ "$(rc)" = 2 ] || bad="$bad unknown-cmd"
run compare "$EX_A"; [ "$(rc)" = 2 ] || bad="$bad one-file"
run compare --min-words=abc "$EX_A" "$EX_B"; [ "$(rc)" = 2 ] || bad="$bad min-words"
run compare --shingle 0 "$EX_A" "$EX_B"; [ "$(rc)" = 2 ] || bad="$bad shingle0"
run compare --invalid-utf8=maybe "$EX_A" "$EX_B"; [ "$(rc)" = 2 ] || bad="$bad utf8mode"
run compare --color=sometimes "$EX_A" "$EX_B"; [ "$(rc)" = 2 ] || bad="$bad color"
run compare - - ; [ "$(rc)" = 2 ] || bad="$bad two-stdin"
[ -z "$bad" ] && ok || fail "not exit 2:$bad"

t cli_unknown_language_is_usage_error
run compare --language klingon "$EX_A" "$EX_B"
# names the option, not an input file, and lists the languages there are
expect_exit 2 && expect_err "doppel compare: unknown language 'klingon' for --language" &&
    expect_err "english" && expect_err "french" && expect_no_err "$EX_A" && ok

# ------------------------------------------------------------ examples
t cli_example_report_shows_quote_and_additions
# The shared quote is a passage; the ferry sentence (only in A) and the
# wind-speed sentence (only in B) are listed as what each side adds; no
# colour escapes when stdout is not a terminal.
run compare "$EX_A" "$EX_B"
if expect_exit 0 && expect_out "We will not put another boat at risk" \
    && expect_out "The ferry to Dunmore Island" && expect_out "110 km/h"; then
    grep -q $'\033\\[' "$tmp/out" && fail "colour codes in piped output" || ok
fi

t cli_example_json_is_valid_and_offsets_hold
run compare --json "$EX_A" "$EX_B"
expect_exit 0 && $CHECK example "$tmp/out" "$EX_A" "$EX_B" >"$tmp/chk" 2>&1 && ok || fail "$(cat "$tmp/chk")"

t cli_color_always_uses_ansi
run compare --color=always "$EX_A" "$EX_B"
expect_exit 0 && { grep -q $'\033\[' "$tmp/out" && ok || fail "no ANSI codes with --color=always"; }

t cli_no_color_env_wins_over_auto
NO_COLOR=1 "$DOPPEL" compare "$EX_A" "$EX_B" >"$tmp/out" 2>&1
grep -q $'\033\[' "$tmp/out" && fail "ANSI codes despite NO_COLOR" || ok

t cli_stdin_input
"$DOPPEL" compare --json - "$EX_B" <"$EX_A" >"$tmp/out" 2>"$tmp/err"
r=$?
"$DOPPEL" compare --json "$EX_A" "$EX_B" >"$tmp/out2" 2>/dev/null
if [ $r = 0 ] && python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); sys.exit(0 if a["passages"]==b["passages"] and a["scores"]==b["scores"] and a["a"]["path"]=="-" else 1)' "$tmp/out" "$tmp/out2"; then ok; else fail "stdin result differs from file result (exit $r)"; fi

# --------------------------------------------------------------- seeds
t cli_seeds_acceptance
if [ -f "$SEED_A" ] && [ -f "$SEED_B" ]; then
    run compare --json "$SEED_A" "$SEED_B"
    expect_exit 0 && $CHECK seeds "$tmp/out" "$SEED_A" "$SEED_B" >"$tmp/chk" 2>&1 && ok || fail "$(cat "$tmp/chk")"
else
    fail "seeds not found under $SHARED/seeds"
fi

t cli_seeds_same_story_beats_unrelated_article
reuters=$(ls "$SHARED"/data/reuters21578/*.jsonl 2>/dev/null | head -n 1)
if [ -n "$reuters" ]; then
    # An unrelated news article: a long Reuters story on another subject.
    python3 - "$reuters" "$tmp/unrelated.txt" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    if "grain" in d.get("topics", []) and len(d["text"].split()) > 300:
        open(sys.argv[2], "w").write(d["text"])
        break
PY
    run compare --json "$SEED_A" "$SEED_B"; cp "$tmp/out" "$tmp/ab.json"
    run compare --json "$SEED_A" "$tmp/unrelated.txt"; cp "$tmp/out" "$tmp/au.json"
    run compare --json "$SEED_B" "$tmp/unrelated.txt"; cp "$tmp/out" "$tmp/bu.json"
    $CHECK story-order "$tmp/ab.json" "$tmp/au.json" "$tmp/bu.json" >"$tmp/chk" 2>&1 && ok || fail "$(cat "$tmp/chk")"
else
    fail "no Reuters data under $SHARED/data/reuters21578"
fi

# ----------------------------------------------------------- bad input
t cli_missing_file_exit_3_names_it
run compare "$tmp/nope.txt" "$EX_B"
expect_exit 3 && expect_err "$tmp/nope.txt" && expect_err "No such file" && ok

t cli_directory_exit_3
run compare "$tmp" "$EX_B"
expect_exit 3 && expect_err "$tmp:" && expect_err "directory" && ok

t cli_unreadable_file_exit_3
# /proc/self/mem opens but cannot be read from offset 0 (EIO), even as root.
run compare /proc/self/mem "$EX_B"
expect_exit 3 && expect_err "/proc/self/mem" && ok

t cli_permission_denied_exit_3
if [ "$(id -u)" != 0 ]; then
    cp "$EX_A" "$tmp/locked.txt"; chmod 000 "$tmp/locked.txt"
    run compare "$tmp/locked.txt" "$EX_B"
    expect_exit 3 && expect_err "locked.txt" && expect_err "ermission" && ok
else
    # Root reads any file; check the status mapping through a FIFO-free
    # route instead: a path under a regular file (ENOTDIR) is "no such file".
    run compare "$EX_A/inner" "$EX_B"
    expect_exit 3 && expect_err "$EX_A/inner" && ok
fi

t cli_empty_file_exit_4
: >"$tmp/empty.txt"
run compare "$tmp/empty.txt" "$EX_B"
expect_exit 4 && expect_err "empty.txt" && expect_err "empty" && ok

t cli_wordless_file_exit_4
printf '... --- !!! ??? \n\n * * *\n' >"$tmp/punct.txt"
run compare "$tmp/punct.txt" "$EX_B"
expect_exit 4 && expect_err "punct.txt" && expect_err "no words" && ok

t cli_binary_file_exit_4_with_offset
printf 'ELF header\000\001\002 then more' >"$tmp/bin.dat"
run compare "$tmp/bin.dat" "$EX_B"
expect_exit 4 && expect_err "doppel compare: $tmp/bin.dat: " && expect_err_re "byte (offset )?10\b" && ok

t cli_invalid_utf8_rejected_with_offset
printf 'Good text here, then a bad byte \377 and more words.' >"$tmp/bad.txt"
run compare "$tmp/bad.txt" "$EX_B"
expect_exit 4 && expect_err "doppel compare: $tmp/bad.txt: " && expect_err_re "byte (offset )?32\b" &&
    expect_err "use --invalid-utf8 replace" && expect_no_err "$tmp/bad.txt: $tmp/bad.txt" && ok

t cli_invalid_utf8_replaced_when_asked
# Two invalid runs: C0 C0 (adjacent invalid bytes read as one U+FFFD) and
# a UTF-16 surrogate encoded in UTF-8.
cat "$EX_A" >"$tmp/bad2.txt"; printf 'Trailing \300\300 junk and \355\240\200 a surrogate.\n' >>"$tmp/bad2.txt"
run compare --invalid-utf8=replace --json "$tmp/bad2.txt" "$EX_A"
expect_exit 0 && expect_err "replaced 2 invalid UTF-8 sequences" \
    && $CHECK offsets "$tmp/out" "$tmp/bad2.txt" "$EX_A" >"$tmp/chk" 2>&1 && ok || { [ "$(rc)" = 0 ] && fail "$(cat "$tmp/chk")"; }

t cli_no_sentence_punctuation
tr -d '.!?' <"$EX_A" | tr '\n' ' ' >"$tmp/nopunct.txt"
run compare --json "$tmp/nopunct.txt" "$EX_A"
expect_exit 0 && $CHECK offsets "$tmp/out" "$tmp/nopunct.txt" "$EX_A" >"$tmp/chk" 2>&1 && ok || { [ "$(rc)" = 0 ] && fail "$(cat "$tmp/chk")"; }

t cli_multibyte_curly_quotes_crlf_offsets
python3 - "$EX_A" "$EX_B" "$tmp/crlf-a.txt" "$tmp/crlf-b.txt" <<'PY'
import sys
a = open(sys.argv[1], encoding="utf-8").read()
b = open(sys.argv[2], encoding="utf-8").read()
# Multi-byte names, accents in decomposed form, CRLF line ends.
extra = "Zoë Brontë-Łukasiewicz said “the café’s crew did everything right” — twice.\n"
a = (a + extra).replace("Ines", "Inés").replace("\n", "\r\n")
b = (extra.replace("ë", "e\u0308") + b).replace("Ines", "Inés")
open(sys.argv[3], "w", encoding="utf-8", newline="").write(a)
open(sys.argv[4], "w", encoding="utf-8", newline="").write(b)
PY
run compare --json "$tmp/crlf-a.txt" "$tmp/crlf-b.txt"
expect_exit 0 && $CHECK offsets "$tmp/out" "$tmp/crlf-a.txt" "$tmp/crlf-b.txt" --min-passages 2 >"$tmp/chk" 2>&1 && ok || { [ "$(rc)" = 0 ] && fail "$(cat "$tmp/chk")"; }

t cli_file_over_max_bytes_exit_3
run compare --max-bytes 100 "$EX_A" "$EX_B"
expect_exit 3 && expect_err "harbour-a.txt" && expect_err "limit" && ok

t cli_50mb_single_line
# 50 MB on one line, no sentence punctuation, with example A planted in the
# middle: the run must finish and find the planted text.
python3 - "$EX_A" "$tmp/huge.txt" <<'PY'
import random, sys
random.seed(7)
words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf",
         "hotel", "india", "juliet", "kilo", "lima", "mike", "november"]
planted = " ".join(open(sys.argv[1], encoding="utf-8").read().split())
out = open(sys.argv[2], "w")
half = 25 * 1000 * 1000
n = 0
while n < half:
    chunk = " ".join(random.choice(words) + str(random.randrange(1000)) for _ in range(10000)) + " "
    out.write(chunk); n += len(chunk)
out.write(planted + " ")
n = 0
while n < half:
    chunk = " ".join(random.choice(words) + str(random.randrange(1000)) for _ in range(10000)) + " "
    out.write(chunk); n += len(chunk)
PY
if [ -z "${DOPPEL_UNDER_ASAN:-}" ] || true; then
    run compare --json "$tmp/huge.txt" "$EX_A"
    expect_exit 0 && $CHECK huge "$tmp/out" "$tmp/huge.txt" "$EX_A" >"$tmp/chk" 2>&1 && ok || { [ "$(rc)" = 0 ] && fail "$(cat "$tmp/chk")"; }
fi
rm -f "$tmp/huge.txt"

# -------------------------------------------------------------- leaks
t cli_valgrind_no_leaks
if [ -n "${DOPPEL_UNDER_ASAN:-}" ]; then
    ok # LeakSanitizer covers this build; valgrind runs on the plain one
elif command -v valgrind >/dev/null; then
    valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible \
        --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
        "$DOPPEL" compare --json "$SEED_A" "$SEED_B" >"$tmp/out" 2>"$tmp/err"
    r=$?
    valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect,possible \
        --error-exitcode=99 "$DOPPEL" compare "$tmp/nope.txt" "$EX_B" >/dev/null 2>>"$tmp/err"
    r2=$?
    if [ $r = 0 ] && [ $r2 = 3 ]; then ok; else fail "valgrind exit $r/$r2: $(head -c 600 "$tmp/err")"; fi
else
    fail "valgrind not installed"
fi

finish

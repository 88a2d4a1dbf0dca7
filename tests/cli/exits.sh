#!/bin/bash
# exits.sh DOPPEL: the exit-code table and the message format, through the
# real binary, for every command.
#
# Provokes every exit code of the table (docs/cli.md, doppel(1)) -
#   0 ok, 1 no such id, 2 usage, 3 cannot read or write, 4 not usable
#   (bad text, bad record, damaged index), 5 internal (out of memory) -
# from each command where it can happen, checks that one status gives one
# code whatever the command (a damaged index is 4 from index and serve
# alike), and that messages read "doppel CMD: PATH:LINE: what" or
# "doppel CMD: PATH: what", with no location said twice, usage errors in a
# few lines, and the remedies the user needs.
# Ends with "N passed, N failed"; exits non-zero when anything failed.
set -u
DOPPEL=$(readlink -f "${1:?usage: exits.sh path/to/doppel}")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
EX_A=$root/examples/harbour-a.txt
EX_B=$root/examples/harbour-b.txt
tmp=$(mktemp -d /tmp/doppel-exits.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

. "$here/common.bash"

# code N CMD...: run it and expect exit N (the test's name says why).
code() {
    local want=$1
    shift
    run "$@"
    expect_exit "$want"
}

# A small corpus and a small index of it.
python3 - "$tmp" <<'EOF'
import json, sys
tmp = sys.argv[1]
story = ("The central bank said on Tuesday it would keep its main lending "
         "rate unchanged at 7.5 pct after a meeting of its policy board, "
         "citing steady inflation and a recovery in exports.")
other = ("Wheat farmers in the northern plains planted more acres this "
         "spring than at any time in the last decade, the agriculture "
         "department said in a report that surprised traders.")
with open(tmp + "/c.jsonl", "w") as f:
    f.write(json.dumps({"id": "a", "text": story}) + "\n")
    f.write(json.dumps({"id": "b", "text": other}) + "\n")
    f.write(json.dumps({"id": "c", "text": story + " Traders agreed."}) + "\n")
with open(tmp + "/bad.jsonl", "w") as f:
    f.write(json.dumps({"id": "a", "text": story}) + "\n")
    f.write('{"id": "broken", "text": \n')
    f.write(json.dumps({"id": "b", "text": other}) + "\n")
EOF
printf 'Good text here, then a bad byte \377 and more words.\n' >"$tmp/latin1.txt"
printf 'ELF\000\001\002 binary' >"$tmp/bin.dat"
: >"$tmp/empty.txt"
mkdir "$tmp/notindex"
head -c 65536 /dev/urandom >"$tmp/notindex/data.mdb"
"$DOPPEL" index add "$tmp/ix" -q "$tmp/c.jsonl" || echo "setup: index add failed"

# ------------------------------------------------------------------ 0
t exit_0_every_command
bad=""
code 0 compare "$EX_A" "$EX_B" >/dev/null || bad="$bad compare"
code 0 dedup -q "$tmp/c.jsonl" || bad="$bad dedup"
code 0 index create "$tmp/ix0" -q || bad="$bad index-create"
code 0 index get "$tmp/ix" a || bad="$bad index-get"
code 0 index check "$tmp/ix" || bad="$bad index-check"
[ -z "$bad" ] && ok || fail "not 0:$bad"

t exit_0_serve_stopped_by_sigterm
"$DOPPEL" serve --port 0 --no-log "$tmp/ix" 2>"$tmp/serve.err" &
pid=$!
for _ in $(seq 600); do grep -q listening "$tmp/serve.err" && break; sleep 0.1; done
kill -TERM $pid
wait $pid
r=$?
[ $r = 0 ] && ok || fail "serve exit $r: $(head -c 300 "$tmp/serve.err")"

# ------------------------------------------------------------------ 1
t exit_1_no_such_id
bad=""
code 1 index get "$tmp/ix" nosuch || bad="$bad get"
expect_err "doppel index get: $tmp/ix: " >/dev/null || bad="$bad get-msg"
code 1 index remove "$tmp/ix0" nosuch || bad="$bad remove"
code 1 index query "$tmp/ix" --id nosuch || bad="$bad query-id"
code 1 dedup -q --explain a nosuch "$tmp/c.jsonl" || bad="$bad dedup-explain"
[ -z "$bad" ] && ok || fail "not 1:$bad"

# ------------------------------------------------------------------ 2
t exit_2_usage
bad=""
code 2 || bad="$bad no-command"
code 2 frobnicate || bad="$bad unknown-command"
code 2 compare "$EX_A" || bad="$bad compare-one-input"
code 2 compare --frobnicate "$EX_A" "$EX_B" || bad="$bad compare-option"
code 2 compare --min-words x "$EX_A" "$EX_B" || bad="$bad compare-value"
code 2 compare --language klingon "$EX_A" "$EX_B" || bad="$bad language"
code 2 dedup || bad="$bad dedup-no-input"
code 2 dedup --threshold 2 "$tmp/c.jsonl" || bad="$bad dedup-threshold"
code 2 index || bad="$bad index-no-command"
code 2 index frobnicate "$tmp/ix" || bad="$bad index-unknown-command"
code 2 index create "$tmp/ix" || bad="$bad index-create-existing"
code 2 index add "$tmp/ix" --shingle 4 "$tmp/c.jsonl" || bad="$bad index-mismatch"
code 2 serve || bad="$bad serve-no-db"
code 2 serve --port 99999 "$tmp/ix" || bad="$bad serve-port"
[ -z "$bad" ] && ok || fail "not 2:$bad"

t usage_errors_are_one_line_plus_a_pointer_to_help
bad=""
for cmd in "compare $EX_A" "dedup" "serve" "index" "index get $tmp/ix" "stories" "reuse" "idf build"; do
    # shellcheck disable=SC2086
    run $cmd
    n=$(wc -l <"$tmp/err")
    c=${cmd%% /*}
    c=${c% $EX_A}
    [ "$(rc)" = 2 ] && [ "$n" -le 3 ] && grep -q "^doppel " "$tmp/err" &&
        grep -q "^try 'doppel ${c} --help'$" "$tmp/err" || bad="$bad [$cmd: $n lines: $(head -c 120 "$tmp/err")]"
done
run compare --frobnicate "$EX_A" "$EX_B"
grep -q "^doppel compare: unrecognized option '--frobnicate'" "$tmp/err" || bad="$bad getopt-prefix"
[ -z "$bad" ] && ok || fail "$bad"

t unknown_language_lists_the_languages
run compare --language klingon "$EX_A" "$EX_B"
expect_exit 2 && expect_err "unknown language 'klingon' for --language" &&
    expect_err "english" && expect_err "spanish" && expect_no_err "$EX_A" && ok

t mismatch_says_what_to_do
run index add "$tmp/ix" --shingle 4 "$tmp/c.jsonl"
expect_exit 2 && expect_err "doppel index add: $tmp/ix: " && expect_no_err "$tmp/ix: $tmp/ix" &&
    expect_err "leave the parameter out" && ok

# ------------------------------------------------------------------ 3
t exit_3_cannot_read
bad=""
code 3 compare "$tmp/nope.txt" "$EX_B" || bad="$bad compare-missing"
expect_err "doppel compare: $tmp/nope.txt: No such file" >/dev/null || bad="$bad compare-msg"
code 3 compare "$tmp" "$EX_B" || bad="$bad compare-directory"
code 3 compare --max-bytes 10 "$EX_A" "$EX_B" || bad="$bad compare-too-big"
code 3 dedup -q "$tmp/nope.jsonl" || bad="$bad dedup-missing"
code 3 index stats "$tmp/noindex" || bad="$bad index-missing"
code 3 serve --port 0 "$tmp/noindex" || bad="$bad serve-missing"
code 3 serve --port 0 --log /nonexistent/dir/log "$tmp/ix" || bad="$bad serve-log"
[ -z "$bad" ] && ok || fail "not 3:$bad"

t missing_index_named_once
run index stats "$tmp/noindex"
expect_exit 3 && expect_err "doppel index stats: $tmp/noindex: " &&
    expect_no_err "$tmp/noindex: $tmp/noindex" && {
    run serve --port 0 "$tmp/noindex"
    expect_exit 3 && expect_no_err "$tmp/noindex: $tmp/noindex" &&
        expect_err "doppel serve: $tmp/noindex: " && ok
}

t exit_3_after_the_other_inputs_are_processed
run index add "$tmp/ix2" "$tmp/c.jsonl" "$tmp/nope.jsonl"
expect_exit 3 && expect_err "doppel index add: $tmp/nope.jsonl: No such file" &&
    expect_err "3 added" && {
    run dedup --keep-ids "$tmp/keep" "$tmp/nope.jsonl" "$tmp/c.jsonl"
    expect_exit 3 && { [ "$(grep -c . "$tmp/keep")" = 2 ] && ok || fail "keep-ids: $(tr '\n' ' ' <"$tmp/keep")"; }
}

t exit_3_corrupt_compressed_input_after_the_rest
python3 -c "
import json
for i in range(3000):
    print(json.dumps({'id': 'r%d' % i, 'text': 'words here number %d and more words to fill the line' % i}))
" | gzip -c | head -c 3000 >"$tmp/trunc.jsonl.gz"
run dedup -q --keep-ids "$tmp/keep" "$tmp/trunc.jsonl.gz" "$tmp/c.jsonl"
expect_exit 3 && expect_err_re "^doppel dedup: $tmp/trunc.jsonl.gz(:[0-9]+)?: " &&
    { grep -q '^b$' "$tmp/keep" && grep -q '^r0$' "$tmp/keep" && ok ||
        fail "the records before the fault or the other input were lost"; }

# ------------------------------------------------------------------ 4
t exit_4_not_usable
bad=""
code 4 compare "$tmp/latin1.txt" "$EX_B" || bad="$bad compare-utf8"
code 4 compare "$tmp/bin.dat" "$EX_B" || bad="$bad compare-binary"
code 4 compare "$tmp/empty.txt" "$EX_B" || bad="$bad compare-empty"
code 4 dedup -q --strict "$tmp/bad.jsonl" || bad="$bad dedup-strict"
code 4 index add "$tmp/ix3" -q --strict "$tmp/bad.jsonl" || bad="$bad index-strict"
printf '{"id": "a", "text": "one two three four five six"}\n{"id": "a", "text": "seven eight nine ten"}\n' >"$tmp/dupid.jsonl"
code 4 dedup -q --strict "$tmp/dupid.jsonl" || bad="$bad dedup-strict-dup-id"
code 0 dedup -q "$tmp/dupid.jsonl" || bad="$bad dedup-dup-id-not-strict"
code 4 index stats "$tmp/notindex" || bad="$bad index-not-an-index"
code 4 index check "$tmp/notindex" || bad="$bad index-check-damaged"
code 4 serve --port 0 "$tmp/notindex" || bad="$bad serve-not-an-index"
[ -z "$bad" ] && ok || fail "not 4:$bad"

t bad_record_is_path_line
run dedup -q "$tmp/bad.jsonl"
expect_exit 0 && expect_err "doppel dedup: $tmp/bad.jsonl:2: " &&
    expect_no_err "$tmp/bad.jsonl:2: $tmp/bad.jsonl" && {
    printf '... *** ???\n' >"$tmp/stars.txt"
    run index add "$tmp/ix4" "$tmp/bad.jsonl" "$tmp/stars.txt"
    # a whole file: PATH without a line, and its id (the path) not repeated
    expect_exit 0 && expect_err "doppel index add: $tmp/bad.jsonl:2: " &&
        expect_no_err "$tmp/bad.jsonl:2: $tmp/bad.jsonl" &&
        expect_err "doppel index add: $tmp/stars.txt: no words, skipped" &&
        expect_no_err "id '$tmp/stars.txt'" && ok
}

t invalid_utf8_offset_once_with_remedy
run compare "$tmp/latin1.txt" "$EX_B"
expect_exit 4 && expect_err "doppel compare: $tmp/latin1.txt: " &&
    expect_err_re "byte (offset )?32\b" && expect_err "use --invalid-utf8 replace" && {
    # the offset is said once: no "byte 32: ... byte 32"
    if [ "$(grep -o '32' "$tmp/err" | wc -l)" = 1 ]; then ok; else fail "offset repeated: $(cat "$tmp/err")"; fi
}

# ------------------------------------------------------------------ 5
t exit_5_out_of_memory
# A sparse 900 MB file under a 400 MB address-space limit: the read cannot
# get its buffer. AddressSanitizer needs terabytes of address space for
# its shadow, so under it the same limit is ASan's own: allocations over
# 400 MB return NULL.
truncate -s 900M "$tmp/sparse.txt"
(
    if [ -n "${DOPPEL_UNDER_ASAN:-}" ]; then
        export ASAN_OPTIONS="${ASAN_OPTIONS:-}:allocator_may_return_null=1:max_allocation_size_mb=400"
    else
        ulimit -v 400000
    fi
    "$DOPPEL" compare "$tmp/sparse.txt" "$EX_B" >/dev/null 2>"$tmp/err"
    echo $? >"$tmp/rc"
)
expect_exit 5 && expect_err "doppel compare: $tmp/sparse.txt: " && ok
rm -f "$tmp/sparse.txt"

# ------------------------------------------------------ index messages
t index_query_below_banding_threshold_warns
run index query "$tmp/ix" --threshold 0.1 --id a
expect_exit 0 && expect_err "warning: --threshold 0.1 is below the index's threshold 0.8" &&
    expect_err "found only by luck" && expect_err "doppel index create NEWDB --threshold 0.1" && {
    run index query "$tmp/ix" --id a
    expect_exit 0 && expect_no_err "warning" && ok
}

t index_plurals
run index remove "$tmp/ix" c
expect_exit 0 && expect_err "removed 1 document" && expect_no_err "1 documents" && {
    run index add "$tmp/ix5" "$tmp/c.jsonl"
    expect_exit 0 && expect_err "1 transaction," && ok
}

# ------------------------------------------------------------ the docs
t docs_and_help_document_every_option_and_exit_code
# Every long option a command accepts (its options[] table in
# tools/doppel/cmd_*.c) is in its --help, in doppel(1) and in docs/cli.md;
# both documents carry the exit-code table 0-5.
bad=""
sed 's/\\-/-/g' "$root/docs/doppel.1" >"$tmp/man" # the page, "\-" read as "-"
for cmd in compare dedup index serve idf stories reuse; do
    src=$root/tools/doppel/cmd_$cmd.c
    "$DOPPEL" $cmd --help >"$tmp/help" 2>&1 || bad="$bad [$cmd --help exit]"
    for o in $(sed -n '/^static const struct option options\[\]/,/^};/p' "$src" |
        grep -o '{"[a-z0-9-]*"' | tr -d '{"'); do
        [ "$o" = colour ] && continue # the British spelling of --color
        grep -q -- "--$o\b" "$tmp/help" || bad="$bad [$cmd --help: --$o]"
        grep -q -- "--$o\b" "$tmp/man" || bad="$bad [doppel.1: $cmd --$o]"
        grep -q -- "--$o\b" "$root/docs/cli.md" || bad="$bad [cli.md: $cmd --$o]"
    done
done
for c in 0 1 2 3 4 5; do
    grep -q "^| $c |" "$root/docs/cli.md" || bad="$bad [cli.md: exit $c]"
    grep -q "^\.B $c$" "$root/docs/doppel.1" || bad="$bad [doppel.1: exit $c]"
done
for sub in create add remove get query list stats check compact; do
    grep -q "^\.BI \"$sub " "$root/docs/doppel.1" || bad="$bad [doppel.1: index $sub]"
    grep -q "^| \`$sub " "$root/docs/cli.md" || bad="$bad [cli.md: index $sub]"
done
[ -z "$bad" ] && ok || fail "undocumented:$bad"

finish

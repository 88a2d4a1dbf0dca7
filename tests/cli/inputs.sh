#!/bin/bash
# inputs.sh DOPPEL: "one way in" — every command reads records by the same
# rules (docs/inputs.md).
#
# A table of tricky JSONL inputs (duplicate keys, big and odd ids, missing,
# null and mistyped text, nested metadata, Latin-1 bytes, a BOM, CRLF, an
# empty line, a 10 MB line, broken JSON, \u0000, a lone surrogate, long
# and empty ids...) is fed to `doppel dedup`, `doppel index add` and
# `POST /documents` on a real `doppel serve`. All three must accept or
# refuse each input alike, and when they refuse, the message after the
# location prefix ("PATH:LINE: " on the command line, "line N: " from the
# server) must be the same text. Then CSV/TSV through dedup and index add,
# REPLACE on JSONL, and compare on .gz and .zst inputs.
#
# INPUTS_VERBOSE=1 prints what each command said for each table row.
# Ends with "N passed, N failed"; exits non-zero when anything failed.
set -u
DOPPEL=$(readlink -f "${1:?usage: inputs.sh path/to/doppel}")
here=$(cd "$(dirname "$0")" && pwd)
PY=$(python3 -c 'import sys; print(sys.executable)')
tmp=$(mktemp -d /tmp/doppel-inputs.XXXXXX)
. "$here/common.bash"
SPID=""

cleanup() {
    if [ -n "$SPID" ] && kill -0 "$SPID" 2>/dev/null; then
        kill -KILL "$SPID" 2>/dev/null
        wait "$SPID" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# ------------------------------------------------------------ the table
# NAME  EXPECT(accept|refuse)  and the file's bytes, written by python.
mkdir -p "$tmp/cases"
"$PY" - "$tmp/cases" <<'EOF' >"$tmp/table"
import sys, os
d = sys.argv[1]
W = "words enough for a document about ferries in the harbour"
def j(s): return s.encode()
cases = [
    ("plain", "accept", j('{"id":"plain","text":"%s"}\n' % W)),
    ("duplicate_keys", "refuse", j('{"id":"dk","text":"%s","id":"dk2"}\n' % W)),
    ("duplicate_nested_keys", "refuse", j('{"id":"dn","text":"%s","m":{"a":1,"a":2}}\n' % W)),
    ("big_integer_id", "refuse", j('{"id":123456789012345678901234567890,"text":"%s"}\n' % W)),
    ("numeric_id", "accept", j('{"id":42,"text":"%s"}\n' % W)),
    ("negative_id", "accept", j('{"id":-7,"text":"%s"}\n' % W)),
    ("float_id", "refuse", j('{"id":1.5,"text":"%s"}\n' % W)),
    ("bool_id", "refuse", j('{"id":true,"text":"%s"}\n' % W)),
    ("missing_id", "refuse", j('{"text":"%s"}\n' % W)),
    ("empty_id", "refuse", j('{"id":"","text":"%s"}\n' % W)),
    ("very_long_id", "refuse", j('{"id":"%s","text":"%s"}\n' % ("x" * 600, W))),
    ("long_id_511", "accept", j('{"id":"%s","text":"%s"}\n' % ("y" * 511, W))),
    ("missing_text", "refuse", j('{"id":"mt"}\n')),
    ("null_text", "refuse", j('{"id":"nt","text":null}\n')),
    ("text_not_string", "refuse", j('{"id":"ns","text":["a"]}\n')),
    ("nested_metadata", "accept", j('{"id":"nm","text":"%s","meta":{"a":[1,{"b":null}]},"n":99999999999999999999}\n' % W)),
    ("latin1_byte", "refuse", j('{"id":"l1","text":"caf') + b'\xe9' + j(' %s"}\n' % W)),
    ("bom", "accept", b'\xef\xbb\xbf' + j('{"id":"bom","text":"%s"}\n' % W)),
    ("crlf", "accept", j('{"id":"crlf","text":"%s"}\r\n' % W)),
    ("empty_line_first", "accept", j('\n  \n{"id":"el","text":"%s"}\n' % W)),
    ("ten_mb_line", "accept", j('{"id":"big","text":"%s"}\n' % ((W + " ") * 180000))),
    ("invalid_json", "refuse", j('{"id":"ij","text":"%s"\n' % W)),
    ("json_array", "refuse", j('[{"id":"ja","text":"%s"}]\n' % W)),
    ("json_string", "refuse", j('"just a string"\n')),
    ("trailing_garbage", "refuse", j('{"id":"tg","text":"%s"} xyz\n' % W)),
    ("escaped_nul", "refuse", j('{"id":"nul","text":"a\\u0000b %s"}\n' % W)),
    ("lone_surrogate", "refuse", j('{"id":"sur","text":"\\ud800 %s"}\n' % W)),
    ("escaped_unicode", "accept", j('{"id":"caf\\u00e9","text":"\\u00e9t\\u00e9 %s"}\n' % W)),
    ("no_newline_at_end", "accept", j('{"id":"nn","text":"%s"}' % W)),
]
for name, exp, data in cases:
    open(os.path.join(d, name + ".jsonl"), "wb").write(data)
    print(name, exp)
EOF

# start_server ARGS...: `doppel serve --port 0 ARGS` in the background.
start_server() {
    : >"$tmp/serve.err"
    "$DOPPEL" serve --port 0 "$@" 2>"$tmp/serve.err" </dev/null &
    SPID=$!
    local i
    for i in $(seq 1 600); do
        grep -q 'listening on' "$tmp/serve.err" && break
        kill -0 "$SPID" 2>/dev/null || break
        sleep 0.05
    done
    PORT=$(sed -n 's|.*listening on http://[^ ]*:\([0-9][0-9]*\) .*|\1|p' "$tmp/serve.err" | head -n 1)
    [ -n "$PORT" ] || { echo "server did not start: $(head -c 300 "$tmp/serve.err")"; return 1; }
    URL=http://127.0.0.1:$PORT
}

# msg_cli FILE CMD: the reader's message in a CLI's stderr: the first
# line ending ", skipped", less "doppel CMD[ SUB]: ", the "FILE:LINE: " or
# "FILE: " location and ", skipped".
msg_cli() {
    "$PY" - "$1" "$2" "$tmp/err" <<'EOF'
import sys, re
f, cmd, errf = sys.argv[1:4]
for line in open(errf, encoding="utf-8", errors="replace"):
    line = line.rstrip("\n")
    if not line.endswith(", skipped"):
        continue
    # "doppel dedup: " or "doppel index: " / "doppel index add: "
    m = re.sub(r"^doppel %s( [a-z]+)?: " % cmd, "", line)
    m = m[: -len(", skipped")]
    if m.startswith(f + ":"):
        rest = m[len(f) + 1:]
        mm = re.match(r"^([0-9]+: | )", rest)
        m = rest[mm.end():] if mm else rest
    print(m)
    break
EOF
}

# msg_srv: the message of the last server error, less "line N: ".
msg_srv() {
    "$PY" - "$tmp/body" <<'EOF'
import json, re, sys
try:
    m = json.load(open(sys.argv[1]))["error"]["message"]
except Exception:
    sys.exit(0)
print(re.sub(r"^line [0-9]+: ", "", m))
EOF
}

"$DOPPEL" index create "$tmp/ix" >/dev/null 2>&1
"$DOPPEL" index create "$tmp/srv" >/dev/null 2>&1
if ! start_server --max-body 64M --no-log "$tmp/srv"; then
    t inputs_server_starts
    fail "no server"
    finish
    exit 1
fi

while read -r name exp; do
    t "inputs_jsonl_$name"
    f="$tmp/cases/$name.jsonl"
    # dedup: accepted when the one record was read.
    run dedup --json "$f"
    d_acc=$("$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); print("accept" if j["docs"] == 1 and j["skipped"] == 0 else "refuse")' "$tmp/out" 2>/dev/null || echo "error")
    d_msg=$(msg_cli "$f" dedup)
    # index add: accepted when it says "1 added".
    run index add "$tmp/ix" "$f"
    if grep -q ' 1 added' "$tmp/err"; then i_acc=accept; else i_acc=refuse; fi
    i_msg=$(msg_cli "$f" index)
    # POST /documents as JSONL.
    curl -s -o "$tmp/body" -w '%{http_code}' --max-time 120 \
        -H 'Content-Type: application/x-ndjson' --data-binary @"$f" \
        "$URL/documents" >"$tmp/code" 2>/dev/null || echo 000 >"$tmp/code"
    code=$(cat "$tmp/code")
    if [ "$code" = 200 ] && "$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j["added"] == 1 else 1)' "$tmp/body"; then
        s_acc=accept
    else
        s_acc=refuse
    fi
    s_msg=$(msg_srv)
    [ "${INPUTS_VERBOSE:-0}" = 1 ] && echo "$name: dedup $d_acc '$d_msg' | index $i_acc '$i_msg' | POST $s_acc $code '$s_msg'"
    if [ "$d_acc" != "$exp" ] || [ "$i_acc" != "$exp" ] || [ "$s_acc" != "$exp" ]; then
        fail "expected $exp: dedup $d_acc ($d_msg), index add $i_acc ($i_msg), POST $s_acc ($code: $(head -c 200 "$tmp/body"))"
        continue
    fi
    if [ "$exp" = refuse ]; then
        if [ -z "$d_msg" ] || [ "$d_msg" != "$i_msg" ] || [ "$d_msg" != "$s_msg" ]; then
            fail "messages differ: dedup '$d_msg', index add '$i_msg', POST '$s_msg'"
            continue
        fi
    fi
    ok
done <"$tmp/table"

t inputs_latin1_message_names_the_byte
run dedup --json "$tmp/cases/latin1_byte.jsonl"
msg=$(msg_cli "$tmp/cases/latin1_byte.jsonl" dedup)
[ "$msg" = "invalid UTF-8 at byte 22 (0xE9)" ] && ok || fail "message '$msg'"

t inputs_replace_repairs_jsonl
run dedup --json --invalid-utf8 replace "$tmp/cases/latin1_byte.jsonl"
"$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j["docs"] == 1 else 1)' "$tmp/out" &&
    { run index add --invalid-utf8 replace "$tmp/ix" "$tmp/cases/latin1_byte.jsonl"; grep -q ' 1 added' "$tmp/err"; } &&
    ok || fail "replace did not read the line: $(head -c 300 "$tmp/err")"

t inputs_metadata_kept_by_index_and_server
run index get --json "$tmp/ix" nm
"$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j["meta"] == {"meta": {"a": [1, {"b": None}]}, "n": 1e20} else 1)' "$tmp/out" &&
    curl -s -o "$tmp/body" "$URL/documents/nm" &&
    "$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j["meta"]["meta"] == {"a": [1, {"b": None}]} else 1)' "$tmp/body" &&
    ok || fail "metadata: $(head -c 300 "$tmp/out") / $(head -c 300 "$tmp/body")"

# ---------------------------------------------------------------- CSV
printf 'id,title,text\r\nc1,"Ferries, again","%s"\r\nc2,Two,"a quoted\nnewline and %s"\r\nc3,Bad,"x"y\r\nc4,Four,"%s, four"\r\n' \
    "the harbour ferries were stopped by the storm for two days" \
    "ferries stopped by the storm for two days" \
    "the harbour ferries were stopped by the storm for two days again" >"$tmp/c.csv"

t inputs_csv_dedup_reads_records
run dedup --json "$tmp/c.csv"
"$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j["docs"] == 3 and j["skipped"] == 1 else 1)' "$tmp/out" &&
    grep -q "c.csv:4: malformed CSV" "$tmp/err" -q 2>/dev/null || grep -q "malformed CSV at byte" "$tmp/err"
[ $? = 0 ] && ok || fail "dedup on CSV: $(head -c 300 "$tmp/out") $(head -c 300 "$tmp/err")"

t inputs_csv_index_add_keeps_columns
run index add "$tmp/ix" "$tmp/c.csv"
grep -q ' 3 added' "$tmp/err" && {
    run index get --json "$tmp/ix" c1
    "$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j["meta"] == {"title": "Ferries, again"} else 1)' "$tmp/out"
} && ok || fail "index add on CSV: $(head -c 400 "$tmp/err") $(head -c 300 "$tmp/out")"

t inputs_csv_without_text_column_is_one_error
printf 'id,body\n1,one two three four five\n2,six seven\n' >"$tmp/notext.csv"
run dedup --json "$tmp/notext.csv"
"$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j["docs"] == 0 and j["skipped"] == 1 else 1)' "$tmp/out" &&
    grep -q 'no "text" (text) column in the header row' "$tmp/err" && ok ||
    fail "$(head -c 300 "$tmp/out") $(head -c 300 "$tmp/err")"

t inputs_csv_on_stdin_is_sniffed
run_in "$tmp/c.csv" dedup --json -
"$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j["docs"] == 3 and j["skipped"] == 1 else 1)' "$tmp/out" &&
    ok || fail "CSV on stdin: $(head -c 300 "$tmp/out") $(head -c 300 "$tmp/err")"

t inputs_tsv_dedup
printf 'id\ttext\nt1\tferries in the harbour, stopped by the storm for two days\n' >"$tmp/t.tsv"
run dedup --json "$tmp/t.tsv"
"$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j["docs"] == 1 and j["skipped"] == 0 else 1)' "$tmp/out" &&
    ok || fail "$(head -c 300 "$tmp/out") $(head -c 300 "$tmp/err")"

# ------------------------------------------------------------ compare
t inputs_compare_reads_gz_and_zst
printf 'The harbour ferries were stopped by the storm for two days and the port was closed to all traffic.\n' >"$tmp/a.txt"
printf 'The harbour ferries were stopped by the storm for two days and the port stayed closed to traffic.\n' >"$tmp/b.txt"
gzip -c "$tmp/a.txt" >"$tmp/a.txt.gz"
if command -v zstd >/dev/null; then zstd -q -c "$tmp/b.txt" >"$tmp/b.txt.zst"; else cp "$tmp/b.txt" "$tmp/b.txt.zst.missing"; fi
run compare --json "$tmp/a.txt" "$tmp/b.txt"
cp "$tmp/out" "$tmp/plain.json"
if [ -f "$tmp/b.txt.zst" ]; then
    run compare --json "$tmp/a.txt.gz" "$tmp/b.txt.zst"
    expect_exit 0 && "$PY" - "$tmp/plain.json" "$tmp/out" <<'EOF' && ok || fail "compressed compare differs: $(head -c 300 "$tmp/err")"
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
for x in (a, b):
    x["a"]["path"] = x["b"]["path"] = None
sys.exit(0 if a == b else 1)
EOF
else
    run compare --json "$tmp/a.txt.gz" "$tmp/b.txt"
    expect_exit 0 && ok
fi

t inputs_compare_fake_gz_refused
cp "$tmp/a.txt" "$tmp/fake.txt.gz"
run compare "$tmp/fake.txt.gz" "$tmp/b.txt"
[ "$(rc)" != 0 ] && expect_err "not gzip data" && ok

# One binary file (a NUL, then invalid UTF-8): compare, dedup and index add
# say the same thing about it, at the same byte.
t inputs_binary_file_same_message_everywhere
printf 'hello \000world\377\376 some more text here\n' >"$tmp/bin.txt"
run compare "$tmp/bin.txt" "$tmp/b.txt"
want="$tmp/bin.txt: NUL byte at byte 6: the input looks binary, not text"
expect_exit 4 && expect_err "doppel compare: $want" && {
    run dedup "$tmp/bin.txt"
    expect_err "doppel dedup: $want" && {
        run index add "$tmp/ixbin" "$tmp/bin.txt"
        expect_err "doppel index add: $want" && ok
    }
}

finish

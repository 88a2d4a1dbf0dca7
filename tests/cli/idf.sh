#!/bin/bash
# idf.sh DOPPEL: `doppel idf build` and `doppel idf show` through the real
# binary: counts a small corpus of our own texts in every input kind,
# reports bad records with PATH:LINE and goes on, writes the table
# atomically, and refuses a damaged or missing table with the exit-code
# table's codes. Ends with "N passed, N failed".
set -u
DOPPEL=$(readlink -f "${1:?usage: idf.sh path/to/doppel}")
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/doppel-idf.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
. "$here/common.bash"

cat >"$tmp/c.jsonl" <<'J'
{"id": "a", "text": "The ferry left the harbour at dawn with 40 passengers."}
{"id": "b", "text": "A second ferry reached the harbour before noon."}
{"id": "c", "text": "Storms closed the harbour; the ferries stayed in port."}
not json at all
{"id": "d", "text": "Council members debated the new library budget."}
J

t idf_build_counts_and_reports_bad_line
run idf build "$tmp/c.jsonl" -o "$tmp/t.idf"
expect_exit 0 && expect_err "c.jsonl:4:" && expect_err "4 documents" &&
    expect_err "1 record skipped" && ok

t idf_show_gives_document_frequencies
run idf show "$tmp/t.idf" harbour ferry the Chile
expect_exit 0 && expect_out "documents 4" &&
    grep -qE '^harbour +df 3 ' "$tmp/out" &&
    grep -qE '^ferry +df 3 ' "$tmp/out" &&
    grep -qE '^the +stopword' "$tmp/out" &&
    grep -qE '^Chile +df 0 +idf 2\.609' "$tmp/out" && ok || fail "$(cat "$tmp/out")"

t idf_build_strict_stops_at_bad_line
run idf build --strict "$tmp/c.jsonl" -o "$tmp/s.idf"
expect_exit 4 && [ ! -e "$tmp/s.idf" ] && ok || fail "strict wrote a table"

t idf_build_missing_input_still_counts_the_rest
run idf build "$tmp/nope.txt" "$tmp/c.jsonl" -o "$tmp/m.idf"
expect_exit 3 && expect_err "nope.txt" && [ -s "$tmp/m.idf" ] && ok ||
    fail "no table"

t idf_build_plain_text_directory_and_stdin
mkdir -p "$tmp/dir/sub"
echo "Volcano erupts near the village." >"$tmp/dir/one.txt"
echo "The village was evacuated after the volcano erupted." >"$tmp/dir/sub/two.txt"
run_in "$tmp/c.jsonl" idf build "$tmp/dir" - -o "$tmp/d.idf"
expect_exit 0 && run idf show "$tmp/d.idf" volcano && expect_out "documents 6" &&
    grep -qE '^volcano +df 2 ' "$tmp/out" && ok

t idf_build_usage_errors
run idf build "$tmp/c.jsonl"
expect_exit 2 && expect_err "-o FILE" && ok
run idf build -o "$tmp/x.idf"
expect_exit 2 && expect_err "no input" && ok
run idf build --language klingon "$tmp/c.jsonl" -o "$tmp/x.idf"
expect_exit 2 && expect_err "unknown language 'klingon'" && ok
run idf frobnicate
expect_exit 2 && ok

t idf_show_refuses_damaged_and_missing_tables
printf 'DPIDF\r\n\032garbage' >"$tmp/bad.idf"
run idf show "$tmp/bad.idf"
expect_exit 4 && expect_err "bad.idf" && ok
echo "just text" >"$tmp/text.idf"
run idf show "$tmp/text.idf"
expect_exit 4 && expect_err "not a doppel IDF table" && ok
run idf show "$tmp/none.idf"
expect_exit 3 && expect_err "none.idf" && ok

t idf_build_unwritable_output
run idf build "$tmp/c.jsonl" -o /nonexistent/dir/t.idf
expect_exit 3 && expect_err "/nonexistent/dir/t.idf" && ok

t idf_weighs_the_same_story_score_of_index_query_hits
# the bundled corpus in an index tuned low enough to find the rewrites;
# every hit gets a same-story score under the table, and the outlets that
# carry the Kelmor story score high
ex=$here/../../examples/kelmor-bridge.jsonl
run index create "$tmp/ix" --threshold 0.1 --store-text
run index add "$tmp/ix" "$ex" -q
python3 -c "import json,sys; [print(json.loads(l)['text']) for l in open(sys.argv[1]) if '\"valley-courier\"' in l]" "$ex" >"$tmp/q.txt"
run index query "$tmp/ix" "$tmp/q.txt" --threshold 0.05 --idf "$tmp/t.idf" --json
expect_exit 0 && python3 - "$tmp/out" >"$tmp/why" 2>&1 <<'PY' && ok || fail "$(cat "$tmp/why")"
import json, sys
hits = {h["id"]: h for h in json.load(open(sys.argv[1]))["hits"]}
assert {"valley-courier", "harbour-gazette", "east-post", "metro-daily"} <= set(hits), sorted(hits)
for h in hits.values():
    assert 0.0 <= h["same_story"] <= 1.0, h
for i in ("harbour-gazette", "east-post", "metro-daily"):
    assert hits[i]["same_story"] > 0.5, hits[i]
PY
run index query "$tmp/ix" "$tmp/q.txt" --idf "$tmp/none.idf"
expect_exit 3 && expect_err "none.idf" && ok
run index create "$tmp/ix2"
run index query "$tmp/ix2" "$tmp/q.txt" --idf "$tmp/t.idf"
expect_exit 2 && expect_err "--idf needs stored texts" && ok

finish

#!/bin/bash
# reuse.sh DOPPEL: acceptance tests of `doppel reuse`.
#
# A small corpus written here (one quote carried by four documents at
# known byte offsets, one of them changing a word of it; an unrelated
# document; a bad line) is checked offset by offset through --json,
# --passages and --clusters; then boilerplate flagged and dropped,
# --ignore-same-source, determinism over thread counts on a slice of
# Reuters ($DOPPEL_SHARED/data, read at test time, nothing copied), the
# seeds' shared quotes, the "nothing found" summary and usage errors.
# Ends with "N passed, N failed"; exits non-zero when anything failed.
set -u
DOPPEL=$(readlink -f "${1:?usage: reuse.sh path/to/doppel}")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
SHARED=${DOPPEL_SHARED:-$root/../shared}
REUTERS=$SHARED/data/reuters21578/reuters.jsonl
tmp=$(mktemp -d /tmp/doppel-reuse.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

. "$here/common.bash"

# py CODE: run a Python check; its output is the failure message.
py() {
    local msg
    if msg=$(python3 -c "import json
$1" 2>&1); then
        return 0
    fi
    fail "$(echo "$msg" | tail -c 800)"
    return 1
}

# ------------------------------------------------------------ the corpus
Q='We will rebuild the harbour wall before the winter storms reach the northern coast'
QC='We will rebuild the harbour wall before the autumn storms reach the northern coast'
C=$tmp/quote.jsonl
Q="$Q" QC="$QC" python3 - "$C" <<'EOF'
import json, os, sys
q, qc = os.environ["Q"], os.environ["QC"]
docs = [
    ("q0", "Mayor Alma Quist spoke on Monday. \"" + q + ",\" she told the council. Funding comes from the regional budget.", "2024-03-05", "Gazette"),
    ("q1", "In a statement her office quoted her: " + q + ". Residents were sceptical about cost overruns.", "2024-03-04", "Gazette"),
    ("q2", "Quist said: " + qc + " according to local radio reports.", None, "Herald"),
    ("q3", "Coverage elsewhere focused on traffic. The mayor promised: " + q + ". Nothing else was announced today.", "2024-03-02T08:00", "Herald"),
    ("q4", "Completely unrelated text about growing tomatoes and cucumbers in small greenhouses during the spring months.", "2024-03-01", "Post"),
]
with open(sys.argv[1], "w") as f:
    for i, (id_, text, date, src) in enumerate(docs):
        rec = {"id": id_, "text": text, "source": src}
        if date:
            rec["date"] = date
        f.write(json.dumps(rec) + "\n")
        if i == 2:
            f.write('{"id": "broken", "text": \n')
EOF
# The expected spans: where the quote starts and ends in each text.
cat >"$tmp/expect.py" <<'EOF'
import json
docs = {}
for line in open(CORPUS):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    docs[r["id"]] = r["text"].encode()
def span(i):
    t = docs[i]
    s = t.find(b"We will rebuild")
    return s, t.find(b"northern coast") + len(b"northern coast")
EOF

t reuse_bad_line_reported_and_skipped
run reuse --json "$C"
expect_exit 0 && expect_err "doppel reuse: $C:4: " && expect_err "skipped" && ok

t reuse_quote_cluster_offsets
cp "$tmp/out" "$tmp/quote.json"
py "
CORPUS='$C'
exec(open('$tmp/expect.py').read())
d = json.load(open('$tmp/quote.json'))
assert d['documents'] == 5, d['documents']
assert d['passages'] == 6, d['passages']
assert d['clusters'] == 1, d['clusters']
c = d['cluster_list'][0]
assert c['docs'] == 4 and c['boilerplate'] is False, c
ids = [m['id'] for m in c['places']]
assert ids == ['q0', 'q1', 'q2', 'q3'], ids
for m in c['places']:
    assert (m['start'], m['end']) == span(m['id']), (m, span(m['id']))
    assert docs[m['id']][m['start']:m['end']].decode() == m['text']
    assert m['words'] == 14, m
assert c['places'][c['earliest']]['id'] == 'q3', c['earliest']
assert c['places'][c['earliest']]['date'] == '2024-03-02T08:00:00Z'
assert 'autumn' in c['places'][2]['text'] and 'winter' in c['places'][0]['text']
" && ok

t reuse_passages_and_clusters_jsonl
run reuse --passages "$tmp/p.jsonl" --clusters "$tmp/c.jsonl" "$C"
expect_exit 0 && py "
CORPUS='$C'
exec(open('$tmp/expect.py').read())
ps = [json.loads(l) for l in open('$tmp/p.jsonl')]
cs = [json.loads(l) for l in open('$tmp/c.jsonl')]
assert len(ps) == 6 and len(cs) == 1, (len(ps), len(cs))
for p in ps:
    assert (p['a_start'], p['a_end']) == span(p['a'])
    assert (p['b_start'], p['b_end']) == span(p['b'])
    assert p['cluster'] == 0 and p['words'] == 14
    assert p['text'] == docs[p['a']][p['a_start']:p['a_end']].decode()
    assert ('b_text' in p) == ((p['a'] == 'q2') != (p['b'] == 'q2')), p
assert cs[0]['docs'] == 4
" && ok

t reuse_text_report
run reuse --color never "$C"
expect_exit 0 && expect_out "cluster 1: 4 documents, 6 passages" &&
    expect_out "\"$Q\"" && expect_out "q3 (earliest)  [" &&
    expect_out "here: \"$QC\"" && expect_out "5 documents read" && ok

t reuse_ignore_same_source
run reuse --ignore-same-source --json "$C"
expect_exit 0 && py "
d = json.loads(open('$tmp/out').read())
assert d['passages'] == 4, d['passages']
assert d['same_source_skipped'] >= 2, d
assert d['cluster_list'][0]['docs'] == 4
" && ok

t reuse_strict_stops_at_bad_line
run reuse --strict "$C"
expect_exit 4 && expect_err "$C:4: " && ok

# ------------------------------------------------------------ boilerplate
B=$tmp/footer.jsonl
python3 - "$B" <<'EOF'
import json, sys
q = "We will rebuild the harbour wall before the winter storms reach the northern coast"
footer = " This article was produced by the Northfield Gazette newsroom and may not be reproduced without written permission."
with open(sys.argv[1], "w") as f:
    for i in range(12):
        words = ["b%dx%d" % (i, k) for k in range(30)]
        if i in (4, 9):
            words.insert(15, q + ".")
        f.write(json.dumps({"id": "f%d" % i, "text": " ".join(words) + footer}) + "\n")
EOF

t reuse_boilerplate_flagged
run reuse --json "$B"
expect_exit 0 && py "
d = json.loads(open('$tmp/out').read())
cl = d['cluster_list']
assert [c['docs'] for c in cl] == [12, 2], [c['docs'] for c in cl]
assert cl[0]['boilerplate'] is True and cl[1]['boilerplate'] is False
assert cl[0]['text'].startswith('This article was produced')
assert d['boilerplate'] == 1
" && ok

t reuse_boilerplate_dropped
run reuse --drop-boilerplate --json "$B"
expect_exit 0 && py "
d = json.loads(open('$tmp/out').read())
assert d['clusters'] == 1 and d['passages'] == 1, d
assert d['boilerplate'] == 1 and d['dropped_passages'] >= 11
assert d['cluster_list'][0]['docs'] == 2
" && ok

t reuse_boilerplate_threshold
run reuse --boilerplate 100 --json "$B"
expect_exit 0 && py "
d = json.loads(open('$tmp/out').read())
assert d['boilerplate'] == 0 and d['clusters'] == 2, d
" && ok

# ------------------------------------------------------------ seeds
t reuse_seeds_shared_quotes
run reuse --passages "$tmp/seeds.jsonl" "$SHARED/seeds"
expect_exit 0 && py "
ps = [json.loads(l) for l in open('$tmp/seeds.jsonl')]
texts = ' | '.join(p['text'] for p in ps)
assert len(ps) >= 3, len(ps)
assert 'ISIS-K now poses an internal Afghan threat' in texts
assert 'Beth Sanner, a former Deputy Director of National Intelligence' in texts
for p in ps:
    a = open(p['a'], 'rb').read()[p['a_start']:p['a_end']].decode()
    assert a == p['text']
" && ok

# ------------------------------------------------------------ determinism
t reuse_threads_deterministic
if [ -r "$REUTERS" ]; then
    head -n 3000 "$REUTERS" >"$tmp/r.jsonl"
    run reuse --threads 1 --passages "$tmp/p1" --clusters "$tmp/c1" "$tmp/r.jsonl"
    expect_exit 0 &&
        run reuse --threads 2 --passages "$tmp/p2" --clusters "$tmp/c2" "$tmp/r.jsonl" &&
        expect_exit 0 &&
        run reuse --threads 5 --passages "$tmp/p5" --clusters "$tmp/c5" "$tmp/r.jsonl" &&
        expect_exit 0 &&
        if [ -s "$tmp/p1" ] && cmp -s "$tmp/p1" "$tmp/p2" && cmp -s "$tmp/p1" "$tmp/p5" &&
            cmp -s "$tmp/c1" "$tmp/c2" && cmp -s "$tmp/c1" "$tmp/c5"; then
            ok
        else
            fail "outputs differ between thread counts"
        fi
else
    fail "missing $REUTERS (set DOPPEL_SHARED)"
fi

# ------------------------------------------------------------ small inputs
t reuse_nothing_found_says_why
printf '%s\n' '{"id":"a","text":"one small text about apples"}' \
    '{"id":"b","text":"another about pears and plums"}' >"$tmp/two.jsonl"
run reuse "$tmp/two.jsonl"
expect_exit 0 && expect_out "2 documents read" &&
    expect_out "no two of the 2 documents share a passage of 8 or more words (--min-words)" && ok

t reuse_one_document
head -n 1 "$tmp/two.jsonl" >"$tmp/one.jsonl"
run reuse "$tmp/one.jsonl"
expect_exit 0 && expect_out "reuse needs at least two" && ok

t reuse_min_words
run reuse --min-words 20 --json "$C"
expect_exit 0 && py "
d = json.loads(open('$tmp/out').read())
assert d['passages'] == 0 and d['min_words'] == 20, d
" && ok

t reuse_usage_errors
run reuse --min-words 1 "$C"
expect_exit 2 && expect_err "min-words" &&
    run reuse && expect_exit 2 && expect_err "no input given" &&
    run reuse --help && expect_exit 0 && expect_out "usage: doppel reuse" &&
    run reuse "$tmp/missing.jsonl" && expect_exit 3 && ok

t reuse_strict_stops_at_a_refused_document
# a record the reader passes but the library refuses (no words) is
# reported with its line and id, skipped, and stops the run under --strict
printf '{"id": "blank", "text": "   "}\n{"id": "w", "text": "Some words for a document."}\n' >"$tmp/blank.jsonl"
run reuse "$tmp/blank.jsonl"
expect_exit 0 && expect_err "blank.jsonl:1: id 'blank': no words, skipped" && {
    run reuse --strict "$tmp/blank.jsonl"
    expect_exit 4 && ok
}

finish

#!/bin/bash
# story_corpus.sh DOPPEL: the issue-9 acceptance corpus through the real
# binary. examples/kelmor-bridge.jsonl (our own texts) holds one quote
# of Mara Ellison carried by four outlets at known byte offsets, each with
# its own context around it; East Post changes "tested" to "checked"
# inside it; Metro Daily gives 19,000 vehicles a day where Harbour Gazette
# says 14,000; a fifth article (Farm Weekly) is another story.
#   reuse:   one cluster of the four carriers, every place holding the
#            quote, the earliest place the dated first carrier;
#   stories: one story of four (Farm Weekly alone), Harbour Gazette the
#            primary (earliest), the quote once with its four carriers at
#            their offsets and East Post's changed word, the 14,000/19,000
#            conflict, provenance by date.
# Ends with "N passed, N failed".
set -u
DOPPEL=$(readlink -f "${1:?usage: story_corpus.sh path/to/doppel}")
here=$(cd "$(dirname "$0")" && pwd)
corpus=$(cd "$here/../../examples" && pwd)/kelmor-bridge.jsonl
tmp=$(mktemp -d /tmp/doppel-storycorpus.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
. "$here/common.bash"

# the quote's byte span [start, end) in each carrier's text field
expected='{"harbour-gazette": [105, 210], "valley-courier": [90, 195],
           "east-post": [87, 193], "metro-daily": [116, 221]}'

t reuse_one_cluster_with_every_carrier
run reuse "$corpus" --json
if expect_exit 0; then
    python3 - "$tmp/out" "$corpus" "$expected" >"$tmp/why" 2>&1 <<'PY' && ok || fail "$(cat "$tmp/why")"
import json, sys
out = json.load(open(sys.argv[1]))
texts = {}
for line in open(sys.argv[2]):
    d = json.loads(line)
    texts[d["id"]] = d["text"].encode()
want = json.loads(sys.argv[3])
big = [c for c in out["cluster_list"] if c["docs"] >= 3]
assert len(big) == 1, "want one cluster of the carriers, got %d" % len(big)
c = big[0]
ids = sorted({p["id"] for p in c["places"]})
assert ids == sorted(want), ids
for p in c["places"]:
    qs, qe = want[p["id"]]
    # every place holds the whole quote, and its text is the original
    assert p["start"] <= qs and p["end"] >= qe, (p["id"], p["start"], p["end"])
    assert texts[p["id"]][p["start"]:p["end"]].decode() == p["text"], p["id"]
first = c["places"][c["earliest"]]
assert first["id"] == "harbour-gazette", first["id"]
assert "farm-weekly" not in ids
PY
fi

t stories_merged_story_quote_carriers_changed_word_conflict
run stories "$corpus" --json
if expect_exit 0; then
    python3 - "$tmp/out" "$expected" >"$tmp/why" 2>&1 <<'PY' && ok || fail "$(cat "$tmp/why")"
import json, sys
out = json.load(open(sys.argv[1]))
want = json.loads(sys.argv[2])
groups = [c for c in out["clusters"] if len(c["members"]) > 1]
assert len(groups) == 1, len(groups)
c = groups[0]
assert sorted(m["id"] for m in c["members"]) == sorted(want)
assert c["members"][0]["id"] == "harbour-gazette"  # primary: earliest
alone = [x for x in out["clusters"] if x["members"][0]["id"] == "farm-weekly"]
assert len(alone) == 1 and len(alone[0]["members"]) == 1
s = c["story"]
q = [q for q in s["quotes"] if "We will not reopen the bridge" in q["text"]]
assert len(q) == 1, "the quote once, got %d" % len(q)
carriers = {x["id"]: x for x in q[0]["carriers"]}
assert sorted(carriers) == sorted(want), sorted(carriers)
for i, (qs, qe) in want.items():
    x = carriers[i]
    assert (x["start"], x["end"]) == (qs, qe), (i, x["start"], x["end"])
    assert x["speaker"] == "Mara Ellison", (i, x["speaker"])
    assert x["changed"] == (["checked"] if i == "east-post" else []), (i, x["changed"])
conf = [k for k in s["conflicts"] if k["kind"] == "number"]
assert len(conf) == 1, s["conflicts"]
vals = {conf[0]["a"]["id"]: conf[0]["a"]["value"], conf[0]["b"]["id"]: conf[0]["b"]["value"]}
assert vals == {"harbour-gazette": "14,000", "metro-daily": "19,000"}, vals
# provenance: the earliest outlet first, by date, to every other carrier
edges = {(e["from_id"], e["to_id"]): e for e in s["provenance"]}
for i in want:
    if i != "harbour-gazette":
        e = edges[("harbour-gazette", i)]
        assert e["basis"] == "date" and e["evidence"]["date_from"] == "2026-03-02", e
PY
fi

t stories_text_report_names_the_quote_and_the_conflict
run stories "$corpus" --color never
expect_exit 0 && expect_out "changed: checked" &&
    expect_out 'harbour-gazette says "14,000" vs metro-daily says "19,000"' &&
    expect_out "What metro-daily adds" && ok

t reuse_and_stories_agree_across_thread_counts
run stories "$corpus" --json --threads 1
cp "$tmp/out" "$tmp/s1"
run stories "$corpus" --json --threads 3
cmp -s "$tmp/s1" "$tmp/out" && ok || fail "stories output differs by threads"

finish

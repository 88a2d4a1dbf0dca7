#!/bin/bash
# stories.sh DOPPEL: `doppel stories` through the real binary: pair mode
# on the two seed articles (one story of two, text and JSON), --json and
# --clusters parse, --min-size, --explain (same and different stories,
# an unknown id), bad records reported with PATH:LINE and skipped, ids
# stable across thread counts, and small corpora of 2, 20 and 200 Reuters
# articles ($DOPPEL_SHARED/data, picked at test time, nothing copied into
# the repository) giving sensible output with the defaults, including the
# reason when nothing is grouped. Ends with "N passed, N failed".
set -u
DOPPEL=$(readlink -f "${1:?usage: stories.sh path/to/doppel}")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
SHARED=${DOPPEL_SHARED:-$root/../shared}
SEEDS=$SHARED/seeds
REUTERS=$SHARED/data/reuters21578/reuters.jsonl
tmp=$(mktemp -d /tmp/doppel-stories.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
. "$here/common.bash"

s0=$(ls "$SEEDS"/000*.txt)
s1=$(ls "$SEEDS"/001*.txt)

t stories_pair_mode_on_the_seeds
run stories "$s0" "$s1"
expect_exit 0 && expect_out "(2 documents" && expect_out "1 story: 1 with two" &&
    expect_out "000_150493159232f54a.txt" && expect_out "001_64c48dc445758d8a.txt" && ok

t stories_pair_mode_merged_story
# the merged story inside the cluster: Sanner's quotes carried by both,
# the Haqqani detail only in 000, Tom West only in 001
run stories "$s0" "$s1"
expect_exit 0 && expect_out "Beth Sanner" && expect_out "work in progress" &&
    grep -A1 "Sirajuddin Haqqani" "$tmp/out" | grep -q "only .*000_" &&
    grep -A1 "Tom West" "$tmp/out" | grep -q "only .*001_" && ok ||
    fail "merged story: $(head -c 600 "$tmp/out")"
run stories --no-story "$s0" "$s1"
expect_exit 0 && ! grep -q "Beth Sanner" "$tmp/out" && ok || fail "--no-story"

t stories_pair_mode_json
run stories --json "$s0" "$s1"
expect_exit 0 && python3 - "$tmp/out" <<'P' && ok || fail "json: $(head -c 400 "$tmp/out")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["documents"] == 2 and j["stories"] == 1 and j["grouped"] == 1, j
c = j["clusters"][0]
assert c["size"] == 2 and len(c["members"]) == 2 and c["id"].startswith("s")
assert c["primary"] in [m["id"] for m in c["members"]]
st = c["story"]
assert st and len(st["members"]) == 2 and st["quotes"], list(st)
m0 = [m["index"] for m in st["members"] if "000_" in m["id"]][0]
m1 = 1 - m0
# Beth Sanner's three quotes: each once, carried by both
for start in ("The Taliban are struggling", "[Cohen] is likely", "ISIS-K now poses"):
    q = [q for q in st["quotes"] if q["text"].startswith(start)]
    assert len(q) == 1, (start, len(q))
    assert sorted(x["member"] for x in q[0]["carriers"]) == [0, 1], (start, q[0]["carriers"])
def carriers(needle):
    u = [u for u in st["units"] if needle in u["text"]]
    assert len(u) == 1, (needle, len(u))
    return {x["member"] for x in u[0]["carriers"]}
# the Haqqani safe-house detail only in 000; Tom West and the UN
# Secretary-General's report only in 001; "work in progress" in both
assert carriers("Sirajuddin Haqqani") == {m0}
assert carriers("safe house") == {m0}
assert carriers("Tom West") == {m1}
assert carriers("Secretary-General") == {m1}
assert carriers("work in progress") == {m0, m1}
adds = {a["member"]: " ".join(x["text"] for x in a["sentences"]) for a in st["adds"]}
assert "Haqqani" in adds[m0] and "Tom West" in adds[m1], adds
P

cat >"$tmp/c.jsonl" <<'J'
{"id": "a1", "date": "2019-03-04", "source": "Harbor Herald", "title": "Bank robbed on Elm Street", "text": "Two masked men robbed the First Harbor Bank branch on Elm Street in Millbrook on Monday morning and escaped with about 12,000 dollars, police said. Chief Laura Benning said the men threatened a teller with a handgun and fled in a grey van toward Route 9."}
{"id": "a2", "date": "2019-03-04", "source": "Millbrook Daily", "title": "Police hunt bank robbers", "text": "Police in Millbrook are searching for two masked robbers who held up the First Harbor Bank on Elm Street on Monday. The men showed a handgun to a teller, took roughly 12,000 dollars and drove off in a grey van toward Route 9, Chief Laura Benning told reporters."}
this line is not JSON
{"id": "b1", "date": "2023-08-18", "source": "Oakdale Post", "title": "Hard-hat robber hits bank", "text": "A man wearing a hard hat robbed the Granite Savings bank on Cedar Avenue in Oakdale on Friday afternoon, handing a teller a note that demanded cash, police said. Sergeant Omar Quintero said the robber left on a blue bicycle."}
{"id": "b2", "date": "2023-08-18", "source": "Valley News", "title": "Oakdale bank robbery", "text": "Oakdale police are looking for a robber in a hard hat who passed a teller a demand note at the Granite Savings branch on Cedar Avenue on Friday and rode away on a blue bicycle, Sergeant Omar Quintero said."}
{"id": "e", "text": "   "}
{"id": "fair", "text": "The county fair opens on Thursday with a pumpkin contest, a pie table and the usual tractor pull."}
{"id": "a1", "text": "A repeated id."}
J

t stories_bad_records_reported_and_skipped
run stories "$tmp/c.jsonl"
expect_exit 0 && expect_err "c.jsonl:3:" && expect_err "c.jsonl:6:" &&
    expect_err "c.jsonl:8:" && expect_out "5 documents, 3 stories: 2 with two" &&
    expect_out "[Harbor Herald]" && expect_out "Bank robbed on Elm Street" &&
    expect_out "2019-03-04" && expect_out "3 records skipped" && ok

t stories_strict_stops_at_the_bad_line
run stories --strict "$tmp/c.jsonl"
expect_exit 4 && expect_err "c.jsonl:3:" && ok

t stories_min_size_and_clusters_file
run stories --min-size 2 --clusters "$tmp/cl.jsonl" "$tmp/c.jsonl"
expect_exit 0 && [ "$(wc -l <"$tmp/cl.jsonl")" -eq 2 ] &&
    python3 - "$tmp/cl.jsonl" <<'P' && ok || fail "clusters: $(cat "$tmp/cl.jsonl")"
import json, sys
cl = [json.loads(l) for l in open(sys.argv[1])]
groups = sorted(sorted(m["id"] for m in c["members"]) for c in cl)
assert groups == [["a1", "a2"], ["b1", "b2"]], groups
for c in cl:
    assert c["primary"] == c["members"][0]["id"]
    assert all(m["source"] and m["title"] and m["day"] for m in c["members"])
P

t stories_ids_stable_across_threads
run stories --threads 1 --clusters "$tmp/t1.jsonl" "$tmp/c.jsonl"
run stories --threads 4 --clusters "$tmp/t4.jsonl" "$tmp/c.jsonl"
cmp -s "$tmp/t1.jsonl" "$tmp/t4.jsonl" && ok || fail "threads change clusters"

t stories_explain_same_and_different
run stories --explain a1 a2 "$tmp/c.jsonl"
expect_exit 0 && expect_out "one story" && expect_out "Benning" &&
    expect_out "threshold" && ok
run stories --explain a1 b1 "$tmp/c.jsonl"
expect_exit 0 && expect_out "different stories" && expect_out "days apart" && ok
run stories --explain a1 b1 --json "$tmp/c.jsonl"
expect_exit 0 && python3 -c "
import json,sys; j=json.load(open('$tmp/out')); assert j['grouped'] is False and j['day_gap'] > 1000 and j['reason'], j" && ok ||
    fail "explain json: $(cat "$tmp/out")"
run stories --explain a1 nobody "$tmp/c.jsonl"
expect_exit 1 && expect_err "nobody" && ok

t stories_usage_errors
run stories
expect_exit 2 && expect_err "no input" && ok
run stories --threshold 2 "$tmp/c.jsonl"
expect_exit 2 && expect_err "threshold" && ok
run stories --idf "$tmp/missing.idf" "$tmp/c.jsonl"
expect_exit 3 && expect_err "missing.idf" && ok

t stories_idf_background
run idf build -o "$tmp/bg.idf" "$tmp/c.jsonl"
run stories --idf "$tmp/bg.idf" --min-size 2 "$tmp/c.jsonl"
expect_exit 0 && expect_out "2 with two" && ok

t stories_small_corpora_with_defaults
if [ -r "$REUTERS" ]; then
    for n in 2 20 200; do
        # the first n articles of 60 words or more
        python3 - "$REUTERS" "$n" >"$tmp/r$n.jsonl" <<'P'
import json, sys
n = int(sys.argv[2]); out = 0
for line in open(sys.argv[1]):
    d = json.loads(line)
    if len(d["text"].split()) >= 60:
        print(json.dumps({"id": d["id"], "date": d["date"], "title": d["title"], "text": d["text"]}))
        out += 1
        if out == n:
            break
P
        run stories --json "$tmp/r$n.jsonl"
        expect_exit 0 && python3 - "$tmp/out" "$n" <<'P' && ok || fail "r$n: $(head -c 300 "$tmp/out")"
import json, sys
j = json.load(open(sys.argv[1])); n = int(sys.argv[2])
assert j["documents"] == n, j["documents"]
assert sum(c["size"] for c in j["clusters"]) == n
# sensible: most documents of a random slice of a wire are their own story
assert j["in_groups"] <= n * 0.6, j["in_groups"]
assert j["closest_apart"] is None or 0 <= j["closest_apart"]["score"] <= 1
P
    done
    # two unrelated articles: nothing grouped, and the summary says why
    run stories "$tmp/r2.jsonl"
    expect_exit 0 && expect_out "threshold 0.15" &&
        { grep -qF "nothing grouped" "$tmp/out" || grep -qF "1 with two" "$tmp/out"; } &&
        ok || fail "$(cat "$tmp/out")"
else
    echo "skip: $REUTERS not readable"
fi

t stories_reuters_identical_bodies_in_one_story
if [ -r "$REUTERS" ]; then
    python3 - "$REUTERS" >"$tmp/ident.jsonl" <<'P'
import json, sys, collections
docs = [json.loads(l) for l in open(sys.argv[1])]
by = collections.defaultdict(list)
for d in docs:
    if d["text"].split():
        by[d["text"]].append(d)
# every group, the two dated 18 and 21 days apart included
groups = [g for g in by.values() if len(g) >= 2]
for g in groups:
    for d in g:
        print(json.dumps({"id": d["id"], "date": d["date"], "text": d["text"]}))
P
    run stories --clusters "$tmp/ic.jsonl" "$tmp/ident.jsonl"
    expect_exit 0 && python3 - "$tmp/ident.jsonl" "$tmp/ic.jsonl" <<'P' && ok || fail "identical bodies split"
import json, sys, collections
docs = [json.loads(l) for l in open(sys.argv[1])]
cl = {}
for c in map(json.loads, open(sys.argv[2])):
    for m in c["members"]:
        cl[m["id"]] = c["id"]
by = collections.defaultdict(set)
for d in docs:
    by[d["text"]].add(cl[d["id"]])
bad = [t[:60] for t, s in by.items() if len(s) != 1]
assert not bad, bad
P
else
    echo "skip: $REUTERS not readable"
fi

t stories_strong_link_guard_keeps_thin_pairs_apart
# A Dutch car-import statistic and a dividend notice two days apart share
# only "27.5": their score is over the average cut but no pair of either
# reaches --link-min, so they stay apart; with the guard off they merge.
if [ -r "$REUTERS" ]; then
    run stories --no-story --explain reuters-3506 reuters-5083 "$REUTERS"
    expect_exit 0 && expect_out "different stories" &&
        expect_out "below the 0.30 a document needs to join a story" && {
        run stories --no-story --link-min 0 --explain reuters-3506 reuters-5083 "$REUTERS"
        expect_exit 0 && expect_out "one story" && ok
    }
else
    echo "skip: $REUTERS not readable"
fi

finish

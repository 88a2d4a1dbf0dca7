#!/bin/bash
# index.sh DOPPEL: end-to-end tests of `doppel index`.
#
# Builds its corpora from Reuters-21578 ($DOPPEL_SHARED/data/reuters21578,
# read at test time, nothing copied into the repository) and checks:
# queries agree with `doppel dedup` on the same corpus (every cluster member
# is a hit of its kept document with the same score, and `add --dedup`
# flags every dropped document); create/add/re-add/remove/get/list/stats;
# parameter mismatch; stdin input; bad records reported with file:line and
# nothing else lost; --passages; --dedup and --skip-duplicates; map growth
# and --map-max; readers running while a writer adds; compact (and compact
# refused while another process has the index open); and the crash test:
# a real `doppel index add` killed with SIGKILL at random moments (at least
# 20 kills, fresh indexes and re-adds over an existing one), each time
# followed by `doppel index check` (every table walked) and a comparison of
# `doppel index list` with the input: exactly whole committed batches.
# Ends with "N passed, N failed"; exits non-zero when anything failed.
set -u
DOPPEL=$(readlink -f "${1:?usage: index.sh path/to/doppel}")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
SHARED=${DOPPEL_SHARED:-$root/../shared}
REUTERS=$SHARED/data/reuters21578/reuters.jsonl
KILLS=${INDEX_KILLS:-20}
# Under ASan every round is ~4x slower; the kill test there is about
# memory errors around a kill, which 8 kills on a smaller corpus show.
[ -n "${DOPPEL_UNDER_ASAN:-}" ] && KILLS=${INDEX_KILLS:-8}
tmp=$(mktemp -d /tmp/doppel-index.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; chmod -R u+rw "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

. "$here/common.bash"

# jget EXPR: evaluate a Python expression over the JSON on stdout (as j).
jget() {
    python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$tmp/out" "$1"
}

if [ ! -r "$REUTERS" ]; then
    echo "index.sh: missing $REUTERS (set DOPPEL_SHARED)"
    echo "0 passed, 1 failed"
    exit 1
fi

head -n 3000 "$REUTERS" >"$tmp/r3k.jsonl"
python3 - "$tmp/r3k.jsonl" "$tmp/r3k.ids" <<'EOF'
import json, sys
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as o:
    for line in f:
        o.write(json.loads(line)["id"] + "\n")
EOF

# ---------------------------------------------------------------- basics
t index_help_and_usage
run index --help
expect_exit 0 && grep -q "query DB" "$tmp/out" && {
    run index frobnicate "$tmp/x"
    expect_exit 2 && expect_err "unknown command" && {
        run index query
        expect_exit 2 && ok
    }
}

t index_create_and_parameters
run index create "$tmp/c" --threshold 0.9 --store-text --json
expect_exit 0 && [ "$(jget 'j["params"]["threshold"]')" = "0.9" ] &&
    [ "$(jget 'j["params"]["store_text"]')" = "True" ] && {
    run index create "$tmp/c"
    expect_exit 2 && expect_err "already exists" && {
        run index stats "$tmp/c" --json
        expect_exit 0 && [ "$(jget 'j["docs"]')" = "0" ] &&
            [ "$(jget 'j["params"]["bands"]')" -gt 0 ] && ok
    }
}

t index_missing_index
run index stats "$tmp/nothing-here"
expect_exit 3 && expect_err "no such index" && {
    run index query "$tmp/nothing-here" --id x
    expect_exit 3 && ok
}

# ------------------------------------------- agreement with doppel dedup
t index_query_agrees_with_dedup
run index add "$tmp/r" "$tmp/r3k.jsonl" --batch 1000
expect_exit 0 && expect_err "3000 added" &&
    "$DOPPEL" dedup --verify exact --clusters "$tmp/clusters.jsonl" --json \
        "$tmp/r3k.jsonl" >/dev/null 2>&1 &&
    python3 - "$DOPPEL" "$tmp/r" "$tmp/clusters.jsonl" >"$tmp/agree" 2>&1 <<'EOF'
import json, subprocess, sys
doppel, db, clusters = sys.argv[1:4]
bad = members = 0
for line in open(clusters):
    c = json.loads(line)
    out = subprocess.run([doppel, "index", "query", db, "--id", c["kept"],
                          "--json"], capture_output=True, text=True, check=True)
    hits = {h["id"]: h["score"] for h in json.loads(out.stdout)["hits"]}
    for m in c["members"][1:]:
        members += 1
        if m["id"] not in hits or abs(hits[m["id"]] - m["similarity"]) > 1e-4:
            bad += 1
            print("missing or different:", c["kept"], m, hits.get(m["id"]))
print("members", members, "bad", bad)
sys.exit(1 if bad or members < 20 else 0)
EOF
[ $? -eq 0 ] && ok || fail "$(tail -c 800 "$tmp/agree")"

t index_add_dedup_flags_what_dedup_drops
run index add "$tmp/rd" "$tmp/r3k.jsonl" --dedup --json
expect_exit 0 && python3 - "$tmp/out" "$tmp/clusters.jsonl" >"$tmp/agree" 2>&1 <<'EOF'
import json, sys
flag = {}
for line in open(sys.argv[1]):
    d = json.loads(line)
    flag[d["id"]] = d
dropped = [m["id"] for line in open(sys.argv[2])
           for m in json.loads(line)["members"][1:]]
miss = [i for i in dropped if not flag[i]["duplicate"]]
print("dropped", len(dropped), "flagged", sum(d["duplicate"] for d in flag.values()),
      "missed", miss[:5])
# every document dedup drops has an earlier near-duplicate in the index
sys.exit(1 if miss or len(dropped) < 20 else 0)
EOF
[ $? -eq 0 ] && ok || fail "$(tail -c 800 "$tmp/agree")"

# ---------------------------------------------------- the document cycle
t index_readd_replaces
python3 - "$tmp/r3k.jsonl" "$tmp/re.jsonl" "$tmp/old.txt" <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
d = json.loads(lines[9])          # reuters-10, long enough
open(sys.argv[3], "w").write(d["text"])
d["text"] = "A new text for an old id: the grain board said prices of " \
            "wheat and maize would be reviewed at the end of the month " \
            "after talks with the farmers' unions in the capital."
d["source"] = "re-added"
open(sys.argv[2], "w").write(json.dumps(d) + "\n")
EOF
id10=$(sed -n 10p "$tmp/r3k.ids")
run index query "$tmp/r" "$tmp/old.txt" --json
expect_exit 0 && [ "$(jget "'$id10' in [h['id'] for h in j['hits']]")" = True ] && {
    run index add "$tmp/r" "$tmp/re.jsonl"
    expect_exit 0 && expect_err "1 added (1 replaced)" && {
        run index query "$tmp/r" "$tmp/old.txt" --json
        expect_exit 0 &&
            [ "$(jget "'$id10' in [h['id'] for h in j['hits']]")" = False ] && {
            run index get "$tmp/r" "$id10" --json
            expect_exit 0 && [ "$(jget 'j["meta"]["source"]')" = "re-added" ] && {
                run index stats "$tmp/r" --json
                [ "$(jget 'j["docs"]')" = 3000 ] &&
                    [ "$(jget 'j["band_entries"] == 3000 * j["params"]["bands"]')" = True ] && {
                    run index check "$tmp/r"
                    expect_exit 0 && expect_out "ok, 3000 documents" && ok
                }
            }
        }
    }
}

t index_remove_get_list
run index remove "$tmp/r" "$id10" reuters-1
expect_exit 0 && {
    run index remove "$tmp/r" "$id10"
    expect_exit 1 && expect_err "no document with id" && {
        run index get "$tmp/r" reuters-1
        expect_exit 1 && {
            run index list "$tmp/r"
            [ "$(wc -l <"$tmp/out")" = 2998 ] && ! grep -qx reuters-1 "$tmp/out" && {
                run index check "$tmp/r"
                expect_exit 0 && ok
            }
        }
    }
}

t index_parameter_mismatch
run index add "$tmp/r" --shingle 4 "$tmp/re.jsonl"
expect_exit 2 && expect_err "shingle size 5, not 4" && {
    run index add "$tmp/r" --threshold 0.7 "$tmp/re.jsonl"
    expect_exit 2 && expect_err "threshold 0.8, not 0.7" && {
        run index add "$tmp/r" --store-text "$tmp/re.jsonl"
        expect_exit 2 && expect_err "does not store texts" && ok
    }
}

t index_stdin_input
printf 'Plain text from standard input about the harbour authority, which said the channel would stay closed until divers checked it for debris.\n' >"$tmp/plain.txt"
run_in "$tmp/re.jsonl" index add "$tmp/s" -
expect_exit 0 && expect_err "1 added" && {
    run_in "$tmp/plain.txt" index add "$tmp/s" -
    expect_exit 0 && {
        run index list "$tmp/s"
        expect_out "-" && {
            run_in "$tmp/plain.txt" index query "$tmp/s" --json
            expect_exit 0 && [ "$(jget 'j["hits"][0]["id"]')" = "-" ] &&
                [ "$(jget 'j["hits"][0]["score"]')" = 1.0 ] && ok
        }
    }
}

t index_bad_records_reported_nothing_lost
{
    sed -n 1,3p "$tmp/r3k.jsonl"
    echo '{"id": "broken", "text": "unterminated'
    echo '{"id": "notext"}'
    echo '{"id": "nowords", "text": "  -- ... !!"}'
    printf '{"id": "badutf8", "text": "caf\xc3 au lait"}\n'
    sed -n 4,5p "$tmp/r3k.jsonl"
} >"$tmp/bad.jsonl"
run index add "$tmp/b" "$tmp/bad.jsonl"
expect_exit 0 && expect_err "bad.jsonl:4:" && expect_err "bad.jsonl:5:" &&
    expect_err "bad.jsonl:6: id 'nowords': no words" &&
    expect_err "bad.jsonl:7:" && expect_err "5 added" && {
    run index list "$tmp/b"
    [ "$(tr '\n' ' ' <"$tmp/out")" = "$(head -n 5 "$tmp/r3k.ids" | tr '\n' ' ')" ] && {
        run index add "$tmp/b2" --strict "$tmp/bad.jsonl"
        expect_exit 4 && {
            run index list "$tmp/b2"
            [ "$(wc -l <"$tmp/out")" = 3 ] && ok # the records before it
        }
    }
} || fail "list: $(tr '\n' ' ' <"$tmp/out")"

t index_passages_with_stored_text
run index add "$tmp/p" --store-text "$tmp/r3k.jsonl" --batch 3000
expect_exit 0 && {
    python3 - "$tmp/r3k.jsonl" "$tmp/edited.txt" <<'EOF'
import json, sys
d = json.loads(open(sys.argv[1]).read().splitlines()[1])
open(sys.argv[2], "w").write("EDITOR'S NOTE: reprinted. " + d["text"])
EOF
    run index query "$tmp/p" "$tmp/edited.txt" --passages --json
    expect_exit 0 && [ "$(jget 'j["hits"][0]["id"]')" = "$(sed -n 2p "$tmp/r3k.ids")" ] &&
        [ "$(jget 'len(j["hits"][0]["passages"]) >= 1 and j["hits"][0]["passages"][0]["words"] > 20')" = True ] &&
        [ "$(jget 'j["hits"][0]["passages"][0]["text"] in open("'"$tmp/edited.txt"'").read()')" = True ] && {
        run index query "$tmp/p" --id "$(sed -n 2p "$tmp/r3k.ids")" --passages --threshold 0.5
        expect_exit 0 && {
            run index query "$tmp/r" "$tmp/edited.txt" --passages
            expect_exit 2 && expect_err "needs stored texts" && ok
        }
    }
}

t index_dedup_and_skip_duplicates
python3 - "$tmp/r3k.jsonl" "$tmp/dups.jsonl" <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
out = open(sys.argv[2], "w")
for i in (1, 2):
    d = json.loads(lines[i])
    d["id"] = "copy-of-" + d["id"]
    out.write(json.dumps(d) + "\n")
out.write(json.dumps({"id": "fresh", "text": "An entirely fresh story about "
          "a lighthouse keeper who painted the tower blue and green."}) + "\n")
EOF
run index add "$tmp/p" --dedup "$tmp/dups.jsonl"
expect_exit 0 && [ "$(grep -c 'duplicate of' "$tmp/out")" = 2 ] &&
    expect_out "copy-of-$(sed -n 2p "$tmp/r3k.ids")	duplicate of	$(sed -n 2p "$tmp/r3k.ids")	1.0000" && {
    sed 's/copy-of-/copy2-of-/' "$tmp/dups.jsonl" >"$tmp/dups2.jsonl"
    run index add "$tmp/p" --skip-duplicates --json "$tmp/dups2.jsonl"
    expect_exit 0 && expect_err "2 near-duplicates not added" &&
        [ "$(grep -c '"status":"skipped"' "$tmp/out")" = 2 ] && {
        run index get "$tmp/p" copy2-of-reuters-2
        expect_exit 1 && ok
    }
}

t index_map_grows_and_map_max_limits
run index add "$tmp/m" --map-size 256K --store-text "$tmp/r3k.jsonl" --batch 500
expect_exit 0 && {
    run index stats "$tmp/m" --json
    [ "$(jget 'j["used_bytes"] > 4 * 256 * 1024 and j["docs"] == 3000')" = True ] && {
        run index add "$tmp/mm" --map-max 4M --store-text "$tmp/r3k.jsonl" --batch 100
        expect_exit 3 && expect_err "maximum" && {
            run index stats "$tmp/mm" --json
            n=$(jget 'j["docs"]')
            [ $((n % 100)) = 0 ] && [ "$n" -gt 0 ] && [ "$n" -lt 3000 ] && {
                run index check "$tmp/mm"
                expect_exit 0 && ok
            }
        }
    }
} || fail "stats: $(cat "$tmp/out")"

t index_readers_while_a_writer_adds
head -n 12000 "$REUTERS" >"$tmp/r12k.jsonl"
"$DOPPEL" index add "$tmp/w" "$tmp/r12k.jsonl" --batch 200 --store-text -q 2>"$tmp/w.err" &
wpid=$!
reads=0
rfail=0
while kill -0 $wpid 2>/dev/null; do
    if "$DOPPEL" index stats "$tmp/w" >/dev/null 2>&1; then
        "$DOPPEL" index query "$tmp/w" "$tmp/old.txt" >/dev/null 2>"$tmp/q.err" || rfail=$((rfail + 1))
        "$DOPPEL" index check "$tmp/w" -q 2>"$tmp/q.err" || rfail=$((rfail + 1))
        reads=$((reads + 1))
    fi
done
wait $wpid
wrc=$?
if [ $wrc -eq 0 ] && [ $rfail -eq 0 ] && [ $reads -gt 2 ]; then
    ok
else
    fail "writer exit $wrc, $reads read rounds, $rfail failed: $(cat "$tmp/q.err" "$tmp/w.err" | head -c 400)"
fi

t index_map_grown_by_another_process_is_adopted
# A slow writer (documents trickling in on stdin) opened the index with a
# 1 MiB map; meanwhile another process fills the file far past that. The
# slow writer's next transaction must adopt the new size (MDB_MAP_RESIZED)
# and go on.
run index create "$tmp/g" --store-text
{
    sed -n 1,2p "$tmp/r3k.jsonl"
    sleep 4
    sed -n 3,4p "$tmp/r3k.jsonl"
} | "$DOPPEL" index add "$tmp/g" - --map-size 1M --batch 1 --dedup --json >"$tmp/slow.out" 2>"$tmp/slow.err" &
spid=$!
sleep 1
"$DOPPEL" index add "$tmp/g" "$tmp/r12k.jsonl" --batch 2000 -q 2>"$tmp/g.err"
grc=$?
wait $spid
src=$?
if [ $grc = 0 ] && [ $src = 0 ] && [ "$(grep -c '"status"' "$tmp/slow.out")" = 4 ] &&
    "$DOPPEL" index check "$tmp/g" >/dev/null 2>"$tmp/g.err"; then
    ok
else
    fail "big add $grc, slow add $src: $(cat "$tmp/slow.err" "$tmp/g.err" | head -c 600)"
fi

t index_compact
run index remove "$tmp/m" $(sed -n '1,1500p' "$tmp/r3k.ids")
expect_exit 0 && {
    before=$(stat -c %s "$tmp/m/data.mdb")
    run index compact "$tmp/m"
    after=$(stat -c %s "$tmp/m/data.mdb")
    expect_exit 0 && [ "$after" -lt "$before" ] && {
        run index check "$tmp/m"
        expect_exit 0 && expect_out "ok, 1500 documents" && {
            # another process holding the index open: compact is refused
            sleep 3 | "$DOPPEL" index add "$tmp/m" - -q &
            sleep 0.5
            run index compact "$tmp/m"
            wait
            expect_exit 3 && expect_err "compact needs it alone" && ok
        }
    }
} || fail "sizes $before -> $after"

# --------------------------------------------------------- kill -9 test
# Input: all of Reuters (3000 articles and 8 kills under ASan), with texts
# stored (bigger transactions). Each
# round runs `doppel index add --batch $B` and SIGKILLs it after a random
# delay; odd rounds start from a fresh index, even rounds re-add the same
# documents over the previous round's index (replacing them, deleting
# band keys). After each kill: `index check` must pass, the count must be
# whole batches, and `index list` (seq order) must be exactly what the
# committed batches leave: fresh: the first c ids; re-add over p ids: ids
# c..p-1 (not yet replaced) followed by the first c (or the first c when
# c > p).
t index_kill9_leaves_whole_transactions
B=250
if [ -n "${DOPPEL_UNDER_ASAN:-}" ]; then
    head -n 3000 "$REUTERS" >"$tmp/all.jsonl" # ASan is ~4x slower
else
    cp "$REUTERS" "$tmp/all.jsonl"
fi
python3 - "$tmp/all.jsonl" "$tmp/all.ids" <<'EOF'
import json, sys
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as o:
    for line in f:
        o.write(json.loads(line)["id"] + "\n")
EOF
total=$(wc -l <"$tmp/all.ids")
start=$(python3 -c "import time; print(time.time())")
"$DOPPEL" index add "$tmp/k0" "$tmp/all.jsonl" --batch $B --store-text -q 2>/dev/null
full=$(python3 -c "import time; print(round(time.time() - $start, 2))")
kills=0
rounds=0
kfail=0
p=0
while [ $kills -lt "$KILLS" ] && [ $rounds -lt $((KILLS * 3)) ]; do
    rounds=$((rounds + 1))
    if [ $((rounds % 2)) = 1 ]; then
        rm -rf "$tmp/k"
        p=0
    fi
    # a delay in [0.02, 0.95 * full run) seconds, spread over the run
    delay=$(python3 -c "import random; print(round(random.uniform(0.02, 0.95 * $full), 3))")
    "$DOPPEL" index add "$tmp/k" "$tmp/all.jsonl" --batch $B --store-text -q 2>/dev/null &
    kpid=$!
    sleep "$delay"
    if kill -9 $kpid 2>/dev/null; then
        wait $kpid 2>/dev/null
        [ $? = 137 ] && kills=$((kills + 1))
    else
        wait $kpid 2>/dev/null
    fi
    if [ ! -e "$tmp/k/data.mdb" ]; then
        c=0 # killed before the index existed
    else
        if ! "$DOPPEL" index check "$tmp/k" >"$tmp/kc" 2>&1; then
            kfail=$((kfail + 1))
            fail "round $rounds (delay $delay): check: $(cat "$tmp/kc")"
            continue
        fi
        "$DOPPEL" index list "$tmp/k" >"$tmp/klist" 2>"$tmp/kerr" || {
            kfail=$((kfail + 1))
            fail "round $rounds: list failed: $(cat "$tmp/kerr")"
            continue
        }
        n=$(wc -l <"$tmp/klist")
        # find c: the committed prefix of this round
        c=$(python3 - "$tmp/klist" "$tmp/all.ids" "$p" "$B" <<'EOF'
import sys
got = open(sys.argv[1]).read().split("\n")[:-1]
ids = open(sys.argv[2]).read().split("\n")[:-1]
p, B = int(sys.argv[3]), int(sys.argv[4])
for c in list(range(0, len(ids) + 1, B)) + [len(ids)]:
    want = ids[c:p] + ids[:c] if c <= p else ids[:c]
    if got == want:
        print(c)
        break
else:
    print(-1)
EOF
)
        if [ "$c" = -1 ]; then
            kfail=$((kfail + 1))
            fail "round $rounds (delay $delay, p=$p): $n ids are not whole committed batches"
            continue
        fi
    fi
    # the count agrees with stats too
    if [ -e "$tmp/k/data.mdb" ]; then
        docs=$("$DOPPEL" index stats "$tmp/k" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["docs"])')
        want=$((c > p ? c : p))
        [ "$docs" = "$want" ] || { kfail=$((kfail + 1)); fail "round $rounds: stats says $docs, expected $want"; }
    fi
    p=$((c > p ? c : p))
done
echo "kill -9 test: $kills kills in $rounds rounds (full run ${full}s, batch $B), $kfail bad"
if [ $kills -ge "$KILLS" ] && [ $kfail -eq 0 ]; then ok; else fail "$kills kills, $kfail inconsistent"; fi

finish

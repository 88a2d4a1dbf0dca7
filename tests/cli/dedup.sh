#!/bin/bash
# dedup.sh DOPPEL: acceptance tests of `doppel dedup` against brute force.
#
# Builds a corpus of ~3,000 Reuters-21578 articles rich in near-duplicates
# ($DOPPEL_SHARED/data/reuters21578, picked at test time, nothing copied into
# the repository), computes the exact 5-shingle Jaccard of every pair in
# Python (dedup_check.py: an independent tokenizer and an inverted index) and
# checks doppel's clusters against it; then the Reuters identical-body
# groups, determinism over thread counts and runs, keep policies, the
# keep/drop/output files, bad and duplicate records, short documents and
# --explain, on small hand-made inputs.
# Ends with "N passed, N failed"; exits non-zero when anything failed.
set -u
DOPPEL=$(readlink -f "${1:?usage: dedup.sh path/to/doppel}")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
SHARED=${DOPPEL_SHARED:-$root/../shared}
REUTERS=$SHARED/data/reuters21578/reuters.jsonl
CHECK="python3 $here/dedup_check.py"
tmp=$(mktemp -d /tmp/doppel-dedup.XXXXXX)
trap 'chmod -R u+rw "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

. "$here/common.bash"

# check ARGS...: run a dedup_check.py subcommand; its output is shown on
# failure (and always for the subcommands that print figures).
check() {
    if $CHECK "$@" >"$tmp/check" 2>&1; then
        return 0
    fi
    fail "$(tr '\n' ' ' <"$tmp/check" | head -c 1500)"
    return 1
}

if [ ! -r "$REUTERS" ]; then
    echo "dedup.sh: missing $REUTERS (set DOPPEL_SHARED)"
    echo "0 passed, 1 failed"
    exit 1
fi

# ------------------------------------------------ brute force, ~3,000 docs
C=$tmp/corpus.jsonl
$CHECK corpus "$REUTERS" "$C" 3000 1 >/dev/null

t dedup_corpus_runs
run dedup --threshold 0.8 --clusters "$tmp/c.jsonl" --keep-ids "$tmp/keep" \
    --drop-ids "$tmp/drop" --output "$tmp/kept.jsonl" --json "$C"
expect_exit 0 && cp "$tmp/out" "$tmp/summary.json" && ok

t dedup_brute_force_star_clusters
if check brute "$C" "$tmp/c.jsonl" 0.8; then ok; fi
sed -n '1,/^pairs at/p' "$tmp/check" | grep -v FAIL | sed 's/^/  /'

t dedup_summary_counts
nclusters=$(grep -c . "$tmp/c.jsonl")
ndrop=$(grep -c . "$tmp/drop")
check summary "$tmp/summary.json" docs=3000 skipped=0 dup_ids=0 \
    clusters="$nclusters" duplicates="$ndrop" exact=true bands=">=1" \
    rows=">=1" && ok

t dedup_keep_drop_partition
check partition "$C" "$tmp/c.jsonl" "$tmp/keep" "$tmp/drop" && ok

t dedup_output_is_kept_lines_unchanged
check output "$C" "$tmp/keep" "$tmp/kept.jsonl" && ok

t dedup_same_clusters_threads_1_2_and_reruns
run dedup --threads 1 --clusters "$tmp/c1.jsonl" "$C"
expect_exit 0 && {
    run dedup --threads 2 --clusters "$tmp/c2.jsonl" "$C"
    run dedup --threads 2 --clusters "$tmp/c3.jsonl" "$C"
    if cmp -s "$tmp/c1.jsonl" "$tmp/c2.jsonl" && cmp -s "$tmp/c2.jsonl" "$tmp/c3.jsonl" &&
        cmp -s "$tmp/c1.jsonl" "$tmp/c.jsonl"; then ok; else
        fail "--clusters differ between --threads 1, 2, a rerun or the default"
    fi
}

t dedup_gzip_and_stdin_same_clusters
gzip -c "$C" >"$tmp/corpus.jsonl.gz"
run dedup --clusters "$tmp/cgz.jsonl" "$tmp/corpus.jsonl.gz"
expect_exit 0 && {
    "$DOPPEL" dedup --clusters "$tmp/cstdin.jsonl" - <"$C" >/dev/null 2>"$tmp/err"
    r=$?
    if [ $r = 0 ] && cmp -s "$tmp/c.jsonl" "$tmp/cgz.jsonl" &&
        cmp -s "$tmp/c.jsonl" "$tmp/cstdin.jsonl"; then ok; else
        fail "gzip or stdin input gives other clusters (stdin exit $r)"
    fi
}

t dedup_estimate_mode_close_to_exact
run dedup --verify estimate --clusters "$tmp/ce.jsonl" --json "$C"
expect_exit 0 && check summary "$tmp/out" exact=false docs=3000 && {
    # Same star-cluster guarantees, with the estimate's s.d. (~0.035 at 0.8)
    # allowed for: only the counts are compared here.
    a=$(grep -c . "$tmp/c.jsonl")
    b=$(grep -c . "$tmp/ce.jsonl")
    if [ $((a > b ? a - b : b - a)) -le $((a / 10 + 2)) ]; then ok; else
        fail "estimate gives $b clusters, exact $a"
    fi
}

t dedup_bands_rows_by_hand
run dedup --bands 16 --rows 8 --json "$C"
expect_exit 0 && check summary "$tmp/out" bands=16 rows=8 && ok

t dedup_explain_pair
read -r ea eb < <($CHECK pick-pair "$C" 0.8 0.95)
run dedup --explain "$ea" "$eb" "$C"
expect_exit 0 && check explain "$C" "$ea" "$eb" "$tmp/out" && ok

t dedup_brute_force_synthetic_families
# Groups of 2-5 edited variants (bench/gen_corpus.py): variants near the
# original but not always near each other, where the star rule matters.
if python3 "$root/bench/gen_corpus.py" --docs 3000 --dup-frac 0.6 --seed 7 \
    --out "$tmp/gen" >/dev/null 2>"$tmp/gen.err"; then
    run dedup --clusters "$tmp/cg.jsonl" "$tmp/gen/corpus.jsonl"
    expect_exit 0 && check brute "$tmp/gen/corpus.jsonl" "$tmp/cg.jsonl" 0.8 && ok
    sed -n '1,/^pairs at/p' "$tmp/check" | grep -v FAIL | sed 's/^/  /'
else
    fail "gen_corpus.py: $(tail -c 300 "$tmp/gen.err")"
fi

# ----------------------------------------- whole Reuters: identical bodies
t dedup_reuters_identical_groups_found
run dedup --threads 2 --clusters "$tmp/r2.jsonl" --json "$REUTERS"
expect_exit 0 && check summary "$tmp/out" docs=19043 skipped=0 &&
    check exact-groups "$REUTERS" "$tmp/r2.jsonl" && ok
grep identical "$tmp/check" | sed 's/^/  /'

t dedup_reuters_threads_1_same_clusters
run dedup --threads 1 --clusters "$tmp/r1.jsonl" "$REUTERS"
expect_exit 0 && {
    if cmp -s "$tmp/r1.jsonl" "$tmp/r2.jsonl"; then ok; else
        fail "whole-Reuters clusters differ between --threads 1 and 2"
    fi
}

# ------------------------------------------------------------ keep policy
# Three versions of one story: A first (shortest), B the longest, C the
# earliest dated; D an unrelated story.
story="The central bank said on Tuesday it would keep its main lending rate \
unchanged at 7.5 pct after a meeting of its policy board, citing steady \
inflation and a recovery in exports that had been slower than expected in \
the first quarter. Economists polled last week had expected the decision, \
although two of them had forecast a cut of a quarter point. The bank said \
the currency had been stable against the dollar and that money supply \
growth was within its target range of six to nine pct for the year. It \
added that it would watch oil prices and wage settlements closely in the \
coming months before changing its stance."
other="Wheat farmers in the northern plains planted more acres this spring \
than at any time in the last decade, the agriculture department said in a \
report that surprised traders and sent futures prices lower in early \
trading on the Chicago board of trade on Thursday morning."
python3 - "$tmp/keep.jsonl" "$story" "$other" <<'EOF'
import json, sys
path, story, other = sys.argv[1:4]
docs = [
    {"id": "A", "date": "1987-03-05", "text": story},
    {"id": "D", "date": "1987-03-01", "text": other},
    {"id": "B", "date": "1987-03-04", "text": story + " A spokesman declined to comment."},
    {"id": "C", "date": "1987-03-02T09:00:00", "text": story.replace("7.5 pct", "7.5 per cent")},
]
with open(path, "w") as f:
    for d in docs:
        f.write(json.dumps(d) + "\n")
EOF

t dedup_keep_first
run dedup --keep first --clusters "$tmp/k.jsonl" "$tmp/keep.jsonl"
expect_exit 0 && check kept "$tmp/k.jsonl" A B C && check apart "$tmp/k.jsonl" A D && ok

t dedup_keep_longest
run dedup --keep longest --clusters "$tmp/k.jsonl" "$tmp/keep.jsonl"
expect_exit 0 && check kept "$tmp/k.jsonl" B A C && ok

t dedup_keep_earliest
run dedup --keep earliest --clusters "$tmp/k.jsonl" "$tmp/keep.jsonl"
expect_exit 0 && check kept "$tmp/k.jsonl" C A B && ok

t dedup_keep_earliest_date_field
sed 's/"date"/"published"/' "$tmp/keep.jsonl" >"$tmp/keep2.jsonl"
run dedup --keep earliest --date-field published --clusters "$tmp/k.jsonl" "$tmp/keep2.jsonl"
expect_exit 0 && check kept "$tmp/k.jsonl" C A B && ok

t dedup_id_text_fields
sed 's/"id"/"key"/; s/"text"/"body"/' "$tmp/keep.jsonl" >"$tmp/keep3.jsonl"
run dedup --id-field key --text-field body --clusters "$tmp/k.jsonl" "$tmp/keep3.jsonl"
expect_exit 0 && check kept "$tmp/k.jsonl" A B C && ok

t dedup_directory_of_text_files
mkdir -p "$tmp/dir/sub"
printf '%s\n' "$story" >"$tmp/dir/a.txt"
printf '%s\n' "$other" >"$tmp/dir/b.txt"
printf '%s\n' "$story" | sed 's/7.5 pct/7.5 per cent/' >"$tmp/dir/sub/c.txt"
run dedup --clusters "$tmp/k.jsonl" --json "$tmp/dir"
expect_exit 0 && check summary "$tmp/out" docs=3 clusters=1 duplicates=1 &&
    check together "$tmp/k.jsonl" "$tmp/dir/a.txt" "$tmp/dir/sub/c.txt" && ok

# ------------------------------------------------------------ bad records
python3 - "$tmp" "$story" "$other" <<'EOF'
import json, sys
tmp, story, other = sys.argv[1:4]
with open(tmp + "/bad.jsonl", "w") as f:
    f.write(json.dumps({"id": "g1", "text": story}) + "\n")          # line 1
    f.write(json.dumps({"id": "g2", "text": other}) + "\n")          # line 2
    f.write('{"id": "broken", "text": "no closing quote}\n')           # line 3
    f.write(json.dumps({"id": "g3", "text": story + " Extra."}) + "\n")  # line 4
    f.write(json.dumps({"id": "notext", "body": story}) + "\n")       # line 5
    f.write(json.dumps({"id": "g4", "text": other + " Traders said."}) + "\n")  # line 6
with open(tmp + "/bad.txt", "wb") as f:
    f.write(b"Some text with an invalid byte \xff in the middle of it here.\n")
EOF
t dedup_bad_records_reported_and_skipped
# The missing input fails the run (exit 3), after everything else was read
# and every output written.
run dedup --clusters "$tmp/b.jsonl" --json "$tmp/bad.jsonl" "$tmp/bad.txt" "$tmp/missing.jsonl"
expect_exit 3 && expect_err "doppel dedup: $tmp/bad.jsonl:3: " &&
    expect_err "doppel dedup: $tmp/bad.jsonl:5: " &&
    expect_err_re "^doppel dedup: $tmp/bad.txt(:1)?: invalid UTF-8" &&
    expect_err "doppel dedup: $tmp/missing.jsonl: No such file" &&
    expect_no_err "$tmp/bad.jsonl:3: $tmp/bad.jsonl" &&
    check summary "$tmp/out" docs=4 skipped=4 clusters=2 duplicates=2 &&
    check together "$tmp/b.jsonl" g1 g3 && check together "$tmp/b.jsonl" g2 g4 && ok

t dedup_unreadable_file_reported
cp "$tmp/keep.jsonl" "$tmp/noperm.jsonl"
chmod 000 "$tmp/noperm.jsonl"
if [ -r "$tmp/noperm.jsonl" ]; then
    # root reads any file: /proc/self/mem fails to read (EIO) even for root.
    unreadable=/proc/self/mem
else
    unreadable="$tmp/noperm.jsonl"
fi
run dedup --json "$unreadable" "$tmp/keep.jsonl"
expect_exit 3 && expect_err "doppel dedup: $unreadable: " &&
    check summary "$tmp/out" docs=4 skipped=">=1" && ok

t dedup_missing_input_exits_3
run dedup nosuch.jsonl
expect_exit 3 && expect_err "doppel dedup: nosuch.jsonl: No such file or directory" &&
    expect_no_err "nosuch.jsonl: nosuch.jsonl" && ok

t dedup_strict_exits_4
run dedup --strict "$tmp/bad.jsonl"
expect_exit 4 && expect_err "bad.jsonl:3" && ok

t dedup_strict_unreadable_exits_3
run dedup --strict "$tmp/keep.jsonl" "$tmp/missing.jsonl"
expect_exit 3 && expect_err "missing.jsonl" && ok

t dedup_strict_clean_input_exits_0
run dedup --strict "$tmp/keep.jsonl"
expect_exit 0 && ok

t dedup_duplicate_ids_reported
python3 - "$tmp/dup.jsonl" "$story" "$other" <<'EOF'
import json, sys
path, story, other = sys.argv[1:4]
with open(path, "w") as f:
    f.write(json.dumps({"id": "x1", "text": story}) + "\n")
    f.write(json.dumps({"id": "x2", "text": other}) + "\n")
    f.write(json.dumps({"id": "x1", "text": other + " Again."}) + "\n")
    f.write(json.dumps({"id": "e", "text": "!!! ... ???"}) + "\n")
    f.write(json.dumps({"id": "e", "text": story + " Once more."}) + "\n")
EOF
# First wins: line 3 repeats x1 (line 1) and is skipped, never kept; line 4
# has no words, so line 5 is the first usable 'e'.
run dedup --json --keep-ids "$tmp/dk" --output "$tmp/do.jsonl" "$tmp/dup.jsonl"
expect_exit 0 &&
    expect_err "doppel dedup: $tmp/dup.jsonl:3: duplicate id 'x1' (first at $tmp/dup.jsonl:1), skipped" &&
    expect_err "doppel dedup: $tmp/dup.jsonl:4: id 'e': no words, skipped" &&
    expect_no_err "record" &&
    check summary "$tmp/out" docs=3 dup_ids=1 skipped=2 && {
    if [ "$(grep -c '^x1$' "$tmp/dk")" = 1 ] && ! grep -q Again "$tmp/do.jsonl"; then ok; else
        fail "x1 kept twice or its second record written: $(tr '\n' ' ' <"$tmp/dk")"
    fi
}

t dedup_duplicate_id_of_whole_files_names_both
mkdir -p "$tmp/d2"
printf '%s\n' "$story" >"$tmp/d2/a.txt"
run dedup "$tmp/d2/a.txt" "$tmp/d2/a.txt"
expect_exit 0 && expect_err "doppel dedup: $tmp/d2/a.txt: duplicate id '$tmp/d2/a.txt' (first at $tmp/d2/a.txt), skipped" && ok

t dedup_wordless_file_named_once
printf '... !!! ***\n' >"$tmp/d2/stars.txt"
run dedup "$tmp/d2/a.txt" "$tmp/d2/stars.txt"
expect_exit 0 && expect_err "doppel dedup: $tmp/d2/stars.txt: no words, skipped" &&
    expect_no_err "id '$tmp/d2/stars.txt'" && ok

# ---------------------------------------------------------- short documents
t dedup_short_documents_not_merged
python3 - "$tmp/short.jsonl" <<'EOF'
import json, sys
texts = {
    "s1": "Oil prices rose.", "s2": "Oil prices fell.", "s3": "Gold up",
    "s4": "Wheat crop lower", "s5": "1010", "s6": "Reuter",
    "s7": "Bank rate cut", "s8": "Talks end today",
    "t1": "Gold down sharply", "t2": "GOLD down, sharply!",  # same words
}
with open(sys.argv[1], "w") as f:
    for k, v in texts.items():
        f.write(json.dumps({"id": k, "text": v}) + "\n")
EOF
run dedup --clusters "$tmp/s.jsonl" --json "$tmp/short.jsonl"
expect_exit 0 && check summary "$tmp/out" docs=10 clusters=1 duplicates=1 &&
    check apart "$tmp/s.jsonl" s1 s2 s3 s4 s5 s6 s7 s8 t1 &&
    check together "$tmp/s.jsonl" t1 t2 && ok

# ------------------------------------------------ messages and decisions
CLOUGH=$SHARED/data/clough-stevenson/corpus-20090418
t dedup_invalid_utf8_hint_once_in_summary
if [ -d "$CLOUGH" ]; then
    run dedup --json "$CLOUGH"
    # 17 of the 100 files are not valid UTF-8: each is named, and the
    # summary says once how to read them.
    expect_exit 0 && check summary "$tmp/out" docs=83 skipped=17 &&
        expect_err "invalid UTF-8 17" && {
        n=$(grep -c "use --invalid-utf8 replace" "$tmp/err")
        k=$(grep -c "^doppel dedup: $CLOUGH/g[^ ]*\.txt\(:[0-9]*\)\?: invalid UTF-8" "$tmp/err")
        if [ "$n" = 1 ] && [ "$k" = 17 ]; then
            run dedup --json --invalid-utf8 replace "$CLOUGH"
            expect_exit 0 && check summary "$tmp/out" docs=100 skipped=0 &&
                expect_no_err "invalid-utf8" && ok
        else
            fail "hint printed $n times (want 1), $k files named (want 17)"
        fi
    }
else
    fail "missing $CLOUGH (set DOPPEL_SHARED)"
fi

t dedup_explain_below_threshold_says_so
read -r ea eb < <($CHECK pick-pair "$C" 0.6 0.8)
run dedup -q --explain "$ea" "$eb" "$C"
expect_exit 0 && expect_out "grouped            no: their exact Jaccard" &&
    expect_out "is below the threshold 0.8000" && expect_no_err "within the threshold" && {
    if grep -q "within the threshold of its own" "$tmp/out"; then fail "star rule given as the reason"; else ok; fi
}

t dedup_explain_star_rule_names_kept_documents
# K1 and K2 share 40 of 240 words' shingles less (Jaccard ~0.66); X sits
# between them (~0.82 to each). K1 comes first and keeps X; K2 stays alone,
# though X and K2 are near-duplicates: stars never chain.
python3 - "$tmp/star.jsonl" <<'EOF'
import json, random, sys
rng = random.Random(5)
vocab = ["w%04d" % i for i in range(5000)]
words = rng.sample(vocab, 240)
docs = [("K1", words[0:200]), ("K2", words[40:240]), ("X", words[20:220])]
with open(sys.argv[1], "w") as f:
    for i, w in docs:
        f.write(json.dumps({"id": i, "text": " ".join(w)}) + "\n")
EOF
run dedup -q --explain X K2 "$tmp/star.jsonl"
expect_exit 0 && expect_out "reaches the threshold" && expect_out "stars around a kept" &&
    expect_out "A is in cluster 0, whose kept document is 'K1'" &&
    expect_out "B is in no cluster" && ok

t dedup_explain_needs_two_ids
run dedup --explain onlyone
expect_exit 2 && expect_err "doppel dedup: --explain needs two ids" &&
    expect_err "try 'doppel dedup --help'" && expect_no_err "(needs two ids)" && ok

t dedup_explain_unknown_id_exits_1
run dedup -q --explain A nosuch "$tmp/keep.jsonl"
expect_exit 1 && expect_err "no document with id 'nosuch'" && ok

t dedup_keep_earliest_without_dates_warns
sed 's/"date": "[^"]*", //' "$tmp/keep.jsonl" >"$tmp/nodate.jsonl"
run dedup --keep earliest --clusters "$tmp/k.jsonl" "$tmp/nodate.jsonl"
expect_exit 0 && expect_err "warning: --keep earliest, but no record has a 'date' field" &&
    check kept "$tmp/k.jsonl" A B C && ok

t dedup_output_file_keeps_stdout_clean
run dedup --output "$tmp/o.jsonl" "$tmp/keep.jsonl"
expect_exit 0 && expect_empty_out && {
    run dedup --output - "$tmp/keep.jsonl"
    if [ "$(grep -c . "$tmp/o.jsonl")" != 2 ] || [ "$(grep -c '"id"' "$tmp/out")" != 2 ]; then
        fail "--output did not write the 2 kept records"
    elif grep -q "^cluster" "$tmp/out"; then
        fail "clusters printed with --output -"
    else
        expect_exit 0 && ok
    fi
}

t dedup_summary_plurals
run dedup --threads 1 "$tmp/keep.jsonl"
expect_exit 0 && expect_err "1 cluster, 2 duplicates to drop" && expect_err "1 thread" &&
    expect_no_err "1 clusters" && expect_no_err "1 threads" && expect_out "3 documents, keep A" && ok

t dedup_usage_errors_are_short
run dedup
expect_exit 2 && expect_err "doppel dedup: no INPUT given" && expect_err "try 'doppel dedup --help'" && {
    n=$(wc -l <"$tmp/err")
    run dedup --frobnicate x
    if [ "$n" -le 3 ] && [ "$(rc)" = 2 ] && grep -q "^doppel dedup: unrecognized option '--frobnicate'" "$tmp/err"; then ok; else
        fail "usage error is $n lines / unknown option: $(head -c 200 "$tmp/err")"
    fi
}

t dedup_keep_first_is_input_order_for_plain_files
mkdir -p "$tmp/ord/a"
for f in a.txt a/x.txt b.txt; do printf '%s\n' "$story" >"$tmp/ord/$f"; done
run dedup -q "$tmp/ord/b.txt" "$tmp/ord/a.txt"
expect_exit 0 && expect_out "keep $tmp/ord/b.txt" && {
    # a directory: depth first, names in byte order ("a" before "a.txt")
    run dedup -q "$tmp/ord"
    expect_exit 0 && expect_out "keep $tmp/ord/a/x.txt" && ok
}

finish

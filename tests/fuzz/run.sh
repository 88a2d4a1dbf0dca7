#!/bin/bash
# run.sh BUILDDIR [SECONDS]: replay each fuzz target's saved corpus, then
# (when the libFuzzer binaries were built) fuzz each target for SECONDS,
# starting from the corpus. New inputs go to a scratch copy, not the tree.
# Prints "N passed, N failed": one test per replay and per fuzz run.
set -u
build=${1:?usage: run.sh BUILDDIR [SECONDS]}
secs=${2:-20}
here=$(cd "$(dirname "$0")" && pwd)
passed=0
failed=0
scratch=$(mktemp -d /tmp/doppel-fuzz.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
for t in doc compare jsonl csv http index idf stories; do
    corpus=$here/corpus/$t
    if "$build/tests/fuzz/fuzz_${t}_replay" "$corpus" >"$scratch/replay.log" 2>&1; then
        passed=$((passed + 1))
        echo "replay fuzz_$t: $(tail -n 1 "$scratch/replay.log" | cut -d' ' -f1) inputs ok"
    else
        failed=$((failed + 1))
        echo "FAIL replay fuzz_$t:"; tail -n 30 "$scratch/replay.log"
    fi
    bin=$build/tests/fuzz/fuzz_$t
    if [ -x "$bin" ] && [ "$secs" -gt 0 ]; then
        mkdir -p "$scratch/$t"
        cp "$corpus"/* "$scratch/$t"/ 2>/dev/null
        if "$bin" -max_total_time="$secs" -max_len=8192 -timeout=10 \
            -artifact_prefix="$scratch/" "$scratch/$t" >"$scratch/fuzz.log" 2>&1; then
            passed=$((passed + 1))
            echo "fuzz_$t: $(grep -oE 'stat::number_of_executed_runs: *[0-9]+' "$scratch/fuzz.log" | grep -oE '[0-9]+$' || grep -oE '#[0-9]+' "$scratch/fuzz.log" | tail -n 1) runs in ${secs}s, no failure"
        else
            failed=$((failed + 1))
            echo "FAIL fuzz_$t:"; tail -n 40 "$scratch/fuzz.log"
            for c in "$scratch"/crash-* "$scratch"/leak-* "$scratch"/timeout-*; do
                [ -f "$c" ] && echo "  saved input: $(od -c "$c" | head -n 5)"
            done
        fi
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

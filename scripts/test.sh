#!/bin/bash
# test.sh: set up everything and run doppel's whole test suite.
#
#   1. install missing Debian packages (scripts/install-deps.sh), check
#      every C file against .clang-format (scripts/check-format.sh) and
#      every function's length (scripts/check-length.sh)
#   2. build with -Werror and run the unit tests, every CLI test script
#      (tests/cli/*.sh) and the install + pkg-config check
#   3. build again with clang + AddressSanitizer + UBSan and rerun both
#   4. replay the fuzz corpora and fuzz each target briefly (libFuzzer)
#
# Every stage prints "N passed, N failed"; the last line of this script is
# the sum over all stages, and the exit status is non-zero on any failure.
# Real data is read from ../shared (override with DOPPEL_SHARED).
set -u
cd "$(dirname "$0")/.."
root=$(pwd)
export DOPPEL_SHARED=${DOPPEL_SHARED:-$(cd "$root/.." && pwd)/shared}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}

total_pass=0
total_fail=0
log=$(mktemp -d /tmp/doppel-test.XXXXXX)

# run_stage NAME COMMAND...: run a stage, echo its output, add its summary.
run_stage() {
    local name=$1
    shift
    echo "== $name"
    "$@" 2>&1 | tee "$log/$name.out"
    local rc=${PIPESTATUS[0]}
    local line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log/$name.out" | tail -n 1)
    if [ -z "$line" ]; then
        echo "$name: no summary line (exit $rc); counted as one failure"
        total_fail=$((total_fail + 1))
        return
    fi
    local p f
    p=${line%% passed*}
    f=${line#*, }
    f=${f%% failed}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "$name: exited $rc with no failed test; counted as one failure"
        f=1
    fi
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
}

build_or_fail() {
    if ! scripts/build.sh "$@"; then
        echo "build of $1 failed"
        echo "0 passed, 1 failed"
        exit 1
    fi
}

scripts/install-deps.sh

run_stage format scripts/check-format.sh
run_stage length scripts/check-length.sh
build_or_fail build -Dwerror_all=true
run_stage unit build/tests/unit
for t in tests/cli/*.sh; do
    run_stage "cli-$(basename "$t" .sh)" "$t" build/tools/doppel/doppel
done
run_stage install tests/install.sh build

CC=clang build_or_fail build-asan -Dwerror_all=true -Dbuildtype=debug \
    -Db_sanitize=address,undefined -Db_lundef=false -Dfuzz=true
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_stage unit-asan build-asan/tests/unit
for t in tests/cli/*.sh; do
    run_stage "cli-$(basename "$t" .sh)-asan" env DOPPEL_UNDER_ASAN=1 "$t" build-asan/tools/doppel/doppel
done
run_stage fuzz tests/fuzz/run.sh build-asan "$FUZZ_SECONDS"

rm -rf "$log"
echo
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]

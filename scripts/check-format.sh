#!/bin/sh
# check-format.sh: check every tracked C file against .clang-format.
# Prints each file clang-format would change and a summary line
# "N passed, N failed" (one test per file); exit status 1 if any differs.
# `--fix` rewrites them instead.
set -eu
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h')
if [ "${1:-}" = "--fix" ]; then
    clang-format -i $files
    exit 0
fi
ok=0
bad=0
for f in $files; do
    if clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
        ok=$((ok + 1))
    else
        echo "needs formatting: $f (scripts/check-format.sh --fix rewrites it)"
        bad=$((bad + 1))
    fi
done
echo "$ok passed, $bad failed"
[ "$bad" -eq 0 ]

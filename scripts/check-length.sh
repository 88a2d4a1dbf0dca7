#!/bin/sh
# check-length.sh: every C function of the library and the CLI is at most
# 100 lines, unless the comment just above it (within its header comment)
# says why, in a sentence starting "Long because". One test per function
# over the limit; prints "N passed, N failed"; exit status 1 on a failure.
set -eu
cd "$(dirname "$0")/.."
git ls-files 'src/*.c' 'tools/*.c' | xargs awk -v max=100 '
    FNR == 1 { why = 0; depth = 0; start = 0 }
    # a function body opens with "{" in column 0 after its signature
    /^\{/ && depth == 0 { start = FNR; name = prev; depth = 1; next }
    depth > 0 && /^\}/ {
        len = FNR - start - 1
        if (len > max) {
            if (why) ok++; else { bad++; printf "%s:%d: %s is %d lines (over %d; say \"Long because ...\" above it or split it)\n", FILENAME, start, name, len, max }
        }
        depth = 0; why = 0; next
    }
    depth == 0 {
        if ($0 ~ /Long because/) why = 1
        else if ($0 ~ /^}/ || $0 ~ /;[ \t]*$/ && $0 !~ /^[ *]/) why = 0
        if ($0 ~ /\(/) prev = $0
    }
    END { printf "%d passed, %d failed\n", ok + 0, bad + 0; exit bad > 0 }
'

#!/bin/sh
# build.sh [BUILDDIR [meson options...]]: install missing dependencies,
# then configure (once) and build doppel. Quiet unless something fails.
set -eu
cd "$(dirname "$0")/.."
dir=${1:-build}
[ $# -gt 0 ] && shift
scripts/install-deps.sh
if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || {
        cat "$dir.setup.log" >&2
        exit 1
    }
    rm -f "$dir.setup.log"
fi
ninja -C "$dir" >"$dir.ninja.log" 2>&1 || {
    cat "$dir.ninja.log" >&2
    exit 1
}
rm -f "$dir.ninja.log"

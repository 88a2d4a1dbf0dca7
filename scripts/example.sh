#!/bin/sh
# example.sh: set up everything, build, and compare the bundled example
# pair (two short reports of one invented event, written for doppel).
# Extra arguments go to `doppel compare` (e.g. --json).
set -eu
cd "$(dirname "$0")/.."
scripts/build.sh build
exec build/tools/doppel/doppel compare "$@" examples/harbour-a.txt examples/harbour-b.txt

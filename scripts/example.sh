#!/bin/sh
# example.sh: set up everything, build, and run doppel on the bundled
# examples (texts written for doppel): compare the pair of reports of one
# invented event (extra arguments go to `doppel compare`, e.g. --json),
# then group the five-article corpus into stories with the merged story
# of each (the quote the outlets carry, the word one changed, the number
# they disagree on, who ran it first).
set -eu
cd "$(dirname "$0")/.."
scripts/build.sh build
build/tools/doppel/doppel compare "$@" examples/harbour-a.txt examples/harbour-b.txt
echo
exec build/tools/doppel/doppel stories examples/kelmor-bridge.jsonl

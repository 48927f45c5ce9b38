#!/usr/bin/env bash
# Builds the seed corpus of the `csv_rows` fuzz target from the ingest fixtures
# (docs/fuzzing.md): each CSV fixture once as a whole file (first byte 0: no header
# added, batches of one row) and once as rows under the target's own header (first byte
# 7: header added, batches of four rows).
set -euo pipefail
cd "$(dirname "$0")"
out="${1:-seeds/csv_rows}"
mkdir -p "$out"
for f in ../fixtures/ingest/*.csv ../fixtures/ingest/*.txt; do
    [ -f "$f" ] || continue
    name="$(basename "$f")"
    { printf '\000'; cat "$f"; } >"$out/whole-$name"
    { printf '\007'; tail -n +2 "$f"; } >"$out/rows-$name"
done
echo "$(ls "$out" | wc -l) seeds in $out"

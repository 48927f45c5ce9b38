#!/usr/bin/env bash
# Time and peak memory of `cumin simulate` at the scales docs/benchmarks.md reports.
#
#   scripts/bench-simulate.sh [SCALE ...]      (default: 0.02 1.0)
#
# Builds the release binary, then runs each scale with /usr/bin/time -v into a scratch
# folder (removed afterwards) and prints wall time, CPU time and peak resident memory.
# The machine is shared and noisy: run it more than once and compare ratios, not absolutes.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/cumin"
scales=("$@")
[ ${#scales[@]} -eq 0 ] && scales=(0.02 1.0)
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
printf '%-6s %9s %9s %9s %11s %s\n' scale wall_s user_s sys_s peak_MiB files
for s in "${scales[@]}"; do
    out="$scratch/sim-$s"
    /usr/bin/time -v "$bin" simulate --quiet --out "$out" --scale "$s" 2>"$scratch/time-$s" >/dev/null
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$scratch/time-$s" |
        awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
    user=$(awk -F': ' '/User time/ {print $2}' "$scratch/time-$s")
    sys=$(awk -F': ' '/System time/ {print $2}' "$scratch/time-$s")
    peak=$(awk -F': ' '/Maximum resident/ {printf "%.0f", $2 / 1024}' "$scratch/time-$s")
    size=$(du -sh "$out" | cut -f1)
    printf '%-6s %9s %9s %9s %11s %s\n' "$s" "$wall" "$user" "$sys" "$peak" "$size"
    rm -rf "$out"
done

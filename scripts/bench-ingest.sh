#!/usr/bin/env bash
# Reading speed and peak memory of cumin's reader against the floor, plain arrow-rs
# reading the same columns of the same file (docs/benchmarks.md, "Ingest").
#
#   scripts/bench-ingest.sh [DIR] [RUNS]
#
# DIR holds episodes.csv and episodes.parquet from `cumin simulate`; without it the
# England-scale extract (`--scale 1.0 --seed 1 --format both`) is simulated once into a
# scratch folder, removed afterwards. Each of the four commands (cumin and the floor, CSV
# and Parquet) runs RUNS times (default 3), cumin and floor in turn, under
# /usr/bin/time -v; the medians are printed with rows/s, peak resident memory and the
# ratio cumin/floor. The machine is shared and noisy: the ratio, taken in the same run,
# is the figure to compare; `uptime` is printed before and after.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-}"
runs="${2:-3}"
target="${CARGO_TARGET_DIR:-target}"

# One build for both packages: built apart, the examples' dev-dependency features (arrow's
# CSV reader) and the binary's would rebuild each other on every run.
cargo build --release --quiet -p cumin-cli -p cumin-census --bin cumin \
    --features cumin-census/examples --example read_extract --example read_floor
cumin="$target/release/cumin"
cumin_read="$target/release/examples/read_extract"
floor_read="$target/release/examples/read_floor"

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
if [ -z "$dir" ]; then
    dir="$scratch/extract"
    echo "simulating the England-scale extract into $dir"
    /usr/bin/time -f 'simulated in %e s, peak %M KiB' \
        "$cumin" simulate --quiet --scale 1.0 --seed 1 --format both --out "$dir" >/dev/null
fi
for f in episodes.csv episodes.parquet; do
    [ -f "$dir/$f" ] || { echo "no $dir/$f" >&2; exit 1; }
done

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo unknown)  date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "files:   $(du -h "$dir/episodes.csv" | cut -f1) CSV, $(du -h "$dir/episodes.parquet" | cut -f1) Parquet"
echo "load before: $(uptime)"

# One timed run: prints "wall_s peak_KiB rows" for a command whose output names its rows
# ("read N rows" or "read N rows" after "arrow-rs").
timed() {
    local log="$scratch/time.log" out="$scratch/out.log"
    /usr/bin/time -f '%e %M' -o "$log" "$@" >"$out" 2>&1 || {
        cat "$out" >&2
        exit 1
    }
    local rows
    rows=$(grep -o 'read [0-9]* rows' "$out" | head -1 | awk '{print $2}')
    echo "$(cat "$log") $rows"
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }

printf '\n%-8s %-6s %9s %10s %12s %11s\n' format reader wall_s peak_MiB rows rows_per_s
for f in csv parquet; do
    file="$dir/episodes.$f"
    : >"$scratch/cumin.$f"
    : >"$scratch/floor.$f"
    for _ in $(seq "$runs"); do
        timed "$cumin_read" "$file" >>"$scratch/cumin.$f"
        timed "$floor_read" "$file" >>"$scratch/floor.$f"
    done
    for reader in cumin floor; do
        wall=$(awk '{print $1}' "$scratch/$reader.$f" | median)
        peak=$(awk '{print $2}' "$scratch/$reader.$f" | median)
        rows=$(awk 'NR == 1 {print $3}' "$scratch/$reader.$f")
        awk -v f="$f" -v r="$reader" -v w="$wall" -v p="$peak" -v n="$rows" \
            'BEGIN {printf "%-8s %-6s %9.2f %10.0f %12d %11.0f\n", f, r, w, p / 1024, n, n / w}'
    done
    # Ratios run by run (cumin and floor ran back to back), then their median.
    wall_ratio=$(paste "$scratch/cumin.$f" "$scratch/floor.$f" | awk '{print $1 / $4}' | median)
    peak_ratio=$(paste "$scratch/cumin.$f" "$scratch/floor.$f" | awk '{print $2 / $5}' | median)
    awk -v f="$f" -v w="$wall_ratio" -v p="$peak_ratio" \
        'BEGIN {printf "%-8s %-6s %9.2f %10.2f   (cumin/floor, median of run pairs: wall, peak memory)\n", f, "ratio", w, p}'
done
echo
echo "load after:  $(uptime)"

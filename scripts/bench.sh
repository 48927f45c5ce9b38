#!/usr/bin/env bash
# The England-scale benchmark of issue 20, every figure from one run (docs/benchmarks.md).
#
#   scripts/bench.sh [DIR] [RUNS]          # or: just bench [DIR] [RUNS]
#
# DIR holds episodes.parquet and denominators.csv; without it the England-scale extract
# (`cumin simulate --scale 1.0 --seed 1 --format parquet`) is simulated once into
# $CUMIN_BENCH_DIR/england-seed1 and kept ($CUMIN_BENCH_DIR defaults to ~/.cache/cumin-bench,
# outside the repository). RUNS rounds (default 3); each round runs every job once, in
# turn, under /usr/bin/time, so a change of load touches all of them alike:
#
#   default   cumin estimate (default flags)
#   jay_by    the same with --splice-design jay2025 --by idaci_decile (issue 20's job)
#   boot1000  jay_by with --bootstrap 1000
#   preset    cumin estimate --preset jay2025
#   floor     the arrow-rs decode floor: the columns cumin reads into a compact table,
#             row groups in parallel on 2 threads (example decode_floor)
#   duckdb    a DuckDB peer computing the Jay et al. counts (scripts/bench/jay_counts.py;
#             DuckDB installed by this script in a venv under $CUMIN_BENCH_DIR)
#
# BENCH_JOBS="default jay_by ..." runs only those. Before timing, the peer's counts are
# checked equal to `--preset jay2025-strict`'s on a small extract (scale 0.02, seed 1);
# the run stops if they differ. Printed: date, commit, load before and after; per job the
# medians of wall seconds, CPU seconds (user + system) and peak resident memory; the
# stage timings of cumin's manifest.json (medians); and the ratios of issue 20:
# jay_by / duckdb, cumin's read stage / floor, boot1000 − jay_by, preset.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
bench_dir="${CUMIN_BENCH_DIR:-$HOME/.cache/cumin-bench}"
dir="${1:-$bench_dir/england-seed1}"
runs="${2:-3}"
read -ra jobs <<<"${BENCH_JOBS:-default jay_by boot1000 preset floor duckdb}"
target="${CARGO_TARGET_DIR:-target}"
mkdir -p "$bench_dir"

# One build for both packages (built apart, the examples' dev-dependency features and the
# binary's would rebuild each other).
cargo build --release --quiet -p cumin-cli -p cumin-census --bin cumin \
    --features cumin-census/examples --example decode_floor
cumin="$target/release/cumin"
floor="$target/release/examples/decode_floor"

venv="$bench_dir/venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import duckdb' 2>/dev/null; then
    echo "installing duckdb into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet duckdb
fi
peer=("$venv/bin/python" "$repo/scripts/bench/jay_counts.py")

simulate() { # SCALE OUT
    echo "simulating scale $1 (seed 1, Parquet) into $2"
    "$cumin" simulate --quiet --scale "$1" --seed 1 --format parquet --out "$2" >/dev/null
}
if [ ! -f "$dir/episodes.parquet" ]; then
    [ -z "${1:-}" ] || { echo "no $dir/episodes.parquet" >&2; exit 1; }
    simulate 1.0 "$dir"
fi
for f in episodes.parquet denominators.csv; do
    [ -f "$dir/$f" ] || { echo "no $dir/$f" >&2; exit 1; }
done

scratch="$(mktemp -d "$bench_dir/run.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

# The peer must be right: its counts against cumin's strict preset on a small extract.
check="$bench_dir/check-0.02-seed1"
[ -f "$check/episodes.parquet" ] || simulate 0.02 "$check"
"$cumin" estimate --quiet --episodes "$check/episodes.parquet" \
    --denominators "$check/denominators.csv" --out "$scratch/check" \
    --preset jay2025-strict --sdc none >/dev/null
"${peer[@]}" "$check/episodes.parquet" "$scratch/check-peer.csv" >/dev/null
if ! diff <(cut -d, -f1-5 "$scratch/check/jay_counts.csv") "$scratch/check-peer.csv" >/dev/null; then
    echo "the DuckDB peer's counts differ from --preset jay2025-strict on $check:" >&2
    diff <(cut -d, -f1-5 "$scratch/check/jay_counts.csv") "$scratch/check-peer.csv" >&2 || true
    exit 1
fi
echo "peer check: DuckDB counts equal --preset jay2025-strict's on $check ($(tail -n +2 "$scratch/check-peer.csv" | wc -l) cells)"

episodes=(--episodes "$dir/episodes.parquet" --denominators "$dir/denominators.csv")
command_of() { # JOB OUT -> the command, one word per line
    local out=$2
    case $1 in
    default) printf '%s\n' "$cumin" estimate --quiet "${episodes[@]}" --out "$out" ;;
    jay_by) printf '%s\n' "$cumin" estimate --quiet "${episodes[@]}" --out "$out" \
        --splice-design jay2025 --by idaci_decile ;;
    boot1000) printf '%s\n' "$cumin" estimate --quiet "${episodes[@]}" --out "$out" \
        --splice-design jay2025 --by idaci_decile --bootstrap 1000 ;;
    preset) printf '%s\n' "$cumin" estimate --quiet "${episodes[@]}" --out "$out" \
        --preset jay2025 ;;
    floor) printf '%s\n' "$floor" "$dir/episodes.parquet" --threads 2 ;;
    duckdb) printf '%s\n' "${peer[@]}" "$dir/episodes.parquet" "$out.csv" --threads 2 ;;
    *) echo "unknown job $1" >&2; exit 1 ;;
    esac
}

echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "extract: $dir ($(du -h "$dir/episodes.parquet" | cut -f1) Parquet)"
echo "jobs:    ${jobs[*]}; $runs rounds"
echo "load before: $(uptime)"

# results: one line per run: job round wall cpu peak_kib [stage=seconds ...] [floor=seconds]
results="$scratch/results"
: >"$results"
for round in $(seq "$runs"); do
    for job in "${jobs[@]}"; do
        out="$scratch/$job-$round"
        mapfile -t cmd < <(command_of "$job" "$out")
        if ! /usr/bin/time -f '%e %U %S %M' -o "$scratch/time" "${cmd[@]}" >"$scratch/log" 2>&1; then
            cat "$scratch/log" >&2
            exit 1
        fi
        read -r wall user sys peak <"$scratch/time"
        line="$job $round $wall $(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}') $peak"
        if [ -f "$out/manifest.json" ]; then
            line+=" $(python3 -c 'import json, sys
t = json.load(open(sys.argv[1]))["timings_seconds"]
print(" ".join(f"{k}={v:.3f}" for k, v in t.items()))' "$out/manifest.json")"
        fi
        if [ "$job" = floor ]; then
            line+=" floor=$(grep -o 'table in [0-9.]* s' "$scratch/log" | awk '{print $3}')"
        fi
        echo "$line" >>"$results"
        printf 'round %s %-9s wall %7.2f s  CPU %7.2f s  peak %6.0f MiB\n' \
            "$round" "$job" "$wall" "$(echo "$line" | awk '{print $4}')" "$(awk -v p="$peak" 'BEGIN {print p / 1024}')"
        rm -rf "$out" "$out.csv"
    done
done
echo "load after:  $(uptime)"
echo

python3 - "$results" <<'EOF'
import statistics, sys

runs = {}
for line in open(sys.argv[1]):
    job, rnd, wall, cpu, peak, *extra = line.split()
    stages = dict(x.split("=") for x in extra)
    runs.setdefault(job, []).append(
        {"round": int(rnd), "wall": float(wall), "cpu": float(cpu), "peak": float(peak) / 1048576,
         **{k: float(v) for k, v in stages.items()}})
med = lambda job, key: statistics.median(r[key] for r in runs[job])

print(f"{'job':<9} {'runs':>4} {'wall s':>8} {'CPU s':>8} {'peak GiB':>9}   (medians; min-max wall)")
for job, rs in runs.items():
    walls = [r["wall"] for r in rs]
    print(f"{job:<9} {len(rs):>4} {med(job, 'wall'):>8.2f} {med(job, 'cpu'):>8.2f} {med(job, 'peak'):>9.2f}"
          f"   ({min(walls):.2f}-{max(walls):.2f})")

stage_jobs = [j for j, rs in runs.items() if any(k not in ("round", "wall", "cpu", "peak", "floor") for k in rs[0])]
if stage_jobs:
    print("\nstages (manifest timings_seconds, medians):")
    for job in stage_jobs:
        keys = [k for k in runs[job][0] if k not in ("round", "wall", "cpu", "peak")]
        print(f"  {job:<9} " + "  ".join(f"{k} {med(job, k):.2f}" for k in keys))

def paired(a, b, f):
    """f(run of a, run of b) for rounds both ran, then the median."""
    rb = {r["round"]: r for r in runs.get(b, [])}
    v = [f(r, rb[r["round"]]) for r in runs.get(a, []) if r["round"] in rb]
    return statistics.median(v) if v else None

print("\nratios (median over rounds of the round's ratio):")
show = lambda name, v, unit="": print(f"  {name:<44} {'-' if v is None else f'{v:.2f}{unit}'}")
show("jay_by / duckdb, wall", paired("jay_by", "duckdb", lambda a, b: a["wall"] / b["wall"]), "x")
show("jay_by / duckdb, CPU", paired("jay_by", "duckdb", lambda a, b: a["cpu"] / b["cpu"]), "x")
show("default / duckdb, wall", paired("default", "duckdb", lambda a, b: a["wall"] / b["wall"]), "x")
show("jay_by read stage / floor (in-process s)", paired("jay_by", "floor", lambda a, b: a["read"] / b["floor"]), "x")
show("default read stage / floor (in-process s)", paired("default", "floor", lambda a, b: a["read"] / b["floor"]), "x")
show("boot1000 - jay_by, wall", paired("boot1000", "jay_by", lambda a, b: a["wall"] - b["wall"]), " s")
show("boot1000 - jay_by, estimate stage", paired("boot1000", "jay_by", lambda a, b: a["estimate"] - b["estimate"]), " s")
show("preset, wall", med("preset", "wall") if "preset" in runs else None, " s")
print("\ntargets (issue 20): jay_by < 10 s wall and < 2 GiB, >= 3x faster than duckdb (ratio <= 0.33);"
      "\n  boot1000 - jay_by < 20 s; preset < 20 s; read stage <= 1.5x floor")
EOF

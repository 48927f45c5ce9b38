#!/usr/bin/env bash
# Linkage benchmark: link + de-duplication of a simulated extract, timed against reading
# the same file in the same run (the machine is shared and noisy: quote the ratio).
#
#   scripts/bench-link.sh [SCALE] [RUNS]      # SCALE 1.0 = England (default 1.0), RUNS 3
#
# Simulates once into target/bench-link/scale-SCALE (kept for later runs), then runs the
# `bench_link` example RUNS times reading only and RUNS times reading and linking, in
# turn, under /usr/bin/time -v. Prints each run's in-process stage times, wall time and
# peak memory, and the medians. Linkage time = link + dedup seconds printed in-process.
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-1.0}
runs=${2:-3}
target=${CARGO_TARGET_DIR:-target}
dir="$target/bench-link/scale-$scale"
cargo build --release --quiet -p cumin-cli -p cumin-link --features cumin-link/examples --bin cumin --example bench_link
bin="$target/release/examples/bench_link"
if [ ! -f "$dir/episodes.parquet" ]; then
    echo "simulating scale $scale into $dir"
    "$target/release/cumin" simulate --scale "$scale" --seed 1 --out "$dir" --quiet
fi
file="$dir/episodes.parquet"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for i in $(seq "$runs"); do
    for kind in read link; do
        extra=()
        [ "$kind" = read ] && extra=(--read-only)
        /usr/bin/time -v "$bin" "$file" "${extra[@]}" >"$log.out" 2>"$log"
        wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log")
        rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
        read_s=$(awk '$1 == "read" {sub("s", "", $2); print $2}' "$log.out")
        linked=$(awk -F'\t' '$1 == "combined" {sub("total ", "", $4); sub("s", "", $4); print $4}' "$log.out")
        echo "run $i $kind: wall $wall, peak ${rss} kB, read ${read_s}s${linked:+, link+dedup ${linked}s}"
        echo "$kind $read_s ${linked:-0} $rss" >>"$log.all"
    done
done
echo
awk '
    function median(a, n,   i, j, t) {
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    $1 == "link" { n++; r[n] = $2; l[n] = $3; q[n] = $3 / $2 }
    END {
        printf "median over %d runs: read %.2fs, link+dedup %.2fs, link+dedup / read = %.2f\n", n, median(r, n), median(l, n), median(q, n)
    }' "$log.all"
rm -f "$log.all" "$log.out"

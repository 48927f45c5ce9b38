#!/usr/bin/env python3
# /// script
# requires-python = ">=3.11"
# dependencies = []
# ///
"""Coverage study: how often do cumin's 95% intervals cover the truth?

Simulates N small extracts (distinct seeds, `--perfect-ids`, every other parameter at its
default), estimates each with `cumin estimate --by idaci_decile --estimator
life-table,cohort-splice --sdc none --bootstrap B --seed SEED`, and records for every
replicate, estimator, outcome, stratum (all, deciles 1 and 10) and age in AGES whether
the interval covers the truth. Coverage is reported with its own 95% Wilson interval;
the target (issue 7) is 93-97%.

The truth an interval should cover is the simulator's superpopulation value: the
cumulative incidence its parameters imply, not the realised share among a small
replicate's own children (at scale 0.01 that share is itself off by ~0.1 percentage
point, as much as the interval's half-width). It is read from the truth.json of a large
simulation with the same parameters (`--truth`; by default the study simulates one at
scale 1.0, seed 999999, and keeps its truth.json). Coverage of each replicate's own
realised truth is recorded too (`covers_own`).

Python 3.11 standard library only (and `scripts/cuminlib`). Usage (from the repository
root):

    cargo build --release
    python3 scripts/coverage-study.py --out validation/coverage               # 200 replicates
    python3 scripts/coverage-study.py --replicates 10 --bootstrap 50 --jobs 1 # a smoke test

    python3 scripts/coverage-study.py --summarise validation-data/coverage_replicates.csv \
        --scale 0.01 --truth-scale 0.5 --out /tmp/coverage                 # re-summarise

`--jobs 2` runs two replicates at a time, each cumin process on one thread
(RAYON_NUM_THREADS=1), niced. Replicates already in OUT/replicates.csv are not run again,
so an interrupted study resumes.
"""

from __future__ import annotations

import argparse
import csv
import math
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cuminlib import (
    OUTCOMES,
    STRATA,
    Z975,
    binary,
    estimate,
    read_curves,
    read_truth,
    simulate,
    truth_cum_inc,
    wilson,
    write_rows,
)

ESTIMATORS = ["life-table", "cohort-splice"]
AGES = [4, 10, 12, 14, 17]
FIELDS = ["seed", "estimator", "outcome", "stratum_var", "stratum", "age", "truth",
          "own_truth", "estimate", "lower", "upper", "covers", "covers_own", "seconds"]


def replicate(cumin: str, work: Path, seed: int, scale: float, bootstrap: int,
              truth: dict, threads: int | None) -> list[dict]:
    start = time.monotonic()
    sim, est = work / f"sim-{seed}", work / f"est-{seed}"
    simulate(cumin, sim, seed, scale, perfect_ids=True, threads=threads)
    estimate(cumin, sim, est, estimators=ESTIMATORS, outcomes=OUTCOMES, bootstrap=bootstrap,
             seed=seed, threads=threads)
    own = read_truth(sim / "truth.json")
    rows = []
    curves = read_curves(est / "cumulative_incidence.csv", estimators=ESTIMATORS, ages=AGES)
    for (outcome, estimator, sv, s, age), r in curves.items():
        if (sv, s) not in STRATA or outcome not in OUTCOMES:
            continue
        key = (outcome, sv, s, age)
        t, o = truth_cum_inc(truth, *key), truth_cum_inc(own, *key)
        lo, hi = float(r["lower"]), float(r["upper"])
        rows.append({
            "seed": seed, "estimator": estimator, "outcome": outcome,
            "stratum_var": sv, "stratum": s, "age": age,
            "truth": t, "own_truth": o, "estimate": float(r["cum_inc"]),
            "lower": lo, "upper": hi, "covers": int(lo <= t <= hi),
            "covers_own": int(lo <= o <= hi), "seconds": 0.0,
        })
    shutil.rmtree(sim, ignore_errors=True)
    shutil.rmtree(est, ignore_errors=True)
    secs = round(time.monotonic() - start, 1)
    for r in rows:
        r["seconds"] = secs
    return rows


def pool_truth(rows: list[dict], scale: float, truth_scale: float) -> None:
    """Sets each row's `pooled_truth`: the superpopulation value estimated from every
    simulated child but the replicate's own.

    The large simulation's truth (`truth`) and each replicate's realised truth
    (`own_truth`) are shares among independent children of the same process, so their
    average weighted by the number of children (proportional to the scale) estimates the
    superpopulation value better than the large simulation alone: 200 replicates at scale
    0.01 hold four times the children of one at scale 0.5. The replicate's own children
    are left out, so that its truth and its estimate stay independent.
    """
    own: dict[tuple, dict[int, float]] = {}
    big: dict[tuple, float] = {}
    for r in rows:
        key = (r["outcome"], r["stratum_var"], r["stratum"], int(r["age"]))
        own.setdefault(key, {})[int(r["seed"])] = float(r["own_truth"])
        big[key] = float(r["truth"])
    for r in rows:
        key = (r["outcome"], r["stratum_var"], r["stratum"], int(r["age"]))
        others = [v for seed, v in own[key].items() if seed != int(r["seed"])]
        weight = truth_scale + scale * len(others)
        r["pooled_truth"] = (truth_scale * big[key] + scale * sum(others)) / weight


def summarise(rows: list[dict], out: Path, scale: float, truth_scale: float) -> None:
    pool_truth(rows, scale, truth_scale)
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        key = (r["estimator"], r["outcome"], r["stratum_var"], r["stratum"], int(r["age"]))
        groups.setdefault(key, []).append(r)
    summary = []
    for key in sorted(groups, key=lambda k: (k[0], OUTCOMES.index(k[1]), k[3] != "all",
                                                  k[3], k[4])):
        g = groups[key]
        n = len(g)
        covers = [float(r["lower"]) <= r["pooled_truth"] <= float(r["upper"]) for r in g]
        k = sum(covers)
        k_big = sum(int(r["covers"]) for r in g)
        k_own = sum(int(r["covers_own"]) for r in g)
        lo, hi = wilson(k, n)
        bias = sum(float(r["estimate"]) - r["pooled_truth"] for r in g) / n
        width = sum(float(r["upper"]) - float(r["lower"]) for r in g) / n
        # Empirical s.d. of the estimates vs the mean interval's implied s.e.
        mean = sum(float(r["estimate"]) for r in g) / n
        sd = math.sqrt(sum((float(r["estimate"]) - mean) ** 2 for r in g) / max(n - 1, 1))
        below = sum(r["pooled_truth"] < float(r["lower"]) for r in g)
        above = sum(r["pooled_truth"] > float(r["upper"]) for r in g)
        summary.append({
            "estimator": key[0], "outcome": key[1], "stratum_var": key[2], "stratum": key[3],
            "age": key[4], "replicates": n, "covered": k, "coverage": k / n,
            "coverage_lower": lo, "coverage_upper": hi,
            "truth": sum(r["pooled_truth"] for r in g) / n,
            "coverage_large_simulation_truth": k_big / n,
            "large_simulation_truth": float(g[0]["truth"]),
            "coverage_own_truth": k_own / n,
            "truth_below_interval": below, "truth_above_interval": above,
            "mean_bias_pp": 100 * bias, "sd_estimate_pp": 100 * sd,
            "mean_width_pp": 100 * width, "width_over_2x1.96sd": width / (2 * Z975 * sd) if sd else math.nan,
        })
    write_rows(out / "coverage.csv", summary)
    print(f"{'estimator':14} {'outcome':8} {'stratum':7} {'age':>3} {'n':>4} {'coverage':>8} "
          f"{'95% CI':>13} {'own':>5} {'lo/hi miss':>10} {'bias pp':>7} {'sd pp':>6} {'w/(3.92sd)':>10}")
    for s in summary:
        stratum = "all" if s["stratum_var"] == "all" else f"D{s['stratum']}"
        flag = "" if 0.93 <= s["coverage"] <= 0.97 else "  <- outside 93-97%"
        print(f"{s['estimator']:14} {s['outcome']:8} {stratum:7} {s['age']:>3} {s['replicates']:>4} "
              f"{s['coverage']:8.3f} ({s['coverage_lower']:.3f}-{s['coverage_upper']:.3f}) "
              f"{s['coverage_own_truth']:5.3f} {s['truth_below_interval']:>4}/{s['truth_above_interval']:<5} "
              f"{s['mean_bias_pp']:+7.3f} {s['sd_estimate_pp']:6.3f} {s['width_over_2x1.96sd']:10.3f}{flag}")
    # Pooled over outcomes and strata, by estimator and age.
    print()
    for est in ESTIMATORS:
        for age in AGES:
            g = [s for s in summary if s["estimator"] == est and s["age"] == age]
            n = sum(s["replicates"] for s in g)
            k = sum(s["covered"] for s in g)
            if n:
                lo, hi = wilson(k, n)
                k_big = sum(round(s["coverage_large_simulation_truth"] * s["replicates"]) for s in g)
                print(f"pooled {est:14} age {age:>2}: {k}/{n} = {k / n:.3f} "
                      f"(Wilson {lo:.3f}-{hi:.3f}; comparisons are correlated within a replicate); "
                      f"against the large simulation's truth alone {k_big}/{n} = {k_big / n:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cumin", help="the cumin binary (default: target/release/cumin)")
    ap.add_argument("--replicates", type=int, default=200)
    ap.add_argument("--first-seed", type=int, default=1001)
    ap.add_argument("--scale", type=float, default=0.01)
    ap.add_argument("--bootstrap", type=int, default=200)
    ap.add_argument("--jobs", type=int, default=2, choices=[1, 2])
    ap.add_argument("--truth", type=Path, help="truth.json of a large simulation (the superpopulation truth)")
    ap.add_argument("--truth-scale", type=float, default=1.0)
    ap.add_argument("--out", type=Path, default=Path("validation/coverage"))
    ap.add_argument("--summarise", type=Path, metavar="REPLICATES_CSV",
                    help="only summarise a finished study's replicates.csv (with its --scale and "
                         "--truth-scale) into OUT/coverage.csv")
    a = ap.parse_args()
    if a.summarise:
        with open(a.summarise, newline="") as f:
            rows = list(csv.DictReader(f))
        a.out.mkdir(parents=True, exist_ok=True)
        summarise(rows, a.out, a.scale, a.truth_scale)
        return
    cumin = binary(a.cumin)
    a.out.mkdir(parents=True, exist_ok=True)
    work = a.out / "work"
    threads = 1 if a.jobs > 1 else None
    truth_path = a.truth or a.out / "superpopulation_truth.json"
    if not truth_path.exists():
        big = work / "superpopulation"
        print(f"simulating the superpopulation truth at scale {a.truth_scale} ...", file=sys.stderr)
        simulate(cumin, big, 999999, a.truth_scale, perfect_ids=True)
        shutil.copy(big / "truth.json", truth_path)
        shutil.rmtree(big, ignore_errors=True)
    truth = read_truth(truth_path)
    rep_path = a.out / "replicates.csv"
    rows: list[dict] = []
    if rep_path.exists():
        with open(rep_path, newline="") as f:
            rows = list(csv.DictReader(f))
    done = {int(r["seed"]) for r in rows}
    seeds = [s for s in range(a.first_seed, a.first_seed + a.replicates) if s not in done]
    print(f"{len(done)} replicates done, {len(seeds)} to run", file=sys.stderr)
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=a.jobs) as pool:
        futures = [pool.submit(replicate, cumin, work, s, a.scale, a.bootstrap, truth, threads)
                   for s in seeds]
        for i, fut in enumerate(futures):
            new = fut.result()
            rows += new
            write_rows(rep_path, rows, FIELDS)
            print(f"replicate {i + 1}/{len(seeds)} (seed {new[0]['seed']}) {new[0]['seconds']} s; "
                  f"elapsed {time.monotonic() - start:.0f} s", file=sys.stderr, flush=True)
    rows = [r for r in rows if a.first_seed <= int(r["seed"]) < a.first_seed + a.replicates]
    summarise(rows, a.out, a.scale, float(truth.get("scale", a.truth_scale)))


if __name__ == "__main__":
    main()

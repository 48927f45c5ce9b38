#!/usr/bin/env python3
# /// script
# requires-python = ">=3.11"
# dependencies = []
# ///
"""Linkage error on simulated extracts: docs/validation.md, section "Linkage error".

Simulates the default extract (with true_ids.csv), the same population with perfect
identifiers, and a sensitivity extract where PMR presence depends on later mobility;
runs `cumin estimate` under --linkage exact, merge and corrected (the last with a
bootstrap over children); prints the bias before 18 (life table, percentage points)
against truth.json for every outcome, overall and in IDACI deciles 1 and 10, with the
95% intervals, checks the targets of docs/validation.md and prints the transfer rule's
precision and recall.

    export CARGO_TARGET_DIR=...   # default: target
    cargo build --release -p cumin-cli -p cumin-study --features cumin-study/examples --bins --example transfer_pairs
    python3 scripts/linkage-validation.py [--scale 0.1] [--seed 11] [--bootstrap 100]
        [--dependence 0.8] [--work DIR]

Python 3.11 standard library only (and `scripts/cuminlib`).
"""

import argparse
import csv
import os
import subprocess
import sys

from cuminlib import binary, estimate, read_curves, read_truth, simulate, truth_cum_inc

OUTCOMES = ["referral", "assessed", "cin", "s47", "cpp"]
STRATA = [("all", ("all", "all")), ("decile 1", ("idaci_decile", "1")),
          ("decile 10", ("idaci_decile", "10"))]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--bootstrap", type=int, default=100)
    ap.add_argument("--dependence", type=float, default=0.8)
    ap.add_argument("--work", default="linkage-validation")
    ap.add_argument("--estimator", default="life-table")
    args = ap.parse_args()
    cumin = binary()
    pairs_bin = binary(example="transfer_pairs")
    os.makedirs(args.work, exist_ok=True)

    def simulated(name, extra, params=None):
        """The simulated folder `name` under the work folder, simulated once."""
        out = os.path.join(args.work, name)
        if not os.path.exists(os.path.join(out, "truth.json")):
            simulate(cumin, out, args.seed, args.scale, params=params, extra=extra,
                     fmt="csv", nice=False)
        return out

    def estimated(sim, mode):
        """The estimate of `sim` under linkage `mode`, made once. Only the correction's
        intervals are judged; the other modes skip the bootstrap."""
        boot = args.bootstrap if mode == "corrected" else 0
        out = os.path.join(args.work, f"{os.path.basename(sim)}-{mode}-b{boot}")
        if not os.path.exists(os.path.join(out, "cumulative_incidence.csv")):
            estimate(cumin, sim, out, episodes="episodes.csv", estimators=[args.estimator],
                     bootstrap=boot, extra=["--linkage", mode], nice=False)
        return out

    dependent = f"pmr_mobility_dependence={args.dependence}"
    sims = {
        "default": (simulated("default", ["--write-true-ids"]), ["exact", "merge", "corrected"]),
        "perfect-ids": (simulated("perfect", ["--perfect-ids"]), ["exact", "corrected"]),
        dependent: (simulated("dependent", ["--write-true-ids"],
                              f"pmr_mobility_dependence = {args.dependence}\n"),
                    ["exact", "corrected"]),
    }
    print(f"scale {args.scale}, seed {args.seed}, bootstrap {args.bootstrap}, "
          f"estimator {args.estimator}; bias before 18 in percentage points "
          f"(estimate - truth), [95% interval - truth]\n")
    results = {}
    for label, (sim, modes) in sims.items():
        truth = read_truth(os.path.join(sim, "truth.json"))
        print(f"## {label}\n")
        print("| linkage | stratum | " + " | ".join(OUTCOMES) + " |")
        print("|---|---|" + "---|" * len(OUTCOMES))
        for mode in modes:
            out = estimated(sim, mode)
            curves = read_curves(os.path.join(out, "cumulative_incidence.csv"),
                                 estimators=[args.estimator], ages=[17])
            for stratum, key in STRATA:
                cells = []
                for o in OUTCOMES:
                    t = truth_cum_inc(truth, o, *key, 17)
                    r = curves[(o, args.estimator, *key, 17)]
                    est, lo, hi = float(r["cum_inc"]), float(r["lower"]), float(r["upper"])
                    bias = 100 * (est - t)
                    results[(label, mode, stratum, o)] = (bias, lo <= t <= hi)
                    cell = f"{bias:+.2f}"
                    if mode == "corrected" and args.bootstrap > 0:
                        cell += f" [{100 * (lo - t):+.2f}, {100 * (hi - t):+.2f}]"
                    cells.append(cell)
                print(f"| {mode} | {stratum} | " + " | ".join(cells) + " |")
            if mode == "corrected":
                removed = linkage_values(os.path.join(out, "analyst-only", "linkage_model.csv"))
                print("|  | first events removed | " + " | ".join(
                    f"{removed.get('split_first_events_removed_' + o, 0):,.0f}"
                    for o in OUTCOMES) + " |")
        print()
        if os.path.exists(os.path.join(sim, "true_ids.csv")):
            p = subprocess.run([pairs_bin, sim], check=True, capture_output=True, text=True)
            print("transfer rule:", p.stdout.strip(), "\n")

    print("## targets (default extract)\n")
    ok = True
    for stratum in ["all", "decile 1"]:
        for o in ["referral", "assessed"]:
            e = abs(results[("default", "exact", stratum, o)][0])
            c = abs(results[("default", "corrected", stratum, o)][0])
            good = c <= e / 2
            ok &= good
            print(f"- corrected removes half of exact's bias, {o} {stratum}: "
                  f"|{c:.2f}| vs |{e:.2f}| -> {'met' if good else 'NOT met'}")
    worse = []
    for stratum, _ in STRATA:
        for o in OUTCOMES:
            e = abs(results[("default", "exact", stratum, o)][0])
            c = abs(results[("default", "corrected", stratum, o)][0])
            if c > e:
                worse.append(f"{o} {stratum}: |{c:.2f}| > |{e:.2f}|")
    ok &= not worse
    print("- corrected never increases |bias|: " + ("met" if not worse else
          "NOT met (" + "; ".join(worse) + ")"))
    for o in OUTCOMES:
        covered = results[("default", "corrected", "all", o)][1]
        ok &= covered
        print(f"- corrected 95% interval covers the truth, {o} overall: "
              f"{'yes' if covered else 'NO'}")
    same = all(results[("perfect-ids", "exact", s, o)][0]
               == results[("perfect-ids", "corrected", s, o)][0]
               for s, _ in STRATA for o in OUTCOMES)
    print(f"- perfect ids: corrected estimates equal exact's: {'yes' if same else 'NO'}")
    print(f"\nall targets met: {ok}")
    return 0


def linkage_values(path):
    out = {}
    with open(path) as f:
        for r in csv.DictReader(f):
            if r["id_mode"] == "combined":
                try:
                    out[r["measure"]] = float(r["value"])
                except ValueError:
                    pass
    return out


if __name__ == "__main__":
    sys.exit(main())

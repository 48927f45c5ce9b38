#!/usr/bin/env python3
# /// script
# requires-python = ">=3.11"
# dependencies = []
# ///
"""Where a validation-grid cell's error arises, from a cell kept with `--keep`.

For one cell (`validation-grid.py --keep` leaves WORK/TAG-{delivered,perfect}-sim and the
estimates WORK/TAG-{ids}-{linkage}-est; the default run's estimate must be there too:
`--resume` does not redo it, so estimate it by hand if needed), prints

1. by age 0-17, the error (points) of each run (default, `exact`, perfect ids) for the
   life table and the unadjusted life table, and `corrected - perfect` for each: the
   unadjusted one has no left-censoring factor `c`, so it shows the first events the
   split correction removes alone;
2. "`c` given back": over the cohorts born before the window, ages 4-17, weighted by the
   perfect run's first events in the observed years `E'`, the share of the bias splits
   put in `c` (`exact - perfect`) that `corrected` removes (from each run's
   `analyst-only/corrections.csv`), overall and in deciles 1 and 10.

Python 3.11 standard library only (and `scripts/cuminlib`). Usage:

    python3 scripts/grid-cell-stages.py validation/grid/work mixture-4-0.1 --outcome referral --stratum 1
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import cuminlib as tr  # noqa: E402

RUNS = [("delivered", "corrected"), ("delivered", "exact"), ("perfect", "corrected")]
ESTIMATORS = ["life-table", "life-table-unadjusted"]


def by_age(work: Path, tag: str, outcome: str, stratum: str) -> str:
    sv = "all" if stratum == "all" else "idaci_decile"
    truth = json.loads((work / f"{tag}-delivered-sim" / "truth.json").read_text())
    t = [tr.truth_cum_inc(truth, outcome, sv, stratum, a) for a in range(18)]
    curves = {run: tr.read_curves(work / f"{tag}-{run[0]}-{run[1]}-est" /
                                  "cumulative_incidence.csv") for run in RUNS}
    lines = [f"{tag} {outcome} {stratum}: truth % " + " ".join(f"{100 * x:.2f}" for x in t),
             f"{'':32}" + " ".join(f"{a:>6}" for a in range(18))]

    def value(run, est, a):
        r = curves[run].get((outcome, est, sv, stratum, a))
        return None if r is None else float(r["cum_inc"])

    for est in ESTIMATORS:
        for run in RUNS:
            cells = [value(run, est, a) for a in range(18)]
            lines.append(f"{est:22}{run[0][:4]}-{run[1][:4]} " + " ".join(
                "     ." if v is None else f"{100 * (v - t[a]):+6.2f}" for a, v in enumerate(cells)))
        diff = [(value(RUNS[0], est, a), value(RUNS[2], est, a)) for a in range(18)]
        lines.append(f"{est:22}corr-perf " + " ".join(
            "     ." if None in d else f"{100 * (d[0] - d[1]):+6.2f}" for d in diff))
    return "\n".join(lines)


def factors(path: Path, outcome: str, sv: str, s: str) -> dict:
    """(birth year, age) -> (c, E') of one stratum."""
    out = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            if (r["outcome"], r["stratum_var"], r["stratum"]) != (outcome, sv, s):
                continue
            e = float(r["first_in_observed_years"])
            out[(int(r["birth_year"]), int(r["age"]))] = (
                float(r["corrected"]) / e if e else None, e)
    return out


def c_given_back(work: Path, tag: str, outcome: str) -> str:
    lines = []
    for sv, s in tr.STRATA:
        c, e, p = (factors(work / f"{tag}-{i}-{lk}-est" / "analyst-only" / "corrections.csv",
                           outcome, sv, s) for i, lk in RUNS)
        left = bias = 0.0
        for k, (cp, w) in p.items():
            if k[1] < 4 or cp is None or c.get(k, (None,))[0] is None \
                    or e.get(k, (None,))[0] is None:
                continue
            left += w * (c[k][0] - cp)
            bias += w * (e[k][0] - cp)
        share = f"{100 * (1 - left / bias):.1f}%" if bias else "n/a"
        lines.append(f"{tag} {outcome} {s}: split bias in c (E' x dc, ages 4-17) exact "
                     f"{bias:.0f}, corrected {left:.0f}: given back {share}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("work", type=Path, help="the grid's work folder (kept with --keep)")
    ap.add_argument("tag", help="the cell: MECHANISM-SEED-SCALE, e.g. mixture-4-0.1")
    ap.add_argument("--outcome", default="referral")
    ap.add_argument("--stratum", default="all", help="all, or an IDACI decile (1..10)")
    a = ap.parse_args()
    print(by_age(a.work, a.tag, a.outcome, a.stratum))
    print()
    print(c_given_back(a.work, a.tag, a.outcome))


if __name__ == "__main__":
    main()

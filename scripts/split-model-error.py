#!/usr/bin/env python3
"""The split correction's relative model error (`SPLIT_MODEL_RELATIVE_SD` in
`crates/cumin-estimate/src/split/mod.rs`; docs/methods.md §2.1), from a validation grid.

For every cell of the grid (mechanism × seed × corrected estimator × outcome × stratum,
before 18) whose split bias `exact − perfect ids` is at least `--min-bias` points, the
correction's residual relative to that bias, `(corrected − perfect) / (exact − perfect)`;
the root-mean-square over the mechanisms that keep the correction's assumptions (all but
`--exclude`, whose assumption 1 is broken on purpose) is the relative s.d. of the
correction's error across plausible data-generating mechanisms.

    python3 scripts/split-model-error.py validation-data/grid-2026-12-06.csv
"""

from __future__ import annotations

import argparse
import csv
import math
from collections import defaultdict


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("grid", help="a grid.csv of scripts/validation-grid.py")
    ap.add_argument("--min-bias", type=float, default=0.3, help="points (default 0.3)")
    ap.add_argument("--exclude", default="pmr-mobility", help="comma-separated mechanisms")
    ap.add_argument("--seeds", default="", help="comma-separated seeds (default: all)")
    a = ap.parse_args()
    exclude = set(filter(None, a.exclude.split(",")))
    seeds = set(filter(None, a.seeds.split(",")))
    err = {}
    for r in csv.DictReader(open(a.grid, newline="")):
        if r["age"] != "17" or r["estimator"] not in ("life-table", "cohort-splice"):
            continue
        if seeds and r["seed"] not in seeds:
            continue
        cell = (r["mechanism"], r["seed"], r["scale"], r["estimator"], r["outcome"], r["stratum"])
        err[cell + (r["ids"], r["linkage"])] = float(r["error_pp"])
    ratios = defaultdict(list)
    for key, c in err.items():
        cell, run = key[:6], key[6:]
        if run != ("delivered", "corrected"):
            continue
        p = err.get(cell + ("perfect", "corrected"))
        e = err.get(cell + ("delivered", "exact"))
        if p is None or e is None or abs(e - p) < a.min_bias:
            continue
        ratios[cell[0]].append((c - p) / (e - p))

    def rms(v):
        return math.sqrt(sum(x * x for x in v) / len(v))

    print(f"{'mechanism':18} {'cells':>5} {'rms':>6} {'max |ratio|':>11}")
    kept = []
    for m, v in sorted(ratios.items()):
        print(f"{m:18} {len(v):5} {rms(v):6.3f} {max(abs(x) for x in v):11.3f}"
              + ("  (excluded)" if m in exclude else ""))
        if m not in exclude:
            kept += v
    print(f"pooled, {len(kept)} cells: relative s.d. {rms(kept):.3f}")


if __name__ == "__main__":
    main()

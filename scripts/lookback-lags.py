#!/usr/bin/env python3
# /// script
# requires-python = ">=3.11"
# dependencies = []
# ///
"""How the split correction's ghosts reach the left-censoring factor `c`, by lag.

For one validation-grid cell kept with `--keep` (WORK/TAG-delivered-exact-est,
WORK/TAG-delivered-corrected-est, WORK/TAG-perfect-corrected-est; `--bootstrap 0` is
enough), reads each run's `analyst-only/correction_model.csv` (the lookback cells the
backward model fits, pooled over cohorts: `children`, `with_event` by age × earlier age)
and `corrections.csv`, and prints for one outcome and stratum:

1. the ghost rows the correction adds to the observed cells (`with_event`, corrected −
   exact) against the truth's (perfect ids − exact), at lags `d = a − x` up to 6 and
   from 7 (the longest observed distances, which the model's extrapolation follows);
2. "`c` given back" (as `grid-cell-stages.py`: cohorts born before the window, ages
   4-17, weighted by the perfect run's `E'`) from a replica of the backward model (F1,
   F3, F4 fitted by binomial maximum likelihood to the observed cells; the kept forms
   are the pair or triple whose mean reproduces the corrected run's factors, used for
   all three runs), each form alone, then with
   perfect ids' `with_event` swapped into the corrected tables at lags <= 6, at lags >= 7,
   and perfect ids' `children` everywhere: which cells carry the shortfall;
3. the corrected run's observed cells with the perfect run's model (and the reverse).

Python 3.11 standard library only. A diagnostic, not a check. Usage:

    python3 scripts/lookback-lags.py validation/m3 mixture-3-0.1 --stratum 1
"""

from __future__ import annotations

import argparse
import csv
import math
from collections import defaultdict
from pathlib import Path

FORMS = {"F1": lambda d: [math.log(d), math.log(d) ** 2],
         "F3": lambda d: [math.log(d), math.log(d) ** 2, math.log(d) ** 3],
         "F4": lambda d: [math.log(d)]}
FORM_SETS = (["F1", "F3"], ["F1", "F4"], ["F3", "F4"], ["F1", "F3", "F4"])
RUNS = ("delivered-exact", "delivered-corrected", "perfect-corrected")


def load(est: Path, outcome: str, sv: str, s: str):
    """Observed cells {(a, x): (with_event, children)} and {(b, a): (u, E', c)}."""
    cells = {}
    for r in csv.DictReader(open(est / "analyst-only" / "correction_model.csv")):
        if (r["outcome"], r["stratum_var"], r["stratum"]) == (outcome, sv, s) \
                and r["source"] == "observed":
            cells[int(r["age"]), int(r["earlier_age"])] = (float(r["with_event"]),
                                                           float(r["children"]))
    factors = {}
    for r in csv.DictReader(open(est / "analyst-only" / "corrections.csv")):
        if (r["outcome"], r["stratum_var"], r["stratum"]) == (outcome, sv, s):
            factors[int(r["birth_year"]), int(r["age"])] = (
                int(r["entry_age"]), float(r["first_in_observed_years"]), float(r["factor"]))
    return cells, factors


def solve(a: list[list[float]], b: list[float]) -> list[float]:
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for i in range(n):
        p = max(range(i, n), key=lambda r: abs(m[r][i]))
        m[i], m[p] = m[p], m[i]
        piv = m[i][i]
        m[i] = [v / piv for v in m[i]]
        for r in range(n):
            if r != i and m[r][i] != 0.0:
                f = m[r][i]
                m[r] = [v - f * w for v, w in zip(m[r], m[i])]
    return [m[i][n] for i in range(n)]


def expit(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def fit(cells, form: str):
    """logit h(a, x) = alpha_x + form terms in d = a - x (methods §5.3), by Newton."""
    xs = sorted({x for (_, x) in cells})
    events = defaultdict(float)
    for (_, x), (k, _) in cells.items():
        events[x] += k
    used = [x for x in xs if events[x] > 0]
    col = {x: i for i, x in enumerate(used)}
    p = len(used) + len(FORMS[form](2))
    rows = []
    for (a, x), (k, n) in cells.items():
        if x in col and n > 0:
            z = [0.0] * p
            z[col[x]] = 1.0
            for j, v in enumerate(FORMS[form](a - x)):
                z[len(used) + j] = v
            rows.append((z, k, n))
    beta = [0.0] * p
    for x in used:
        beta[col[x]] = math.log(events[x] / sum(n for (_, xx), (_, n) in cells.items() if xx == x))
    for _ in range(100):
        g = [0.0] * p
        h = [[0.0] * p for _ in range(p)]
        for z, k, n in rows:
            mu = expit(sum(zi * bi for zi, bi in zip(z, beta)))
            w = n * mu * (1 - mu)
            nz = [i for i in range(p) if z[i] != 0.0]
            for i in nz:
                g[i] += z[i] * (k - n * mu)
                for j in nz:
                    h[i][j] += w * z[i] * z[j]
        step = solve(h, g)
        beta = [b + s for b, s in zip(beta, step)]
        if max(abs(s) for s in step) < 1e-10:
            break

    def hazard(a: int, x: int):
        if x not in xs:
            return None
        if x not in col:
            return 0.0
        t = FORMS[form](a - x)
        return expit(beta[col[x]] + sum(b * v for b, v in zip(beta[len(used):], t)))
    return hazard


def mean_factor(fit_cells, use_cells, forms, factors, weights) -> float:
    """`c̄`: the factors from `use_cells` where observed, the forms fitted to `fit_cells`
    elsewhere, averaged over `weights`' cohorts × ages 4-17 weighted by their `E'`."""
    models = [fit(fit_cells, f) for f in forms]

    def h(a: int, x: int) -> float:
        if (a, x) in use_cells and use_cells[a, x][1] > 0:
            return use_cells[a, x][0] / use_cells[a, x][1]
        v = [q for q in (m(a, x) for m in models) if q is not None]
        return sum(v) / len(v) if v else 0.0
    num = den = 0.0
    for (b, a), (u, ep, _) in weights.items():
        if a >= 4:
            num += ep * math.prod(1 - h(a, x) for x in range(factors[b, a][0]))
            den += ep
    return num / den


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("work", type=Path)
    ap.add_argument("tag")
    ap.add_argument("--outcome", default="referral")
    ap.add_argument("--stratum", default="1", help="'all' or a decile")
    args = ap.parse_args()
    sv = "all" if args.stratum == "all" else "idaci_decile"
    (ox, _), (oc, fc), (op, fp) = (
        load(args.work / f"{args.tag}-{r}-est", args.outcome, sv, args.stratum) for r in RUNS)
    print(f"{args.tag} {args.outcome} stratum {args.stratum}")

    def gaps(o):
        return [sum(o[k][0] - ox[k][0] for k in ox if lo <= k[0] - k[1] <= hi)
                for lo, hi in ((1, 6), (7, 99))]
    gc, gp = gaps(oc), gaps(op)
    print("ghost rows in the observed cells (with_event, - exact): corrected / perfect ids")
    for (lo, hi), c, p in zip(((1, 6), (7, 11)), gc, gp):
        print(f"  lags {lo}-{hi}: {c:8.0f} / {p:8.0f} ({c / p:.0%})" if p else f"  lags {lo}-{hi}: {c:.0f} / 0")
    csv_c = sum(ep * fc[k][2] for k, (_, ep, _) in fp.items() if k[1] >= 4) / \
        sum(ep for k, (_, ep, _) in fp.items() if k[1] >= 4)
    forms = min(FORM_SETS, key=lambda fs: abs(mean_factor(oc, oc, fs, fc, fp) - csv_c))
    cx = mean_factor(ox, ox, forms, fc, fp)
    cp = mean_factor(op, op, forms, fc, fp)

    def back(fit_cells, use_cells) -> str:
        c = mean_factor(fit_cells, use_cells, forms, fc, fp)
        return f"{(cx - c) / (cx - cp):.0%}"
    print(f"`c` given back, forms {'+'.join(forms)} (replica c̄ "
          f"{mean_factor(oc, oc, forms, fc, fp):.4f}, corrections.csv {csv_c:.4f}):")
    print(f"  corrected as is: {back(oc, oc)}")
    for lo, hi in ((1, 6), (7, 99)):
        o = {k: ((op[k][0] if lo <= k[0] - k[1] <= hi and k in op else v[0]), v[1])
             for k, v in oc.items()}
        print(f"  perfect ids' with_event at lags {lo}-{min(hi, 11)}: {back(o, o)}")
    o = {k: (v[0], op.get(k, v)[1]) for k, v in oc.items()}
    print(f"  perfect ids' children everywhere: {back(o, o)}")
    print(f"  corrected cells, perfect ids' model: {back(op, oc)}; "
          f"perfect ids' cells, corrected's model: {back(oc, op)}")
    each = []
    for f in FORMS:
        c = [mean_factor(o, o, [f], fc, fp) for o in (ox, oc, op)]
        each.append(f"{f} {(c[0] - c[1]) / (c[0] - c[2]):.0%}")
    print("  each form alone: " + ", ".join(each))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Prototype (issue 19, phase 1): the left-censoring correction's model form, and a widening
by the spread across plausible forms.

Reads one `cumin estimate --sdc none --estimator life-table --by idaci_decile` output
(of a `--perfect-ids` extract, so that linkage is out of it) and its simulation's
`truth.json` / `denominators.csv`. For every outcome and stratum (all, deciles 1 and 10)
it refits the backward-hazard model (docs/methods.md 5.3) to the observed cells of
`correction_model.csv` under several forms,

    F1  logit h = α_x + β1 log d + β2 log² d            (cumin's)
    F2  logit h = α_x + β1 d + β2 d²
    F3  logit h = α_x + β1 log d + β2 log² d + β3 log³ d
    F4  logit h = α_x + β1 log d
    F5  logit h = α_x + β1 log d + β2 log² d + γ·x·log d   (decay that changes with x)

recomputes the factors `c(b, a) = Π_{x<u_b} (1 − h(a, x))` (observed cells keep their own
shares) and the corrected life table exactly as cumin does (delayed entry with the pooled
survival; cohorts followed from birth taken from cumin's own events and at-risk), and
back-tests each form (fitted without distances 9-11, predicting them: relative error of
`S_d = Σ_x −log(1 − h(x+d, x))`, cumin's `ρ`).

Reported at 17: the truth, cumin's estimate, each form's, the spread of the forms whose
back-test is within twice the best one's (the plausible forms), and whether the truth is
inside cumin's interval, inside [min, max] of the plausible forms, and inside cumin's
interval widened by half that spread in quadrature (the prototype widening).

Python 3.11 standard library. Usage:
    python3 scripts/left-censoring-forms-prototype.py EST SIM [--json OUT]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from collections import defaultdict
from pathlib import Path

OUTCOMES = ["referral", "assessed", "cin", "cpp"]
STRATA = [("all", "all"), ("idaci_decile", "1"), ("idaci_decile", "10")]
FORMS = ["F1", "F2", "F3", "F4", "F5"]


def solve(a, b):
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        if abs(m[p][c]) < 1e-300:
            raise ValueError("singular")
        m[c], m[p] = m[p], m[c]
        for r in range(n):
            if r != c and m[r][c] != 0:
                f = m[r][c] / m[c][c]
                for j in range(c, n + 1):
                    m[r][j] -= f * m[c][j]
    return [m[i][n] / m[i][i] for i in range(n)]


def irls(rows, n_par, iters=50):
    """rows: [(x, n, k)] -> beta (binomial logit)."""
    beta = [0.0] * n_par
    for _ in range(iters):
        xtwx = [[0.0] * n_par for _ in range(n_par)]
        xtz = [0.0] * n_par
        for x, n, k in rows:
            eta = sum(b * v for b, v in zip(beta, x))
            eta = max(min(eta, 30), -30)
            p = 1 / (1 + math.exp(-eta))
            w = n * p * (1 - p)
            if w < 1e-12:
                continue
            z = eta + (k - n * p) / w
            for i in range(n_par):
                if x[i] == 0:
                    continue
                xi = x[i] * w
                xtz[i] += xi * z
                for j in range(n_par):
                    xtwx[i][j] += xi * x[j]
        for i in range(n_par):
            xtwx[i][i] += 1e-9
        new = solve(xtwx, xtz)
        done = max(abs(a - b) for a, b in zip(new, beta)) < 1e-8
        beta = new
        if done:
            break
    return beta


def design(form, a, x, xs):
    d = a - x
    ld = math.log(d)
    alpha = [1.0 if x == v else 0.0 for v in xs]
    extra = {"F1": [ld, ld * ld], "F2": [d / 10, (d / 10) ** 2], "F3": [ld, ld * ld, ld ** 3],
             "F4": [ld], "F5": [ld, ld * ld, x / 10 * ld]}[form]
    return alpha + extra


def fit(form, cells, max_d=99):
    """cells: {(a, x): (n, k)} observed. Returns predict(a, x) or None."""
    used = {c: v for c, v in cells.items() if c[0] - c[1] <= max_d}
    xs = sorted({x for (a, x), (n, k) in used.items() if k > 0})
    rows = [(design(form, a, x, xs), n, k) for (a, x), (n, k) in used.items() if x in xs and n > 0]
    if not rows:
        return lambda a, x: 0.0
    try:
        beta = irls(rows, len(rows[0][0]))
    except ValueError:
        return None

    def predict(a, x):
        if x not in xs:
            return 0.0
        eta = sum(b * v for b, v in zip(beta, design(form, a, x, xs)))
        return 1 / (1 + math.exp(-max(min(eta, 30), -30)))
    return predict


def backtest(form, cells):
    """cumin's rho: relative error of S_d over d = 9..11, refit without them."""
    pred = fit(form, cells, max_d=8)
    if pred is None:
        return float("inf")
    num = den = 0.0
    for d in (9, 10, 11):
        s = sh = 0.0
        for (a, x), (n, k) in cells.items():
            if a - x == d and n > 0:
                s += -math.log(max(1 - k / n, 1e-12))
                sh += -math.log(max(1 - pred(a, x), 1e-12))
        num += (s - sh) ** 2
        den += sh * sh
    return math.sqrt(num / den) if den > 0 else float("inf")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("est", type=Path)
    ap.add_argument("sim", type=Path)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--label", default="")
    a = ap.parse_args()
    truth = json.loads((a.sim / "truth.json").read_text())["truth"]
    pop = defaultdict(float)
    with open(a.sim / "denominators.csv", newline="") as f:
        for r in csv.DictReader(f):
            b, age = int(r["birth_year"]), int(r["age"])
            pop[("all", "all", b, age)] += float(r["population"])
            pop[("idaci_decile", r["IDACI_Decile"], b, age)] += float(r["population"])
    model = defaultdict(dict)  # (o, sv, s) -> {(a, x): (n, k, h, source)}
    with open(a.est / "analyst-only" / "correction_model.csv", newline="") as f:
        for r in csv.DictReader(f):
            model[(r["outcome"], r["stratum_var"], r["stratum"])][(int(r["age"]), int(r["earlier_age"]))] = (
                float(r["children"]), float(r["with_event"]), float(r["hazard"]), r["source"])
    corr = defaultdict(dict)  # (o, sv, s) -> {(b, a): (u, E', c)}
    with open(a.est / "analyst-only" / "corrections.csv", newline="") as f:
        for r in csv.DictReader(f):
            corr[(r["outcome"], r["stratum_var"], r["stratum"])][(int(r["birth_year"]), int(r["age"]))] = (
                int(r["entry_age"]), float(r["first_in_observed_years"]), float(r["factor"]))
    lt = {}
    with open(a.est / "cumulative_incidence.csv", newline="") as f:
        for r in csv.DictReader(f):
            if r["estimator"] == "life-table":
                lt[(r["outcome"], r["stratum_var"], r["stratum"], int(r["age"]))] = (
                    float(r["events"]), float(r["at_risk"]), float(r["cum_inc"]),
                    float(r["lower"]), float(r["upper"]))
    out = []
    for o in OUTCOMES:
        for sv, s in STRATA:
            key = (o, sv, s)
            cells_all = model[key]
            observed = {c: (v[0], v[1]) for c, v in cells_all.items() if v[3] == "observed"}
            cs = corr[key]
            t = (truth["overall"] if sv == "all" else truth["by_idaci_decile"][s])["cum_inc"][o][17]
            cumin = lt[(o, sv, s, 17)]

            def life_table(hfun):
                """Recompute F(17) with backward hazards hfun(a, x) for modelled cells."""
                def h_of(a_, x_):
                    v = cells_all.get((a_, x_))
                    if v is not None and v[3] == "observed":
                        return v[1] / v[0] if v[0] > 0 else 0.0
                    return hfun(a_, x_)
                cohorts = sorted({b for b, _ in cs})
                earlier = defaultdict(float)
                entry_s = {}
                surv = 1.0
                # cumin's pre-window part with its own factors, to split off the rest.
                earlier_c = defaultdict(float)
                entry_c = {}
                surv_c = 1.0
                for age in range(18):
                    d_tot, n_tot = lt[(o, sv, s, age)][:2]
                    d_pre_c = n_pre_c = d_pre = n_pre = 0.0
                    for b in cohorts:
                        if (b, age) not in cs:
                            continue
                        u, e1, c = cs[(b, age)]
                        if b not in entry_c:
                            entry_c[b] = surv_c
                            entry_s[b] = surv
                        p = pop[(sv, s, b, age)]
                        estar_c = e1 * c
                        r_c = max(p * entry_c[b] - earlier_c[b], 0.0)
                        d_pre_c += estar_c
                        n_pre_c += r_c
                        earlier_c[b] += estar_c
                        cf = 1.0
                        for x in range(u):
                            cf *= 1 - h_of(age, x)
                        estar = e1 * cf
                        r = max(p * entry_s[b] - earlier[b], 0.0)
                        d_pre += estar
                        n_pre += r
                        earlier[b] += estar
                    d_birth, n_birth = d_tot - d_pre_c, n_tot - n_pre_c
                    surv_c *= 1 - d_tot / n_tot if n_tot > 0 else 1
                    n = n_birth + n_pre
                    surv *= 1 - (d_birth + d_pre) / n if n > 0 else 1
                return 1 - surv

            res = {"outcome": o, "stratum": "all" if sv == "all" else f"D{s}", "truth": t,
                   "cumin": cumin[2], "lower": cumin[3], "upper": cumin[4],
                   "label": a.label}
            for form in FORMS:
                pred = fit(form, observed)
                res[form] = life_table(pred) if pred else float("nan")
                res[f"bt_{form}"] = backtest(form, observed)
            res["F0_observed_only"] = life_table(lambda a_, x_: 0.0)
            best = min(res[f"bt_{f}"] for f in FORMS)
            plausible = [f for f in FORMS if res[f"bt_{f}"] <= 2 * best + 0.02
                         and not math.isnan(res[f])]
            vals = [res[f] for f in plausible]
            res["plausible"] = ",".join(plausible)
            res["min"], res["max"] = min(vals), max(vals)
            half = (res["max"] - res["min"]) / 2
            w_lo, w_hi = cumin[2] - cumin[3], cumin[4] - cumin[2]
            res["wide_lower"] = cumin[2] - math.sqrt(w_lo ** 2 + half ** 2)
            res["wide_upper"] = cumin[2] + math.sqrt(w_hi ** 2 + half ** 2)
            res["covers"] = cumin[3] <= t <= cumin[4]
            res["covers_wide"] = res["wide_lower"] <= t <= res["wide_upper"]
            out.append(res)
            print(f"{a.label:14} {o:8} {res['stratum']:4} truth {100 * t:6.2f} cumin {100 * (cumin[2] - t):+5.2f} "
                  + " ".join(f"{f} {100 * (res[f] - t):+5.2f}({res[f'bt_{f}']:.3f})" for f in FORMS)
                  + f" obs-only {100 * (res['F0_observed_only'] - t):+5.2f} spread {100 * (res['max'] - res['min']):4.2f}"
                  + f" cover {res['covers']!s:5} wide {res['covers_wide']!s:5} [{res['plausible']}]")
    # The prototype rule: the forms plausible on the whole population's back-test (per
    # outcome; a decile's own back-test is too noisy, as for cumin's rho), their mean as
    # the estimate, half their range added to the half-width in quadrature.
    print("ensemble (forms plausible on the whole population's back-test, mean, widened):")
    for res in out:
        allrow = next(r for r in out if r["outcome"] == res["outcome"] and r["stratum"] == "all")
        forms = allrow["plausible"].split(",")
        vals = [res[f] for f in forms if not math.isnan(res[f])]
        centre = sum(vals) / len(vals)
        half = (max(vals) - min(vals)) / 2
        w_lo, w_hi = res["cumin"] - res["lower"], res["upper"] - res["cumin"]
        lo = centre - math.sqrt(w_lo ** 2 + half ** 2)
        hi = centre + math.sqrt(w_hi ** 2 + half ** 2)
        res["ensemble"], res["ens_lower"], res["ens_upper"] = centre, lo, hi
        res["ens_covers"] = lo <= res["truth"] <= hi
        print(f"{a.label:14} {res['outcome']:8} {res['stratum']:4} forms {','.join(forms):9} "
              f"error {100 * (centre - res['truth']):+5.2f} (cumin {100 * (res['cumin'] - res['truth']):+5.2f}) "
              f"half-width {50 * (hi - lo):4.2f} (cumin {50 * (res['upper'] - res['lower']):4.2f}) "
              f"covers {res['ens_covers']!s:5} (cumin {res['covers']})")
    if a.json:
        a.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# /// script
# requires-python = ">=3.11"
# dependencies = ["numpy", "pandas", "statsmodels"]
# ///
"""The left-censoring correction against exact backward hazards, by IDACI decile
(docs/notes/2026-12-06-decile-10-vs-exact-backward-hazards.md).

Exact backward hazards h(a, x) come from complete simulated histories: the example
`backward_hazards` writes, for N children of one cohort simulated with the default
parameters, each child's decile and a bit mask per outcome of the ages with an event
before 18. Two checks use them:

form       The correction model's form (logit h = alpha_x + b1 log d + b2 log^2 d, the form
           cumin fits) fitted to the exact hazards of the cells a 2011/12-2023/24 extract
           observes (d = a - x <= 11, not (11, 0)), each cell weighted by its children
           times the number of cohorts that observe it (13 - d), as pooling cohorts in an
           extract weights it. Printed: the error its extrapolated cells cause in
           cumulative incidence before each age 11..17 (longest-lookback design,
           percentage points), overall and in deciles 1 and 10.

decompose  For an estimate folder of `cumin estimate --by idaci_decile --estimator
           life-table` (corrections.csv, correction_model.csv, cumulative_incidence.csv)
           and the simulation's truth.json: to first order, how much of the life table's
           error is the correction's. Each factor c(b, a) used is compared with the one
           the exact hazards give, Π_{x<u}(1 - h(a, x)); the difference times the
           cohort's first events in the observed years, over the number at risk, is a
           hazard error, accumulated with S(a - 1). "modelled" replaces only the modelled
           cells by exact ones. The remainder is the estimate's error minus the
           correction's.

realized   For the same estimate folder, the extract's own children: the example
           re-simulates each cohort born before the window, child for child, as
           `cumin simulate --seed S --scale X` did (default parameters otherwise), and
           for every age 11..17 compares, per stratum, cumin's first-observed counts E'
           with the histories', and the share of them that were first ever in the
           histories with the exact hazards' factor and cumin's.

    cargo build --release -p cumin-study --features examples --example backward_hazards
    python3 scripts/correction-vs-exact.py form --children 12000000
    python3 scripts/correction-vs-exact.py decompose --children 12000000 \\
        --estimate EST --truth SIM/truth.json
    python3 scripts/correction-vs-exact.py realized --children 60000000 \\
        --estimate EST --sim-seed 1 --sim-scale 1.0

The example writes about 10 million children a second; analysing 12 million takes a few
minutes and about 8 GB. Decile 10 holds 8% of children: for it use 60 million (`--masks`
can take a file filtered to the deciles needed). Needs numpy, pandas and statsmodels
(`uv run` installs them from the header above; or `pip install -r scripts/requirements.txt`).
"""

from __future__ import annotations

import argparse
import csv
import os

from cuminlib import OUTCOMES, read_truth

try:
    import numpy as np
    import pandas as pd
    import statsmodels.api as sm
    from cuminlib.hazards import AGES, age_bits, exact_hazards, simulate_masks
except ImportError as e:  # `--help` works without them; main() says what to install
    MISSING = e
else:
    MISSING = None

STRATA = ["all", "1", "10"]
WINDOW_YEARS = 13  # census years 2011/12..2023/24


def stratum(masks: pd.DataFrame, s: str, outcome: str) -> np.ndarray:
    rows = masks if s == "all" else masks[masks.decile == int(s)]
    return rows[outcome].values.astype(np.int64)


def design(cells: pd.DataFrame) -> pd.DataFrame:
    x = pd.DataFrame({f"x{k}": (cells.x == k).astype(float) for k in range(AGES - 1)},
                     index=cells.index)
    x["ld"] = np.log(cells.d)
    x["ld2"] = np.log(cells.d) ** 2
    return x


def form_errors(m: np.ndarray) -> list[float]:
    h, bits = exact_hazards(m)
    cells = pd.DataFrame([{"a": a, "x": x, "d": a - x, "h": v[0], "n": v[1]} for (a, x), v in h.items()])
    obs = (cells.d <= 11) & ~((cells.a == 11) & (cells.x == 0)) & (cells.n > 0)
    fit = cells[obs]
    w = fit.n * (WINDOW_YEARS - fit.d).clip(lower=1)
    X = design(fit)
    keep = X.columns[(X != 0).any()]
    res = sm.GLM(np.column_stack([fit.h * w, (1 - fit.h) * w]), X[keep],
                 family=sm.families.Binomial()).fit()
    eta = design(cells)[keep].values @ res.params.values
    pred = dict(zip(zip(cells.a, cells.x), 1 / (1 + np.exp(-eta))))
    observed = set(zip(fit.a, fit.x))
    total, out = 0.0, []
    for a in range(11, AGES):
        u = max(1, a - 11)
        sel = bits[:, a] & ~bits[:, u:a].any(axis=1)
        true_c = 1 - (sel & bits[:, :u].any(axis=1)).sum() / sel.sum()
        c = np.prod([1 - (h[(a, x)][0] if (a, x) in observed else pred[(a, x)])
                     for x in range(u)])
        total += sel.mean() * (c - true_c)
        out.append(100 * total)
    return out


def form(masks: pd.DataFrame) -> None:
    print("error before each age 11..17 (pp) from the form's extrapolated cells, exact hazards")
    for o in OUTCOMES:
        for s in STRATA:
            e = form_errors(stratum(masks, s, o))
            print(f"{o:9} {s:4} " + " ".join(f"{v:+.3f}" for v in e))


def decompose(masks: pd.DataFrame, est: str, truth_path: str) -> None:
    truth = read_truth(truth_path)["truth"]
    ci, used, source = {}, {}, {}
    with open(os.path.join(est, "cumulative_incidence.csv"), newline="") as f:
        for r in csv.DictReader(f):
            if r["estimator"] == "life-table":
                ci[(r["outcome"], r["stratum"], int(r["age"]))] = (float(r["cum_inc"]),
                                                                   float(r["at_risk"]))
    with open(os.path.join(est, "analyst-only", "correction_model.csv"), newline="") as f:
        for r in csv.DictReader(f):
            k = (r["outcome"], r["stratum"], int(r["age"]), int(r["earlier_age"]))
            used[k], source[k] = float(r["hazard"]), r["source"]
    with open(os.path.join(est, "analyst-only", "corrections.csv"), newline="") as f:
        corrections = list(csv.DictReader(f))
    print("life table, pp: error | correction's share (modelled cells) | remainder, at 17")
    for o in OUTCOMES:
        for s in STRATA:
            if (o, s, 17) not in ci:
                continue
            h, _ = exact_hazards(stratum(masks, s, o))
            total, modelled = np.zeros(AGES), np.zeros(AGES)
            for r in corrections:
                if r["outcome"] != o or r["stratum"] != s:
                    continue
                a, u = int(r["age"]), int(r["entry_age"])
                e, f = float(r["first_in_observed_years"]), float(r["factor"])
                exact_c = np.prod([1 - h[(a, x)][0] for x in range(u)])
                mixed_c = np.prod([1 - (used[(o, s, a, x)] if source[(o, s, a, x)] == "observed"
                                        else h[(a, x)][0]) for x in range(u)])
                total[a] += (f - exact_c) * e
                modelled[a] += (f - mixed_c) * e
            t = (truth["overall"] if s == "all" else truth["by_idaci_decile"][s])["cum_inc"][o]
            d_total = d_mod = 0.0
            rem = []
            for a in range(AGES):
                f_a, at_risk = ci[(o, s, a)]
                surv = 1 - (ci[(o, s, a - 1)][0] if a > 0 else 0.0)
                if at_risk > 0:
                    d_total += surv * total[a] / at_risk
                    d_mod += surv * modelled[a] / at_risk
                rem.append(100 * (f_a - t[a] - d_total))
            err = 100 * (ci[(o, s, 17)][0] - t[17])
            print(f"{o:9} {s:4} {err:+.3f} | {100 * d_total:+.3f} ({100 * d_mod:+.3f}) | "
                  f"{rem[17]:+.3f}   remainder by age: " + " ".join(f"{v:+.3f}" for v in rem))


def realized(masks: pd.DataFrame, est: str, seed: int, scale: float,
             first_cohort: int, births: int) -> None:
    per_cohort = round(births * scale)
    with open(os.path.join(est, "analyst-only", "corrections.csv"), newline="") as f:
        corrections = [r for r in csv.DictReader(f) if r["outcome"] == "referral"]
    cohorts = sorted({int(r["birth_year"]) for r in corrections})
    own = {c: simulate_masks(per_cohort, f"seed = {seed}\nscale = {scale}\n",
                             env={"BH_COHORT": str(c),
                                  "BH_FIRST": str((c - first_cohort) * per_cohort)})
           for c in cohorts}
    print("referral, cohorts born before the window, ages 11..17: E' cumin / histories; "
          "share first ever: histories, exact hazards, cumin")
    for s in STRATA:
        h, _ = exact_hazards(stratum(masks, s, "referral"))
        tot = {"real": 0.0, "exact": 0.0, "cumin": 0.0}
        for a in range(11, AGES):
            rows = [r for r in corrections if r["stratum"] == s and int(r["age"]) == a]
            e_cumin = e_hist = real = exact = cumin = 0.0
            for r in rows:
                u, e = int(r["entry_age"]), float(r["first_in_observed_years"])
                m = stratum(own[int(r["birth_year"])], s, "referral")
                bits = age_bits(m)
                first_obs = bits[:, a] & ~bits[:, u:a].any(axis=1)
                e_cumin += e
                e_hist += first_obs.sum()
                real += (first_obs & ~bits[:, :u].any(axis=1)).sum()
                exact += e * np.prod([1 - h[(a, x)][0] for x in range(u)])
                cumin += float(r["corrected"])
            tot["real"] += real
            tot["exact"] += exact
            tot["cumin"] += cumin
            print(f"{s:4} {a}: E' {e_cumin:.0f} / {e_hist:.0f} ({e_cumin / e_hist - 1:+.3f}); "
                  f"first ever {real / e_hist:.4f}, exact {exact / e_cumin:.4f}, "
                  f"cumin {cumin / e_cumin:.4f}")
        print(f"{s:4} 11-17: first events, exact factors {tot['exact'] / tot['real'] - 1:+.4f}, "
              f"cumin's {tot['cumin'] / tot['real'] - 1:+.4f} against the histories'")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["form", "decompose", "realized"])
    ap.add_argument("--children", type=int, default=2_000_000)
    ap.add_argument("--seed", type=int, default=99)
    ap.add_argument("--masks", help="a masks CSV the example wrote (skips simulating)")
    ap.add_argument("--estimate", help="decompose: the estimate folder")
    ap.add_argument("--truth", help="decompose: the simulation's truth.json")
    ap.add_argument("--sim-seed", type=int, default=1, help="realized: cumin simulate --seed")
    ap.add_argument("--sim-scale", type=float, default=1.0, help="realized: --scale")
    ap.add_argument("--first-cohort", type=int, default=1991,
                    help="realized: the simulator's first cohort (first_census_year - 18)")
    ap.add_argument("--births-per-year", type=int, default=640_000)
    a = ap.parse_args()
    if MISSING:
        raise SystemExit(f"{MISSING}: this script needs numpy, pandas and statsmodels "
                         "(uv run scripts/correction-vs-exact.py ..., or "
                         "pip install -r scripts/requirements.txt)")
    if a.masks:
        masks = pd.read_csv(a.masks)
    else:
        masks = simulate_masks(a.children, f"seed = {a.seed}\n")
    if a.mode == "form":
        form(masks)
    elif a.mode == "realized":
        if not a.estimate:
            raise SystemExit("realized needs --estimate")
        realized(masks, a.estimate, a.sim_seed, a.sim_scale, a.first_cohort, a.births_per_year)
    else:
        if not (a.estimate and a.truth):
            raise SystemExit("decompose needs --estimate and --truth")
        decompose(masks, a.estimate, a.truth)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""How well candidate models extrapolate the left-censoring correction (docs/methods.md 5.3).

For each simulated risk structure, complete histories of N children give every backward
hazard h(a, x) exactly (the share of children with an event at age a and none at
x+1..a-1 who had one at x). Each candidate model is fitted, as cumin fits its own, to the
cells a 2011/12-2023/24 extract observes (x >= a - 11, and not (11, 0)); observed cells
keep their own value; the error that the extrapolated cells cause in cumulative incidence
before 18 (longest-lookback design, percentage points) is printed per model.

    cargo build --release -p cumin-study --example backward_hazards
    python3 scripts/correction-forms.py [N] [OUTCOME]

Needs numpy, pandas and statsmodels.
"""

import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd
import statsmodels.api as sm

N = int(sys.argv[1]) if len(sys.argv) > 1 else 300_000
OUTCOME = sys.argv[2] if len(sys.argv) > 2 else "referral"
TARGET = os.environ.get("CARGO_TARGET_DIR", "target")
EXAMPLE = os.path.join(TARGET, "release", "examples", "backward_hazards")
AGES = 18
MIX = (
    "decile_share = [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]\n"
    "decile_referral_ratio = [6.0, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45]\n"
)
SCENARIOS = [
    ("gamma frailty (variance 3), re-referral x2.2 (default)", ""),
    ("gamma frailty, no state dependence", "rereferral_ratio = 1.0\n"),
    ("no frailty, re-referral x2.2", "frailty_variance = 0.0\n"),
    ("gamma frailty, re-referral x4", "rereferral_ratio = 4.0\n"),
    ("gamma frailty variance 8, re-referral x2.2", "frailty_variance = 8.0\n"),
    ("frailty variance 1, re-referral x6", "frailty_variance = 1.0\nrereferral_ratio = 6.0\n"),
    ("10% at 13x the risk, re-referral x2.2", MIX + "frailty_variance = 0.0\n"),
    ("the same, no state dependence", MIX + "frailty_variance = 0.0\nrereferral_ratio = 1.0\n"),
    ("the same with gamma frailty (variance 1)", MIX + "frailty_variance = 1.0\n"),
]


def dummies(s, lo, hi, prefix):
    return pd.DataFrame({f"{prefix}{k}": (s == k).astype(float) for k in range(lo, hi + 1)}, index=s.index)


def extra(**cols):
    def f(c):
        return pd.concat([dummies(c.x, 0, AGES - 2, "x"), pd.DataFrame({k: v(c) for k, v in cols.items()}, index=c.index)], axis=1)
    return f


MODELS = {
    "log d": extra(ld=lambda c: np.log(c.d)),
    "log d, log2 d": extra(ld=lambda c: np.log(c.d), ld2=lambda c: np.log(c.d) ** 2),
    "d": extra(d=lambda c: c.d * 1.0),
    "d, d2": extra(d=lambda c: c.d * 1.0, d2=lambda c: c.d ** 2.0),
    "x + a": lambda c: pd.concat([dummies(c.x, 0, AGES - 2, "x"), dummies(c.a, 2, AGES - 1, "a")], axis=1),
}


def study(masks):
    bits = ((masks[:, None] >> np.arange(AGES)) & 1).astype(bool)
    h = np.full((AGES, AGES), np.nan)
    rows = []
    for a in range(1, AGES):
        clean = np.ones(len(masks), bool)
        for x in range(a - 1, -1, -1):
            sel = bits[:, a] & clean
            d, k = sel.sum(), (sel & bits[:, x]).sum()
            h[a, x] = k / d if d else np.nan
            rows.append(dict(a=a, x=x, d=a - x, k=k, n=d, obs=x >= max(0, a - 11) and (a, x) != (11, 0)))
            clean &= ~bits[:, x]
    cells = pd.DataFrame(rows)
    fit = cells[cells.obs & (cells.n > 0)]

    def predict(design):
        res = sm.GLM(np.column_stack([fit.k, fit.n - fit.k]), design(fit), family=sm.families.Binomial()).fit()
        eta = design(cells).values @ res.params.values
        return {(r.a, r.x): p for r, p in zip(cells.itertuples(), 1 / (1 + np.exp(-eta)))}

    def error(pred):
        # Longest lookback: age a from the cohort entering at max(1, a - 11) for a >= 11.
        total = 0.0
        for a in range(11, AGES):
            u = max(1, a - 11)
            sel = bits[:, a] & ~bits[:, u:a].any(axis=1)
            true_c = 1 - (sel & bits[:, :u].any(axis=1)).sum() / sel.sum()
            c = np.prod([1 - (pred[(a, x)] if (a, x) in pred and not fit_has(a, x) else h[a, x]) for x in range(u)])
            total += sel.mean() * (c - true_c)
        return 100 * total

    observed = set(zip(fit.a, fit.x))

    def fit_has(a, x):
        return (a, x) in observed

    return {name: error(predict(design)) for name, design in MODELS.items()}


def main():
    if not os.path.exists(EXAMPLE):
        sys.exit(f"{EXAMPLE} not found: cargo build --release -p cumin-study --example backward_hazards")
    print(f"error in cumulative incidence of {OUTCOME} before 18 from extrapolated cells (pp), {N} children")
    print("| risk structure | " + " | ".join(MODELS) + " |")
    print("|---" * (len(MODELS) + 1) + "|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, toml in SCENARIOS:
            params = os.path.join(tmp, "p.toml")
            out = os.path.join(tmp, "masks.csv")
            with open(params, "w") as f:
                f.write("seed = 99\n" + toml)
            subprocess.run([EXAMPLE, params, str(N), out], check=True)
            masks = pd.read_csv(out)[OUTCOME].values.astype(np.int64)
            errors = study(masks)
            print(f"| {name} | " + " | ".join(f"{errors[m]:+.2f}" for m in MODELS) + " |")


if __name__ == "__main__":
    main()

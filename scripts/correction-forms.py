#!/usr/bin/env python3
# /// script
# requires-python = ">=3.11"
# dependencies = ["numpy", "pandas", "statsmodels"]
# ///
"""How well candidate models extrapolate the left-censoring correction (docs/methods.md 5.3).

For each simulated risk structure, complete histories of N children give every backward
hazard h(a, x) exactly (the share of children with an event at age a and none at
x+1..a-1 who had one at x). Each candidate model is fitted, as cumin fits its own, to the
cells a 2011/12-2023/24 extract observes (x >= a - 11, and not (11, 0)); observed cells
keep their own value; the error that the extrapolated cells cause in cumulative incidence
before 18 (longest-lookback design, percentage points) is printed per model.

    cargo build --release -p cumin-study --features examples --example backward_hazards
    python3 scripts/correction-forms.py [N] [OUTCOME]

Needs numpy, pandas and statsmodels (`uv run scripts/correction-forms.py` installs them;
or `pip install -r scripts/requirements.txt`). The figures are in
docs/notes/2026-11-23-correction-model-forms.md.
"""

import argparse

try:
    import numpy as np
    import pandas as pd
    import statsmodels.api as sm
    from cuminlib.hazards import AGES, exact_cells, simulate_masks
except ImportError as e:  # `--help` works without them; main() says what to install
    MISSING = e
else:
    MISSING = None

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


def models():
    """The candidate forms, each a function from cells (a, x, d) to a design matrix:
    `α_x` dummies for every earlier age, and a decay in the distance d = a − x."""
    return {
        "log d": extra(ld=lambda c: np.log(c.d)),
        "log d, log2 d": extra(ld=lambda c: np.log(c.d), ld2=lambda c: np.log(c.d) ** 2),
        "d": extra(d=lambda c: c.d * 1.0),
        "d, d2": extra(d=lambda c: c.d * 1.0, d2=lambda c: c.d ** 2.0),
        "x + a": lambda c: pd.concat([dummies(c.x, 0, AGES - 2, "x"), dummies(c.a, 2, AGES - 1, "a")], axis=1),
    }


def study(masks, forms):
    rows, bits = exact_cells(masks)
    h = np.full((AGES, AGES), np.nan)
    for r in rows:
        h[r["a"], r["x"]] = r["k"] / r["n"] if r["n"] else np.nan
        r["obs"] = r["x"] >= max(0, r["a"] - 11) and (r["a"], r["x"]) != (11, 0)
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

    return {name: error(predict(design)) for name, design in forms.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("children", nargs="?", type=int, default=300_000,
                    help="children simulated per structure (default 300000)")
    ap.add_argument("outcome", nargs="?", default="referral",
                    help="referral, assessed, cin, s47 or cpp (default referral)")
    a = ap.parse_args()
    if MISSING:
        raise SystemExit(f"{MISSING}: this script needs numpy, pandas and statsmodels "
                         "(uv run scripts/correction-forms.py ..., or "
                         "pip install -r scripts/requirements.txt)")
    forms = models()
    print(f"error in cumulative incidence of {a.outcome} before 18 from extrapolated cells (pp), {a.children} children")
    print("| risk structure | " + " | ".join(forms) + " |")
    print("|---" * (len(forms) + 1) + "|")
    for name, toml in SCENARIOS:
        masks = simulate_masks(a.children, "seed = 99\n" + toml)[a.outcome].values.astype("int64")
        errors = study(masks, forms)
        print(f"| {name} | " + " | ".join(f"{errors[m]:+.2f}" for m in forms) + " |")


if __name__ == "__main__":
    main()

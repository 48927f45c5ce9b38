#!/usr/bin/env python3
# /// script
# requires-python = ">=3.11"
# dependencies = ["numpy", "scipy", "statsmodels"]
# ///
"""Reference binomial confidence intervals from statsmodels, for cumin-stats' tests.

Writes fixtures/reference/proportions.csv: for a grid of (k, n) and confidence levels,
statsmodels' `proportion_confint` with method="wilson" and method="beta"
(Clopper-Pearson). Floats are written with repr(), the shortest string that reads back
to the same double, so the Rust test compares against exactly what statsmodels returned.

Run from the repository root:  python3 scripts/reference/proportions.py
"""

import platform
import sys
from pathlib import Path

import numpy
import scipy
import statsmodels
from statsmodels.stats.proportion import proportion_confint

OUT = Path(__file__).resolve().parents[2] / "fixtures" / "reference" / "proportions.csv"

NS = [1, 2, 3, 5, 7, 10, 20, 50, 100, 999, 1_000, 10_000, 100_000, 1_000_000]
LEVELS = [0.90, 0.95, 0.99]
METHODS = ["wilson", "beta"]


def ks_for(n):
    """Edge and interior counts: 0, 1, 2, n-2, n-1, n and a few shares of n."""
    ks = {0, 1, 2, n - 2, n - 1, n, n // 10, n // 3, n // 2, (2 * n) // 3, (9 * n) // 10}
    if n >= 1_000:
        ks |= {5, 17, n // 1_000, n - 17}
    return sorted(k for k in ks if 0 <= k <= n)


def main():
    rows = []
    for n in NS:
        for k in ks_for(n):
            for level in LEVELS:
                for method in METHODS:
                    lower, upper = proportion_confint(k, n, alpha=1.0 - level, method=method)
                    rows.append((k, n, level, method, float(lower), float(upper)))
    with OUT.open("w", encoding="utf-8", newline="\n") as f:
        f.write(
            f"# statsmodels {statsmodels.__version__}, scipy {scipy.__version__}, "
            f"numpy {numpy.__version__}, Python {platform.python_version()}; "
            f"made by scripts/reference/proportions.py\n"
        )
        f.write("k,n,level,method,lower,upper\n")
        for k, n, level, method, lower, upper in rows:
            f.write(f"{k},{n},{level!r},{method},{lower!r},{upper!r}\n")
    print(f"wrote {len(rows)} rows to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()

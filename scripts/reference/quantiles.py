#!/usr/bin/env python3
# /// script
# requires-python = ">=3.11"
# dependencies = ["numpy"]
# ///
"""Reference percentile-interval limits from numpy, for cumin-stats' tests.

`cumin_stats::percentile_interval` takes the (B + 1)·α/2-th and (B + 1)·(1 − α/2)-th of
B ordered bootstrap replicates (Hyndman & Fan type 6; R `quantile(type = 6)`), which is
numpy's `quantile(method="weibull")`. This writes, for seeded samples of several sizes
(with ties, and B = 999 where (B + 1)·α/2 is an integer):

  quantiles_input.csv   dataset,values      values: the sample, separated by ";"
  quantiles.csv         dataset,level,lower,upper

Floats are written with repr(), so they read back to exactly the doubles numpy used.

Run from the repository root:  python3 scripts/reference/quantiles.py   (pip install numpy)
"""

import platform
import sys
from pathlib import Path

import numpy

OUT = Path(__file__).resolve().parents[2] / "fixtures" / "reference"
LEVELS = [0.5, 0.8, 0.9, 0.95, 0.99]


def datasets():
    rng = numpy.random.default_rng(20261205)
    yield "two", numpy.array([0.3, 0.1])
    yield "six", numpy.array([5.0, 1.0, 4.0, 2.0, 3.0, 10.0])
    yield "ties_20", numpy.round(rng.normal(0.35, 0.01, 20), 3)
    yield "skewed_200", rng.gamma(2.0, 0.01, 200)
    yield "normal_999", rng.normal(0.25, 0.004, 999)
    yield "normal_1000", rng.normal(0.25, 0.004, 1000)
    yield "with_zeros_250", numpy.where(rng.random(250) < 0.1, 0.0, rng.beta(2, 30, 250))


def main():
    inputs, rows = [], []
    for name, values in datasets():
        values = [float(v) for v in values]
        inputs.append((name, values))
        for level in LEVELS:
            a = 1.0 - level
            lo, hi = numpy.quantile(values, [a / 2, 1 - a / 2], method="weibull")
            rows.append((name, level, float(lo), float(hi)))
    head = (f"# numpy {numpy.__version__}, Python {platform.python_version()}; "
            f"made by scripts/reference/quantiles.py\n")
    with (OUT / "quantiles_input.csv").open("w", encoding="utf-8", newline="\n") as f:
        f.write(head + "dataset,values\n")
        for name, values in inputs:
            f.write(f"{name},{';'.join(repr(v) for v in values)}\n")
    with (OUT / "quantiles.csv").open("w", encoding="utf-8", newline="\n") as f:
        f.write(head + "dataset,level,lower,upper\n")
        for name, level, lo, hi in rows:
            f.write(f"{name},{level!r},{lo!r},{hi!r}\n")
    print(f"wrote {len(inputs)} samples, {len(rows)} intervals to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()

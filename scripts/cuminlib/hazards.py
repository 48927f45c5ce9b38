"""Exact backward hazards from complete simulated histories (numpy and pandas).

The `backward_hazards` example (`crates/cumin-study/examples/backward_hazards.rs`) writes,
for N children of one cohort, each child's decile and a bit mask per outcome of the ages
with an event before 18. From those masks every backward hazard h(a, x) is known exactly:
the share, among children with an event at age a and none at ages x+1..a-1, of those
with an event at x (docs/methods.md 5.3).
"""

from __future__ import annotations

import os
import subprocess
import tempfile

import numpy as np
import pandas as pd

from cuminlib import binary

#: Ages 0..17 (pre-birth events count at 0).
AGES = 18


def age_bits(masks: np.ndarray) -> np.ndarray:
    """children × 18 booleans: an event at each age."""
    return ((masks[:, None] >> np.arange(AGES)) & 1).astype(bool)


def exact_cells(masks: np.ndarray) -> tuple[list[dict], np.ndarray]:
    """Every cell (a, x), x < a, as a dict with `a`, `x`, `d` = a − x, `k` (children with
    an event at x) and `n` (children with an event at a and none at x+1..a−1); and the
    children's age bits."""
    bits = age_bits(masks)
    cells = []
    for a in range(1, AGES):
        clean = np.ones(len(masks), bool)
        for x in range(a - 1, -1, -1):
            sel = bits[:, a] & clean
            n, k = sel.sum(), (sel & bits[:, x]).sum()
            cells.append({"a": a, "x": x, "d": a - x, "k": k, "n": n})
            clean &= ~bits[:, x]
    return cells, bits


def exact_hazards(masks: np.ndarray) -> tuple[dict, np.ndarray]:
    """h[(a, x)] = (share, children) for every cell, and the children's age bits."""
    cells, bits = exact_cells(masks)
    return {(c["a"], c["x"]): (c["k"] / c["n"] if c["n"] else np.nan, c["n"])
            for c in cells}, bits


def simulate_masks(children: int, params: str, env: dict[str, str] | None = None) -> pd.DataFrame:
    """Runs the `backward_hazards` example for `children` children with parameters
    `params` (TOML text); returns its masks table (`decile` and one column per outcome).
    `env` adds variables (`BH_COHORT`, `BH_FIRST`)."""
    example = binary(example="backward_hazards")
    with tempfile.TemporaryDirectory() as tmp:
        p, out = os.path.join(tmp, "p.toml"), os.path.join(tmp, "masks.csv")
        with open(p, "w") as f:
            f.write(params)
        subprocess.run([example, p, str(children), out], check=True,
                       env=dict(os.environ, **(env or {})))
        return pd.read_csv(out)

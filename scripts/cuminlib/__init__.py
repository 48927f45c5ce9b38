"""What the validation scripts share: finding the cumin binaries, running `cumin simulate`
and `cumin estimate`, reading `truth.json` and `cumulative_incidence.csv`, and the
Wilson interval. Python 3.11 standard library only; the numpy helpers for exact
backward hazards are in `cuminlib.hazards`.

The scripts in `scripts/` are run from the repository root (`python3
scripts/truth-recovery.py ...` or `uv run scripts/truth-recovery.py ...`); Python puts
`scripts/` on the import path, so they `import cuminlib`.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import subprocess
import time
from pathlib import Path

#: The outcomes the truth-recovery and coverage checks use (s47 is not in `truth.json`'s
#: published comparisons; `linkage-validation.py` adds it).
OUTCOMES = ["referral", "assessed", "cin", "cpp"]
#: (stratum_var, stratum) of the whole population and IDACI deciles 1 and 10.
STRATA = [("all", "all"), ("idaci_decile", "1"), ("idaci_decile", "10")]
#: The 97.5% point of the standard normal.
Z975 = 1.959963984540054


class CommandFailed(RuntimeError):
    """A cumin command exited non-zero; the message holds the command and its stderr."""


def target_dir() -> Path:
    """Cargo's target folder: `CARGO_TARGET_DIR`, else `target`."""
    return Path(os.environ.get("CARGO_TARGET_DIR", "target"))


def binary(path: str | os.PathLike | None = None, example: str | None = None) -> str:
    """The release `cumin` binary (or an example's), as an absolute path.

    `path` overrides it (a bare name is looked up on PATH). Exits with the cargo command
    to run when the binary has not been built."""
    if path is not None:
        p = str(path)
        return os.path.abspath(p) if os.path.sep in p else p
    if example:
        p = target_dir() / "release" / "examples" / example
        build = f"cargo build --release -p cumin-study --features examples --example {example}"
    else:
        p = target_dir() / "release" / "cumin"
        build = "cargo build --release"
    if not p.exists():
        raise SystemExit(f"{p} not found: run `{build}` first")
    return str(p.resolve())


def run(cmd: list[str], threads: int | None = None, nice: bool = True,
        env: dict[str, str] | None = None) -> float:
    """Runs a command (under `nice -n 19` unless `nice` is false), capturing its output;
    raises `CommandFailed` on a non-zero exit. `threads` sets `RAYON_NUM_THREADS`.
    Returns wall seconds."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    if threads:
        full_env["RAYON_NUM_THREADS"] = str(threads)
    start = time.monotonic()
    done = subprocess.run(["nice", "-n", "19", *cmd] if nice else cmd,
                          capture_output=True, text=True, env=full_env, check=False)
    if done.returncode != 0:
        raise CommandFailed(f"command failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr}")
    return time.monotonic() - start


def simulate(cumin: str, out: Path, seed: int | str, scale: float | str, *,
             perfect_ids: bool = False, params: str | None = None, extra: list[str] = (),
             fmt: str = "parquet", threads: int | None = None, nice: bool = True) -> float:
    """`cumin simulate` into a fresh `out`. `params` is TOML text, written to
    `out/params.toml` and passed with `--params`. Returns wall seconds."""
    out = Path(out)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    cmd = [cumin, "--quiet", "simulate", "--out", str(out), "--seed", str(seed),
           "--scale", str(scale), "--format", fmt, *extra]
    if perfect_ids:
        cmd.append("--perfect-ids")
    if params:
        p = out / "params.toml"
        p.write_text(params)
        cmd += ["--params", str(p)]
    return run(cmd, threads=threads, nice=nice)


def estimate(cumin: str, sim: Path, out: Path, *, episodes: str = "episodes.parquet",
             by: str | None = "idaci_decile", estimators: list[str] = ("life-table",),
             outcomes: list[str] | None = None, sdc: str = "none", bootstrap: int = 0,
             seed: int | str | None = None, extra: list[str] = (), threads: int | None = None,
             nice: bool = True) -> float:
    """`cumin estimate` of a simulated folder `sim` into a fresh `out`. Returns wall
    seconds."""
    sim, out = Path(sim), Path(out)
    shutil.rmtree(out, ignore_errors=True)
    cmd = [cumin, "--quiet", "estimate", "--episodes", str(sim / episodes),
           "--denominators", str(sim / "denominators.csv"), "--out", str(out)]
    if by:
        cmd += ["--by", by]
    cmd += ["--estimator", ",".join(estimators)]
    if outcomes:
        cmd += ["--outcome", ",".join(outcomes)]
    cmd += ["--sdc", sdc, "--bootstrap", str(bootstrap)]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    cmd += list(extra)
    return run(cmd, threads=threads, nice=nice)


def read_truth(path: Path) -> dict:
    """A simulation's `truth.json`."""
    return json.loads(Path(path).read_text())


def truth_cum_inc(truth: dict, outcome: str, stratum_var: str, stratum: str, age: int) -> float:
    """The true cumulative incidence of `outcome` before the (age+1)th birthday, overall
    (`stratum_var` "all") or in an IDACI decile, from a `truth.json` document."""
    t = truth["truth"]
    node = t["overall"] if stratum_var == "all" else t["by_idaci_decile"][stratum]
    return float(node["cum_inc"][outcome][age])


def read_curves(path: Path, estimators=None, ages=None) -> dict:
    """Rows of `cumulative_incidence.csv` keyed by (outcome, estimator, stratum_var,
    stratum, age), optionally only those estimators and ages."""
    out = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            age = int(r["age"])
            if (estimators is not None and r["estimator"] not in estimators) or \
                    (ages is not None and age not in ages):
                continue
            out[(r["outcome"], r["estimator"], r["stratum_var"], r["stratum"], age)] = r
    return out


def write_rows(path: Path, rows: list[dict], fields: list[str] | None = None) -> None:
    """Writes dictionaries as CSV (header from `fields` or the first row)."""
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields or list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def wilson(k: int, n: int) -> tuple[float, float]:
    """Wilson score interval for k of n at 95%."""
    if n == 0:
        return (math.nan, math.nan)
    p, z2 = k / n, Z975 * Z975
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z975 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return (max(0.0, centre - half), min(1.0, centre + half))

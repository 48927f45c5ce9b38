"""CPU seconds and peak memory of each stage of one `cumin estimate` run.

    python3 scripts/bench/stage_profile.py [--interval S] -- cumin estimate ... --out OUT

Runs the command, reads its /proc/PID/stat and /proc/PID/status every --interval seconds
(default 0.05), then splits the run into the stages of OUT/manifest.json
(`timings_seconds`, in the order the pipeline runs them, laid end to end from the
process's start: the arguments and the denominators take a moment before the first, so
stages start that much early) and prints, per stage, its wall seconds, the CPU seconds (user + system,
all threads) spent in it, CPU/wall (about 2 when both cores work) and the largest
resident memory seen in it. Linux only. CPU seconds do not depend on other load much;
wall seconds do.
"""

import argparse
import json
import os
import pathlib
import subprocess
import time

TICK = os.sysconf("SC_CLK_TCK")
# The order `cumin_study::pipeline::run` and the Jay preset run their stages.
ORDER = [
    "read",
    "link",
    "transfer_merge",
    "cohort",
    "split_correction",
    "estimate",
    "linkage_modes",
    "jay_pipeline",
    "corrected_splice",
    "write",
]


def sample(pid: int) -> tuple[float, int] | None:
    """CPU seconds so far and resident KiB of process `pid` (None once it has gone)."""
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
        status = pathlib.Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = stat.rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICK
    rss = next(
        (
            int(line.split()[1])
            for line in status.splitlines()
            if line.startswith("VmRSS:")
        ),
        0,
    )
    return cpu, rss


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--interval", type=float, default=0.05)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    out = pathlib.Path(command[command.index("--out") + 1])

    start = time.monotonic()
    proc = subprocess.Popen(command)
    samples: list[tuple[float, float, int]] = []
    while proc.poll() is None:
        s = sample(proc.pid)
        if s is not None:
            samples.append((time.monotonic() - start, *s))
        time.sleep(args.interval)
    end = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit(f"the command failed ({proc.returncode})")

    timings = json.loads((out / "manifest.json").read_text())["timings_seconds"]
    stages = sorted(timings, key=lambda k: ORDER.index(k) if k in ORDER else len(ORDER))
    # Laid end to end from the start (the arguments and denominators take a moment
    # before `read`; the exit, which frees the tables, comes after `write`).
    bounds, t = [], 0.0
    for name in stages:
        bounds.append((name, t, t + timings[name]))
        t += timings[name]
    bounds.append(("(exit)", t, end))

    def cpu_at(when: float) -> float:
        before = [s for s in samples if s[0] <= when]
        return before[-1][1] if before else 0.0

    total_cpu = samples[-1][1] if samples else 0.0
    peak = max((s[2] for s in samples), default=0)
    print(f"{'stage':<18} {'wall s':>8} {'CPU s':>8} {'CPU/wall':>9} {'peak MiB':>9}")
    for name, lo, hi in bounds:
        cpu = cpu_at(hi) - cpu_at(lo)
        rss = max((s[2] for s in samples if lo <= s[0] <= hi), default=0)
        ratio = cpu / (hi - lo) if hi > lo else 0.0
        print(
            f"{name:<18} {hi - lo:>8.2f} {cpu:>8.2f} {ratio:>9.2f} {rss / 1024:>9.0f}"
        )
    print(
        f"{'whole run':<18} {end:>8.2f} {total_cpu:>8.2f} {total_cpu / end:>9.2f} {peak / 1024:>9.0f}"
        f"   ({len(samples)} samples; CPU to the last sample)"
    )


if __name__ == "__main__":
    main()

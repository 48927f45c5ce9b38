"""A/B of two cumin binaries in one session: time and memory, and outputs byte for byte.

    python3 scripts/bench/ab.py A_BIN B_BIN EXTRACT_DIR [--runs N] [--jobs default,jay_by]
        [--only-compare] [--keep DIR]

EXTRACT_DIR holds episodes.parquet and denominators.csv. Each round runs every job under
A then B (B then A in even rounds, so a drift of load touches both alike), each under
/usr/bin/time. The outputs of the first round are compared file by file, byte for byte,
the manifest's build commit and timings left out (what the golden tests leave out;
both binaries write to the same folder, whose path the outputs name); the first differing line of each differing file is printed. Printed per job: the
medians of wall seconds, CPU seconds (user + system) and peak resident memory for A and
B, the medians of the per-round ratios B/A, and the manifests' stage timings.

Jobs (`--jobs`, comma-separated):

    default      cumin estimate (default flags)
    jay_by       --splice-design jay2025 --by idaci_decile (issue 20's job)
    boot200      jay_by with --bootstrap 200
    boot1000     jay_by with --bootstrap 1000
    sensitivity  --by sex --period 2012-2015,2016-2019 --sensitivity --bootstrap 20
    corrected    --linkage corrected --by idaci_decile
    preset       --preset jay2025
    strict       --preset jay2025-strict

The exit status is 1 if any output differs (with --only-compare the timing is skipped:
one round, outputs compared).
"""

import argparse
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import json

JOBS = {
    "default": [],
    "jay_by": ["--splice-design", "jay2025", "--by", "idaci_decile"],
    "boot200": ["--splice-design", "jay2025", "--by", "idaci_decile", "--bootstrap", "200"],
    "boot1000": ["--splice-design", "jay2025", "--by", "idaci_decile", "--bootstrap", "1000"],
    "sensitivity": [
        "--by", "sex", "--period", "2012-2015,2016-2019", "--sensitivity", "--bootstrap", "20",
    ],
    "corrected": ["--linkage", "corrected", "--by", "idaci_decile"],
    "preset": ["--preset", "jay2025"],
    "strict": ["--preset", "jay2025-strict"],
}


def redact_manifest(text: str) -> str:
    """The manifest without what differs between builds and reruns."""
    m = json.loads(text)
    m.pop("timings_seconds", None)
    if isinstance(m.get("build"), dict):
        m["build"].pop("commit", None)
    return json.dumps(m, indent=1, sort_keys=True)


def comparable(path: pathlib.Path) -> bytes:
    data = path.read_bytes()
    if path.name == "manifest.json":
        return redact_manifest(data.decode()).encode()
    return data


def first_difference(a: bytes, b: bytes) -> str:
    try:
        la, lb = a.decode().splitlines(), b.decode().splitlines()
    except UnicodeDecodeError:
        return f"binary: {len(a)} bytes against {len(b)}"
    for n, (x, y) in enumerate(zip(la, lb), 1):
        if x != y:
            return f"line {n}:\n      A: {x[:200]}\n      B: {y[:200]}"
    return f"A has {len(la)} lines, B {len(lb)}"


def compare(a: pathlib.Path, b: pathlib.Path) -> list[str]:
    files = lambda d: {p.relative_to(d) for p in d.rglob("*") if p.is_file()}
    fa, fb = files(a), files(b)
    problems = [f"  {f}: only in {'A' if f in fa else 'B'}" for f in sorted(fa ^ fb)]
    for f in sorted(fa & fb):
        x, y = comparable(a / f), comparable(b / f)
        if x != y:
            problems.append(f"  {f} differs, {first_difference(x, y)}")
    return problems


def run(binary: str, extract: pathlib.Path, job: str, out: pathlib.Path, scratch: pathlib.Path):
    cmd = [
        binary, "estimate", "--quiet",
        "--episodes", str(extract / "episodes.parquet"),
        "--denominators", str(extract / "denominators.csv"),
        "--out", str(out), *JOBS[job],
    ]
    timing = scratch / "time"
    p = subprocess.run(
        ["/usr/bin/time", "-f", "%e %U %S %M", "-o", str(timing), *cmd],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{p.stderr}")
    wall, user, system, peak = timing.read_text().split()
    stages = {}
    manifest = out / "manifest.json"
    if manifest.exists():
        stages = json.loads(manifest.read_text()).get("timings_seconds", {})
    return {
        "wall": float(wall), "cpu": float(user) + float(system),
        "peak": float(peak) / 1048576, "stages": stages,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("extract", type=pathlib.Path)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", default="default,jay_by")
    ap.add_argument("--only-compare", action="store_true")
    ap.add_argument("--keep", type=pathlib.Path, help="keep round 1's outputs here (A/ and B/)")
    args = ap.parse_args()
    jobs = args.jobs.split(",")
    for j in jobs:
        if j not in JOBS:
            sys.exit(f"unknown job {j}; jobs: {', '.join(JOBS)}")
    runs = 1 if args.only_compare else args.runs
    scratch = pathlib.Path(tempfile.mkdtemp(prefix="cumin-ab-"))
    results = {j: {"A": [], "B": []} for j in jobs}
    differ = False
    print(f"A = {args.a}\nB = {args.b}\nextract = {args.extract}; jobs {','.join(jobs)}; {runs} rounds")
    print(f"load before: {pathlib.Path('/proc/loadavg').read_text().strip()}")
    try:
        for rnd in range(1, runs + 1):
            for job in jobs:
                order = [("A", args.a), ("B", args.b)]
                if rnd % 2 == 0:
                    order.reverse()
                outs = {}
                for side, binary in order:
                    # Both write to the same folder (its path is in the manifest and
                    # the report), moved aside after.
                    out, kept = scratch / "out", scratch / f"{job}-{side}"
                    for d in (out, kept):
                        shutil.rmtree(d, ignore_errors=True)
                    r = run(binary, args.extract, job, out, scratch)
                    out.rename(kept)
                    results[job][side].append(r)
                    outs[side] = kept
                    print(f"round {rnd} {job:<12} {side}: wall {r['wall']:7.2f} s  CPU {r['cpu']:7.2f} s  "
                          f"peak {r['peak']:5.2f} GiB", flush=True)
                if rnd == 1:
                    problems = compare(outs["A"], outs["B"])
                    if problems:
                        differ = True
                        print(f"OUTPUTS DIFFER ({job}):\n" + "\n".join(problems))
                    else:
                        n = sum(1 for p in outs["A"].rglob("*") if p.is_file())
                        print(f"outputs identical ({job}: {n} files)")
                    if args.keep:
                        for side, out in outs.items():
                            dest = args.keep / job / side
                            shutil.rmtree(dest, ignore_errors=True)
                            shutil.copytree(out, dest)
                for out in outs.values():
                    shutil.rmtree(out, ignore_errors=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"load after: {pathlib.Path('/proc/loadavg').read_text().strip()}")
    if args.only_compare:
        return 1 if differ else 0
    med = statistics.median
    print(f"\n{'job':<12} {'':>2} {'wall s':>8} {'CPU s':>8} {'peak GiB':>9}   (medians)")
    for job in jobs:
        for side in "AB":
            rs = results[job][side]
            print(f"{job:<12} {side:>2} {med(r['wall'] for r in rs):>8.2f} {med(r['cpu'] for r in rs):>8.2f} "
                  f"{med(r['peak'] for r in rs):>9.2f}")
        ratio = lambda k: med(b[k] / a[k] for a, b in zip(results[job]["A"], results[job]["B"]))
        print(f"{job:<12} {'B/A':>2} {ratio('wall'):>8.3f} {ratio('cpu'):>8.3f} {ratio('peak'):>9.3f}")
        for side in "AB":
            stages = results[job][side][0]["stages"]
            if stages:
                print(f"  {side} stages: " + "  ".join(
                    f"{k} {med(r['stages'].get(k, 0.0) for r in results[job][side]):.2f}" for k in stages))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())

"""The DuckDB peer of scripts/bench.sh: Jay et al. 2025's per-age first-event counts.

    python jay_counts.py EPISODES OUT.csv [--threads N] [--window-start YYYY-MM-DD]

Runs jay_counts.sql (beside this file) on EPISODES, a Parquet file with the columns
`cumin simulate` writes (a CSV is first copied to Parquet in a scratch file, rows in
order, not timed apart), and writes every cell of the three-cohort design to OUT.csv as
`mode,birth_year,age,outcome,events`, the layout of cumin's jay_counts.csv (with
`--sdc none`) and of fixtures/jay2025-r/*/expected_jay_counts.csv. Needs the `duckdb`
package (scripts/bench.sh installs it in a venv).
"""

import argparse
import csv
import pathlib
import tempfile
import time

import duckdb


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("episodes", type=pathlib.Path)
    ap.add_argument("out", type=pathlib.Path)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--window-start", default="2011-04-01")
    ap.add_argument(
        "--verbose",
        action="store_true",
        help="time each statement (wall and CPU seconds)",
    )
    args = ap.parse_args()

    start = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    with tempfile.TemporaryDirectory() as scratch:
        con.execute(f"SET temp_directory = '{scratch}'")
        episodes = args.episodes.resolve()
        if episodes.suffix.lower() == ".csv":
            copy = pathlib.Path(scratch) / "episodes.parquet"
            con.execute(
                f"COPY (FROM read_csv('{episodes}', all_varchar = true, header = true)) "
                f"TO '{copy}' (FORMAT parquet)"
            )
            episodes = copy
        sql = (pathlib.Path(__file__).parent / "jay_counts.sql").read_text()
        sql = sql.replace("{episodes}", str(episodes)).replace(
            "{window_start}", args.window_start
        )
        *setup, final = [s for s in split_statements(sql) if s.strip()]
        for statement in setup:
            wall, cpu = time.perf_counter(), time.process_time()
            con.execute(statement)
            if args.verbose:
                first = next(ln for ln in statement.splitlines() if ln.strip())
                print(
                    f"{time.perf_counter() - wall:7.2f} s wall {time.process_time() - cpu:7.2f} s CPU"
                    f"  {first.strip()[:70]}"
                )
        rows = con.execute(final).fetchall()
    with args.out.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["mode", "birth_year", "age", "outcome", "events"])
        w.writerows(rows)
    seconds = time.perf_counter() - start
    total = sum(r[4] for r in rows)
    print(
        f"duckdb {duckdb.__version__}: {len(rows)} cells, {total} events in {seconds:.2f} s"
    )


def split_statements(sql: str) -> list[str]:
    """Statements separated by `;` at the end of a line (none of the SQL's strings holds one)."""
    lines = [ln for ln in sql.splitlines() if not ln.lstrip().startswith("--")]
    out, current = [], []
    for line in lines:
        current.append(line)
        if line.rstrip().endswith(";"):
            out.append("\n".join(current))
            current = []
    if "".join(current).strip():
        out.append("\n".join(current))
    return out


if __name__ == "__main__":
    main()

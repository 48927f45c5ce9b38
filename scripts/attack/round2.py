#!/usr/bin/env python3
"""Red team round 2: an independent attacker on a released cumin folder.

Usage: round2.py RELEASED_DIR TRUTH_DIR [RELEASED_DIR2 ...]

Reads only the files the released folder's manifest marks for release (the truth folder,
the same run under `--sdc none`, only scores the result). Each curve of
`cumulative_incidence.csv` and `trend.csv` becomes integer cumulative event counts
C(a), a = 0..17, known to intervals; the constraints are
  - the step release (docs/methods.md §7): at a step's last age C lies in the rounding
    range of the released cumulative count; a step holds at least L events; a curve
    withheld whole has fewer than L events; and the rule that a step closes at the FIRST
    age where the rounded count has risen and the step holds L events (an age inside a
    step that surely holds L events cannot have a risen rounded count, and the converse);
  - margins: the deciles of a table add up to its `all` curve (plus at most the unplaced
    event years of strata.csv), and the periods of trend.csv add up to the window's
    life table in cumulative_incidence.csv (the period cells partition the window's
    cells, docs/methods.md §5.5: a margin the lab did not model);
and interval propagation runs to a fixed point. Only whole-numbered estimators are
attacked (the unadjusted ones; run with `--linkage exact`).

Scores: per-age events e(a) = C(a) - C(a-1) whose interval is one value, counted when
that value is a hidden count of the profile; every pinned C (any size); and a soundness
check (the truth lies in every interval).
"""

import csv
import json
import sys
from collections import defaultdict
from pathlib import Path

L = 10
HIDDEN = {"jay2025": (1, 9), "dfe": (1, 5), "ons-srs": (0, 9), "ukllc": (0, 9)}
ROUND_TO = {"jay2025": 10, "dfe": 10, "ons-srs": 5, "ukllc": 5}
WHOLE = {"cohort-splice-unadjusted", "life-table-unadjusted"}
AGES = range(18)
INF = 10**9


def rhe(x, base):
    """Rounds x to a multiple of base, halves to even (as the release does)."""
    q = x / base
    r = round(q)  # Python rounds halves to even
    return r * base


def rounding_range(r, base=L):
    """The integers that round to r (multiples of base)."""
    xs = [x for x in range(max(0, r - base), r + base + 1) if rhe(x, base) == r]
    return (min(xs), max(xs))


def released_files(folder):
    m = json.loads((folder / "manifest.json").read_text())
    out = set()
    for f in m.get("files", []):
        status = f.get("release", "")
        name = f.get("name")
        if name and status.startswith("for release"):
            out.add(name)
    return out, m


def read(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def curves(folder, released):
    """(table, period, outcome, estimator, stratum_var, stratum) -> rows by age."""
    out = defaultdict(dict)
    for name, table in (("cumulative_incidence.csv", "ci"), ("trend.csv", "trend")):
        if name not in released or not (folder / name).exists():
            continue
        for r in read(folder / name):
            if r["estimator"] not in WHOLE:
                continue
            key = (table, r.get("period", ""), r["outcome"], r["estimator"],
                   r["stratum_var"], r["stratum"], r["id_mode"])
            out[key][int(r["age"])] = r
    return out


class Solver:
    def __init__(self):
        self.lo = {}
        self.hi = {}
        self.cons = []
        self.changed = True

    def var(self, k, lo=0, hi=INF):
        if k not in self.lo:
            self.lo[k], self.hi[k] = lo, hi
        return k

    def tighten(self, k, lo=None, hi=None):
        if lo is not None and lo > self.lo[k]:
            self.lo[k] = lo
            self.changed = True
        if hi is not None and hi < self.hi[k]:
            self.hi[k] = hi
            self.changed = True

    def run(self, rounds=200):
        n = 0
        while self.changed and n < rounds:
            self.changed = False
            n += 1
            for c in self.cons:
                c(self)
        return n


def linear(total, parts, slack_lo=0, slack_hi=0):
    """total = sum(parts) + s, s in [slack_lo, slack_hi]."""

    def prop(s):
        plo = sum(s.lo[p] for p in parts)
        phi = sum(min(s.hi[p], INF) for p in parts)
        s.tighten(total, plo + slack_lo, phi + slack_hi if phi < INF else None)
        for p in parts:
            olo = plo - s.lo[p]
            ohi = phi - min(s.hi[p], INF)
            s.tighten(p, s.lo[total] - ohi - slack_hi if ohi < INF else None,
                      s.hi[total] - olo - slack_lo if s.hi[total] < INF else None)

    return prop


def diff_at_least(a, b, d):
    """a - b >= d."""

    def prop(s):
        s.tighten(a, lo=s.lo[b] + d)
        s.tighten(b, hi=s.hi[a] - d if s.hi[a] < INF else None)

    return prop


def first_close(cj, cprev, shown_hi):
    """Inside a step (not its last age): not (round(C_j) risen and C_j - C_prev >= L).
    shown_hi: the largest count whose rounding is the previous released cumulative."""

    def prop(s):
        if s.lo[cj] - (s.hi[cprev] if s.hi[cprev] < INF else INF) >= L:
            s.tighten(cj, hi=shown_hi)
        if s.lo[cj] > shown_hi:
            s.tighten(cj, hi=s.hi[cprev] + L - 1 if s.hi[cprev] < INF else None)
            s.tighten(cprev, lo=s.lo[cj] - L + 1)

    return prop


def build(folders):
    s = Solver()
    zero = s.var("zero", 0, 0)
    meta = {}
    for tag, folder in folders:
        released, m = released_files(folder)
        base = ROUND_TO[m["config"]["sdc"]]
        cs = curves(folder, released)
        unplaced = defaultdict(lambda: INF)
        if "strata.csv" in released:
            for r in read(folder / "strata.csv"):
                v = r["event_years_without_stratum"]
                var = (r["stratum_var"], r["outcome"])
                unplaced[var] = min(unplaced[var],
                                    rounding_range(int(float(v)), base)[1] if v else L - 1)
        for key, rows in cs.items():
            name = (tag,) + key
            c = [s.var(name + (a,)) for a in AGES]
            meta[name] = c
            for a in AGES[1:]:
                s.cons.append(diff_at_least(c[a], c[a - 1], 0))
            shown = [a for a in AGES if a in rows and rows[a]["events"] != ""]
            if not shown:
                if all(a in rows for a in AGES):
                    s.tighten(c[17], hi=L - 1)
                continue
            cum, prev_end, prev_cum = 0, None, 0
            for idx, a in enumerate(shown):
                r = rows[a]
                cum += int(float(r["events"]))
                f = int(r["step_from"])
                lo, hi = rounding_range(cum)
                s.tighten(c[a], lo, hi)
                before = c[f - 1] if f > 0 else zero
                s.cons.append(diff_at_least(c[a], before, L))
                last = idx == len(shown) - 1 and a == 17
                if not last:
                    shown_hi = rounding_range(prev_cum)[1]
                    for j in range(f, a):
                        s.cons.append(first_close(c[j], before, shown_hi))
                prev_cum = cum
                prev_end = a
        # strata margins within each table part: every stratification adds up to `all`
        # (plus the unplaced event years of strata.csv), a crossed one to each coarser
        # stratification of the same run
        groups = defaultdict(dict)
        for key in cs:
            table, period, outcome, est, var, stratum, mode = key
            groups[(table, period, outcome, est, mode)][(var, stratum)] = (tag,) + key
        for g, members in groups.items():
            tot = members.get(("all", "all"))
            by_var = defaultdict(list)
            for (var, stratum), v in members.items():
                if var != "all":
                    by_var[var].append((stratum, v))
            for var, parts in by_var.items():
                bound = unplaced[(var, g[2])]
                if tot:
                    for a in AGES:
                        s.cons.append(linear(meta[tot][a], [meta[p][a] for _, p in parts],
                                             0, bound))
                names = var.split(":")
                for i, coarse in enumerate(names):
                    if len(names) < 2 or coarse not in by_var:
                        continue
                    for cstratum, cv in by_var[coarse]:
                        sub = [p for st, p in parts if st.split(":")[i] == cstratum]
                        for a in AGES:
                            s.cons.append(linear(meta[cv][a], [meta[p][a] for p in sub],
                                                 0, bound))
        # periods add up to the window's life table
        per = defaultdict(list)
        for key in cs:
            table, period, outcome, est, var, stratum, mode = key
            if table == "trend" and est == "life-table-unadjusted":
                per[(outcome, est, var, stratum, mode)].append((tag,) + key)
        for (outcome, est, var, stratum, mode), parts in per.items():
            tot = (tag, "ci", "", outcome, est, var, stratum, mode)
            if tot in meta and len(parts) >= 2:
                for a in AGES:
                    s.cons.append(linear(meta[tot][a], [meta[p][a] for p in parts]))
    return s, meta


def recurrence(folder, profile):
    """recurrence.csv: children of a first year are the same in every row, recurred
    rises with k and is at most children. Returns (solver, cells) to score."""
    released, _ = released_files(folder)
    s = Solver()
    cells = {}
    if "recurrence.csv" not in released:
        return s, cells
    base = ROUND_TO[profile]
    threshold = {"jay2025": 0, "dfe": 6, "ons-srs": 10, "ukllc": 10}[profile]
    zeros = profile in ("ons-srs", "ukllc")

    def disclosive(x, event_like):
        return 0 < x < threshold or (x == 0 and event_like and zeros)

    def known(k, v, event_like):
        if v == "":
            xs = [x for x in range(0, max(threshold, 1)) if disclosive(x, event_like)]
        else:
            lo, hi = rounding_range(int(float(v)), base)
            xs = [x for x in range(lo, hi + 1) if not disclosive(x, event_like)]
        s.tighten(k, min(xs), max(xs))

    rows = read(folder / "recurrence.csv")
    by_year = defaultdict(list)
    for r in rows:
        by_year[(r["outcome"], r["first_year"])].append(r)
    for (o, y), rs in by_year.items():
        ch = s.var(("children", o, y))
        cells[("children", o, y)] = ch
        prev = None
        for r in sorted(rs, key=lambda r: int(r["years_after"])):
            known(ch, r["children"], False)
            k = s.var(("recurred", o, y, r["years_after"]))
            cells[("recurred", o, y, r["years_after"])] = k
            known(k, r["recurred"], True)
            s.cons.append(diff_at_least(ch, k, 0))
            if prev is not None:
                s.cons.append(diff_at_least(k, prev, 0))
            prev = k
    s.run()
    return s, cells


def score_recurrence(released_dir, truth_dir, profile):
    s, cells = recurrence(released_dir, profile)
    lo_h, hi_h = HIDDEN[profile]
    truth = {}
    if (truth_dir / "recurrence.csv").exists():
        for r in read(truth_dir / "recurrence.csv"):
            truth[("children", r["outcome"], r["first_year"])] = float(r["children"])
            truth[("recurred", r["outcome"], r["first_year"], r["years_after"])] = float(
                r["recurred"])
    pinned = hidden = unsound = 0
    for name, k in cells.items():
        t = truth.get(name)
        if t is None:
            continue
        if not (s.lo[k] <= t <= s.hi[k]):
            unsound += 1
        if s.lo[k] == s.hi[k]:
            pinned += 1
            hidden += lo_h <= t <= hi_h
    print(f"  recurrence.csv: cells {len(cells)}, pinned {pinned}, hidden pinned {hidden}, "
          f"unsound {unsound}")


def truth_of(truth_dir):
    t = {}
    for name, table in (("cumulative_incidence.csv", "ci"), ("trend.csv", "trend")):
        if not (truth_dir / name).exists():
            continue
        run = defaultdict(float)
        for r in read(truth_dir / name):
            if r["estimator"] not in WHOLE:
                continue
            key = (table, r.get("period", ""), r["outcome"], r["estimator"],
                   r["stratum_var"], r["stratum"], r["id_mode"])
            run[key] += float(r["events"])
            t[key + (int(r["age"]),)] = (float(r["events"]), run[key])
    return t


def main():
    released_dir = Path(sys.argv[1])
    truth_dir = Path(sys.argv[2])
    _, m = released_files(released_dir)
    profile = m["config"]["sdc"]
    lo_h, hi_h = HIDDEN[profile]
    s, meta = build([("a", released_dir)])
    rounds = s.run()
    truth = truth_of(truth_dir)
    pinned_c = hidden = unsound = 0
    by_file = defaultdict(int)
    examples = []
    for name, c in meta.items():
        key = name[1:]
        for a in AGES:
            tv = truth.get(key + (a,))
            if tv is None:
                continue
            e, cum = tv
            if not (s.lo[c[a]] <= cum <= s.hi[c[a]]):
                unsound += 1
            if s.lo[c[a]] == s.hi[c[a]]:
                pinned_c += 1
            elo = s.lo[c[a]] - (s.hi[c[a - 1]] if a else 0)
            ehi = s.hi[c[a]] - (s.lo[c[a - 1]] if a else 0)
            if elo == ehi and lo_h <= e <= hi_h:
                hidden += 1
                by_file[key[0]] += 1
                if len(examples) < 8:
                    examples.append((key, a, e))
    print(f"{released_dir} ({profile}): rounds {rounds}, curves {len(meta)}, "
          f"per-age events pinned and hidden {hidden} {dict(by_file)}, "
          f"cumulative counts pinned (any size) {pinned_c}, unsound {unsound}")
    for x in examples:
        print("  ", x)
    score_recurrence(released_dir, truth_dir, profile)


if __name__ == "__main__":
    main()

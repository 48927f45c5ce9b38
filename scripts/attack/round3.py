#!/usr/bin/env python3
"""Red team round 3: differencing across runs an analyst would release together.

Usage: round3.py [--no-D] RELEASED_DIR:TRUTH_DIR [RELEASED_DIR:TRUTH_DIR ...]

Each RELEASED_DIR is a folder under a controlling profile, TRUTH_DIR the same run under
`--sdc none` (it only scores, and tells the attacker which curves of different runs hold
the same counts: an oracle, generous to it). Only files the manifests mark for release are
read. On top of round2.py's constraints (the step release of every whole-count curve of
`cumulative_incidence.csv`, `trend.csv`, and here `sensitivity.csv`; strata adding up to
`all` and a crossed stratification to each coarser one; periods adding up to the window)
this attacker adds
  - curves of different folders with the same outcome, estimator, stratum, identifier
    mode and census years (or splice design) whose exact counts agree: one set of counts;
  - every partition of a life table's census years into the years of other released life
    tables (periods of any run, windows of any run): the parts add up, age by age, to the
    whole (two period sets, overlapping windows);
  - the earlier-event counts D of the life tables: a released at-risk count is
    round(N) - D~ with N the public population of the pooled cells, so D~ is read, and D
    lies among the counts that release as D~; D adds up over periods and windows as the
    events do, and over strata (plus the unplaced event years, strata.csv).
Scores per folder and file: per-age events e(a) pinned while hidden; cumulative counts
pinned (any size); earlier-event counts D pinned while hidden, and within +-2 while
hidden; unsound (truth outside an interval) must be 0.
"""

import json
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import round2  # noqa: E402
from round2 import (AGES, HIDDEN, INF, L, ROUND_TO, Solver, diff_at_least,  # noqa: E402
                    first_close, linear, read, released_files, rounding_range)

WHOLE = round2.WHOLE
THRESHOLD = {"jay2025": 0, "dfe": 6, "ons-srs": 10, "ukllc": 10}
TABLES = (("cumulative_incidence.csv", "ci"), ("trend.csv", "trend"),
          ("sensitivity.csv", "sens"))


def window_years(m):
    first = int(m["config"]["window_start"][:4]) + 1
    # the window's cells are b + a = first .. data end - 1 (its periods add up to it)
    last = int(m["data_end"][:4]) - 1
    return first, last


def years_of(m, table, period, est):
    if not est.startswith("life-table"):
        return "splice-" + m["config"].get("splice_design", "longest-lookback")
    if table == "trend":
        a, b = period.split("-")
        return int(a), int(b)
    return window_years(m)


def load_curves(folder, only_released=True):
    released, m = released_files(folder)
    out = defaultdict(dict)
    for name, table in TABLES:
        if only_released and name not in released:
            continue
        if not (folder / name).exists():
            continue
        for r in read(folder / name):
            if r["estimator"] not in WHOLE:
                continue
            key = (table, r.get("period", ""), r["outcome"], r["estimator"],
                   r["stratum_var"], r["stratum"], r["id_mode"])
            out[key][int(r["age"])] = r
    return out, m


def populations(den_path):
    P = defaultdict(float)
    for r in read(den_path):
        b, a = int(r["birth_year"]), int(r["age"])
        p = float(r["population"])
        P[(b, a, "all", "all")] += p
        d, s = r.get("IDACI_Decile"), r.get("sex")
        if d:
            P[(b, a, "idaci_decile", d)] += p
        if s:
            P[(b, a, "sex", s)] += p
        if d and s:
            P[(b, a, "idaci_decile:sex", f"{d}:{s}")] += p
    return P


def pooled_n(P, years, a, var, stratum, window_first):
    lo, hi = years
    return sum(P[(b, a, var, stratum)] for b in range(lo - a, hi - a + 1)
               if not (a == 0 and b == window_first))


def rhe(x, base):
    return round(x / base) * base


def releases_as(x, profile, attribute_zero):
    base, t = ROUND_TO[profile], THRESHOLD[profile]
    if 0 < x < t or (x == 0 and attribute_zero and profile in ("ons-srs", "ukllc")):
        return None
    return rhe(x, base)


def partitions(whole, ranges):
    """Every way to write the census years `whole` as consecutive ranges of `ranges`."""
    lo, hi = whole
    out = []

    def go(start, acc):
        if start == hi + 1:
            out.append(list(acc))
            return
        for r in ranges:
            if r[0] == start and r[1] <= hi and r != whole:
                go(r[1] + 1, acc + [r])

    go(lo, [])
    return out


def main():
    args = sys.argv[1:]
    use_d = "--no-D" not in args
    pairs = [a.split(":") for a in args if not a.startswith("--")]
    s = Solver()
    zero = s.var("zero", 0, 0)
    C = {}  # curve name -> [var per age]
    truth_e = {}  # curve name -> [exact events per age]
    content = defaultdict(list)  # content key -> curve names
    Dv, truth_d = {}, {}  # (curve name, age) -> var, exact D
    d_content = defaultdict(list)
    file_of = {}
    unsound_margins = 0
    for tag, (rel, tru) in enumerate(pairs):
        rel, tru = Path(rel), Path(tru)
        cs, m = load_curves(rel)
        tcs, _ = load_curves(tru, only_released=False)
        profile = m["config"]["sdc"]
        base = ROUND_TO[profile]
        den = Path(m["config"]["denominators"])
        if not den.is_absolute():
            den = Path.cwd() / den
        P = populations(den) if use_d else None
        wfirst = window_years(m)[0]
        released, _ = released_files(rel)
        unplaced = defaultdict(lambda: INF)
        if "strata.csv" in released:
            for r in read(rel / "strata.csv"):
                v = r["event_years_without_stratum"]
                k = (r["stratum_var"], r["outcome"])
                unplaced[k] = min(unplaced[k],
                                  rounding_range(int(float(v)), base)[1] if v else L - 1)
        for key, rows in cs.items():
            name = (tag,) + key
            table, period, outcome, est, var, stratum, mode = key
            file_of[name] = (rel.name, dict(TABLES_R)[table])
            trows = tcs.get(key, {})
            te = [float(trows[a]["events"]) if a in trows and trows[a]["events"] else 0.0
                  for a in AGES]
            if any(x != int(x) for x in te):
                continue  # fractional counts (corrected linkage): no integer target
            truth_e[name] = te
            c = [s.var(name + (a,)) for a in AGES]
            C[name] = c
            yrs = years_of(m, table, period, est)
            content[(outcome, est, var, stratum, mode, yrs)].append(name)
            for a in AGES[1:]:
                s.cons.append(diff_at_least(c[a], c[a - 1], 0))
            shown = [a for a in AGES if a in rows and rows[a]["events"] != ""]
            if m["config"].get("preset") and est == "cohort-splice-unadjusted":
                # a Jay preset's unadjusted splice: each age its own rounded count (from
                # jay_counts.csv), ending at the first withheld count
                for a in shown:
                    e = s.var(name + ("e", a))
                    v = int(float(rows[a]["events"]))
                    # age 0 adds the pre-birth count: two rounded counts
                    s.tighten(e, *(rounding_range(v, base) if a else (max(0, v - base), v + base)))
                    s.cons.append(linear(c[a], [c[a - 1] if a else zero, e]))
                continue
            if not shown:
                if all(a in rows for a in AGES):
                    s.tighten(c[17], hi=L - 1)
            cum, prev_cum = 0, 0
            for idx, a in enumerate(shown):
                r = rows[a]
                cum += int(float(r["events"]))
                f = int(r["step_from"])
                lo, hi = rounding_range(cum)
                s.tighten(c[a], lo, hi)
                before = c[f - 1] if f > 0 else zero
                s.cons.append(diff_at_least(c[a], before, L))
                if not (idx == len(shown) - 1 and a == 17):
                    shown_hi = rounding_range(prev_cum)[1]
                    for j in range(f, a):
                        s.cons.append(first_close(c[j], before, shown_hi))
                prev_cum = cum
                # earlier-event counts of the life tables, read from the at-risk count
                if (use_d and est == "life-table-unadjusted" and r["at_risk"] != ""
                        and var in ("all", "idaci_decile", "sex", "idaci_decile:sex")):
                    n = pooled_n(P, yrs, f, var, stratum, wfirst)
                    d_shown = rhe(n, base) - int(float(r["at_risk"]))
                    xs = [x for x in range(0, int(n) + 1)
                          if (releases_as(x, profile, True) or 0) == d_shown]
                    dv = s.var(("D",) + name + (f,))
                    if xs:
                        s.tighten(dv, min(xs), max(xs))
                    Dv[(name, f)] = dv
                    if f in trows and trows[f]["at_risk"]:
                        truth_d[(name, f)] = n - float(trows[f]["at_risk"])
                    d_content[(outcome, est, var, stratum, mode, yrs, f)].append((name, f))
        # strata margins within each table part of this folder
        groups = defaultdict(dict)
        for key in cs:
            if (tag,) + key not in C:
                continue
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
                        s.cons.append(linear(C[tot][a], [C[p][a] for _, p in parts], 0,
                                             bound))
                        dparts = [Dv.get((p, a)) for _, p in parts]
                        if (tot, a) in Dv and all(x is not None for x in dparts):
                            s.cons.append(linear(Dv[(tot, a)], dparts, 0, bound))
                names = var.split(":")
                for i, coarse in enumerate(names):
                    if len(names) < 2 or coarse not in by_var:
                        continue
                    for cstratum, cv in by_var[coarse]:
                        sub = [p for st, p in parts if st.split(":")[i] == cstratum]
                        for a in AGES:
                            s.cons.append(linear(C[cv][a], [C[p][a] for p in sub], 0,
                                                 bound))
                            dparts = [Dv.get((p, a)) for p in sub]
                            if (cv, a) in Dv and all(x is not None for x in dparts):
                                s.cons.append(linear(Dv[(cv, a)], dparts, 0, bound))
    # the same counts in several folders: one set of counts (oracle from the truth)
    links = 0
    for ck, names in content.items():
        for i in range(1, len(names)):
            a0, b0 = names[0], names[i]
            if truth_e[a0] == truth_e[b0]:
                links += 1
                for a in AGES:
                    s.cons.append(linear(C[a0][a], [C[b0][a]]))
    for ck, items in d_content.items():
        for i in range(1, len(items)):
            if truth_d.get(items[0]) == truth_d.get(items[i]) is not None:
                s.cons.append(linear(Dv[items[0]], [Dv[items[i]]]))
    # partitions of census years among the released life tables of every folder
    reps = defaultdict(dict)
    for (outcome, est, var, stratum, mode, yrs), names in content.items():
        if isinstance(yrs, tuple):
            reps[(outcome, est, var, stratum, mode)][yrs] = names[0]
    margins = 0
    for bk, by_years in reps.items():
        ranges = list(by_years)
        for whole in ranges:
            for part in partitions(whole, ranges):
                tot = by_years[whole]
                ps = [by_years[r] for r in part]
                ok = all(abs(sum(truth_e[p][a] for p in ps) - truth_e[tot][a]) < 1e-9
                         for a in AGES)
                if not ok:
                    unsound_margins += 1
                    continue
                margins += 1
                for a in AGES:
                    s.cons.append(linear(C[tot][a], [C[p][a] for p in ps]))
                    if (tot, a) in Dv and all((p, a) in Dv for p in ps):
                        td = truth_d.get((tot, a))
                        tp = [truth_d.get((p, a)) for p in ps]
                        if td is not None and None not in tp and abs(sum(tp) - td) < 1e-6:
                            s.cons.append(linear(Dv[(tot, a)], [Dv[(p, a)] for p in ps]))
                        else:
                            unsound_margins += 1
    rounds = s.run(400)
    # scores
    # e hidden, C pinned, D hidden, D near, D read, D unsound, e pinned (any size)
    res = defaultdict(lambda: [0, 0, 0, 0, 0, 0, 0])
    unsound = 0
    for name, c in C.items():
        profile = json.loads((Path(pairs[name[0]][0]) / "manifest.json").read_text())[
            "config"]["sdc"]
        lo_h, hi_h = HIDDEN[profile]
        f = file_of[name]
        cum = 0.0
        for a in AGES:
            e = truth_e[name][a]
            cum += e
            if not (s.lo[c[a]] <= cum + 1e-9 and cum - 1e-9 <= s.hi[c[a]]):
                unsound += 1
            if s.lo[c[a]] == s.hi[c[a]]:
                res[f][1] += 1
            elo = s.lo[c[a]] - (s.hi[c[a - 1]] if a else 0)
            ehi = s.hi[c[a]] - (s.lo[c[a - 1]] if a else 0)
            if elo == ehi:
                res[f][6] += 1
                if lo_h <= e <= hi_h:
                    res[f][0] += 1
    for (name, a), dv in Dv.items():
        profile = json.loads((Path(pairs[name[0]][0]) / "manifest.json").read_text())[
            "config"]["sdc"]
        lo_h, hi_h = HIDDEN[profile]
        f = file_of[name]
        t = truth_d.get((name, a))
        if t is None:
            continue
        res[f][4] += 1
        if not (s.lo[dv] <= t <= s.hi[dv]):
            unsound += 1
            res[f][5] += 1
        if s.lo[dv] == s.hi[dv] and lo_h <= t <= hi_h:
            res[f][2] += 1
        if s.hi[dv] - s.lo[dv] <= 4 and lo_h <= t <= hi_h:
            res[f][3] += 1
    print(f"folders {[p[0] for p in pairs]}: rounds {rounds}, curves {len(C)}, "
          f"linked {links}, year margins {margins} (skipped, not exact {unsound_margins}),"
          f" unsound {unsound}")
    for f, (eh, cp, dh, dn, dcount, du, ep) in sorted(res.items()):
        print(f"  {f[0]}/{f[1]}: events hidden pinned {eh} (any size {ep}), "
              f"cumulative pinned {cp}, "
              f"D read {dcount}: hidden pinned {dh}, hidden within +-2 {dn}, D unsound {du}")


TABLES_R = [(t, n) for n, t in TABLES]

if __name__ == "__main__":
    main()

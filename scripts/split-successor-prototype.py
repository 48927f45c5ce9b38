#!/usr/bin/env python3
"""Prototype (issue 19, phase 1): a split correction from a successor model, against the truth.

Reads a simulated extract (`episodes.csv`) with `true_ids.csv` (truth, used ONLY to score)
and `denominators.csv`/`truth.json`, links keys by PMR alone (cumin's `--linkage exact`),
and compares, per outcome (referral, assessed), age and decile (all, 1, 10), the spurious
first events that split identities add (truth: keys of one true child in several linked
children) with two estimates of them:

- `today`: cumin's seen-pair correction (docs/methods.md 2.1): each seen pair of
  consecutive PMR keys (A, B) stands for `1/P − 1` hidden pairs, `P = h·q(A)·q(B)`,
  `q = φ(class)/h`, class = (oldest age, rows 1/2/3+), placed at B's first event
  (without the transfer rule's merge, which both share);
- `successor`: the successor model (the prototype). For every key K, `π(K)` = P(K is
  followed, in the extract, by another key of the same child), a logistic model in what
  the extract shows about K (oldest age, age², rows, last closure a transfer `RC5`,
  follow-up left to the data end, decile group), fitted on keys that carry a PMR to
  `Y(K)` = "K's linked child has a later PMR key", divided by `r` = P(the successor
  carries a PMR | K does). Ages where no key carries a PMR are reached only by the
  fitted age trend (explicit: the ages fitted are printed). Expected hidden successors:
  `π(K)` for a key without a PMR, `π(1 − r)/(1 − πr)` for a PMR key with no later PMR
  key. Each hidden successor's spurious first event is placed by the seen pairs' delay
  distribution (years from K's oldest age to B's first event), by K's transfer flag and
  age band, the youngest band standing in for ages without seen pairs; for assessed,
  times the seen pairs' chance that B holds an assessed event, for K that holds one.

It also prints the extract's own diagnostics of which PMR mechanism holds: per age, the
share of rows carrying a PMR (`φ`) against the share among rows whose key carried it in
an earlier census year (persistence); and among transfer-candidate pairs (an RC5 closure
then, within 56 days, a first referral in another LA with the same birth month), the
share of later keys carrying the same PMR when the earlier one carries it (`r`).

The first-order effect on cumulative incidence before 18 (percentage points) of each
estimate's residual is `S(17) Σ_a c̄(a) δE(a) / (Σ_b P(b) S(a))` over observed cells
(cohorts b with b + a in 2012..2023), `S` from the truth, `c̄` the mean left-censoring
factor at that age (1 before 12, passed with --factors from a perfect-ids run's
corrections.csv, else 1). Scored against cumin's own exact − perfect gap where given.

Python 3.11 standard library. Usage:
    cumin simulate --out SIM --scale 0.1 --seed 11 --format csv --write-true-ids [--mechanism pmr-onset]
    python3 scripts/split-successor-prototype.py SIM [--factors PERFECT_EST/corrections.csv]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import pickle
import sys
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

WINDOW = (date(2011, 4, 1), date(2024, 3, 31))
DATA_END_YEAR = 2024
OUTCOMES = ["referral", "assessed"]
STRATA = ["all", "1", "10"]


def parse_date(s: str) -> date | None:
    s = s.strip()
    if len(s) == 10 and s[4] == "-" and s[7] == "-":
        try:
            d = date(int(s[:4]), int(s[5:7]), int(s[8:]))
        except ValueError:
            return None
        return d if d.year >= 1930 else None
    return None


def norm_reason(s: str) -> str:
    s = s.strip().upper().replace(" ", "")
    return "RC8" if s in ("NFA", "NO", "NON", "NONE") else s


def nfa_value(s: str) -> bool:
    return s.strip().lower() in ("1", "y", "true", "yes")


def age_on(dob: date, d: date) -> int:
    if d < dob:
        return -1
    a = d.year - dob.year - ((d.month, d.day) < (dob.month, dob.day))
    return a


class Key:
    def __init__(self, la):
        self.la = la
        self.rows = 0
        self.pmrs = set()
        self.pmr_rows = []  # (census year, has pmr)
        self.years = set()
        self.births = Counter()
        self.deciles = Counter()
        self.episodes = {}  # referral date -> [latest year, nfa, reason, closure]
        self.truth = Counter()
        self.comp = None


def read(sim: Path):
    keys: dict[tuple[str, str], Key] = {}
    with open(sim / "episodes.csv", newline="") as f, open(sim / "true_ids.csv", newline="") as t:
        rd = csv.reader(f)
        head = next(rd)
        col = {h.removeprefix("CIN_"): i for i, h in enumerate(head)}
        tr = csv.reader(t)
        next(tr)
        for row, truth in zip(rd, tr):
            la, lid = row[col["LA"]], row[col["LAchildID_Anon"]]
            if not lid:
                continue
            k = keys.get((la, lid))
            if k is None:
                k = keys[(la, lid)] = Key(la)
            year = int(row[col["ACADYR"]][:4]) + 1
            k.rows += 1
            k.years.add(year)
            pmr = row[col["PupilMatchingRefAnonymous"]]
            if pmr:
                k.pmrs.add(pmr)
            k.pmr_rows.append((year, bool(pmr)))
            y, m = row[col["YearOfBirth"]], row[col["MonthOfBirth"]]
            if y and m:
                k.births[(int(y), int(m))] += 1
            else:
                e = parse_date(row[col["ExpectedDOB"]])
                if e:
                    k.births[(e.year, e.month)] += 0.001
            dec = row[col["IDACI_Decile"]]
            if dec:
                k.deciles[dec] += 1
            ref = parse_date(row[col["CINreferralDate"]])
            k.truth[int(truth[2])] += 1
            if ref is None:
                continue
            ep = k.episodes.get(ref)
            if ep is None or year >= ep[0]:
                k.episodes[ref] = [year, nfa_value(row[col["ReferralNFA"]]),
                                   norm_reason(row[col["ReasonForClosure"]]),
                                   parse_date(row[col["CINclosureDate"]])]
    return keys


def find(parent, x):
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def logistic_fit(cells, n_par, iters=30):
    """Binomial IRLS on aggregated cells [(x, n, k)]; returns (beta, covariance)."""
    beta = [0.0] * n_par
    for _ in range(iters):
        xtwx = [[0.0] * n_par for _ in range(n_par)]
        xtz = [0.0] * n_par
        for x, n, k in cells:
            eta = sum(b * v for b, v in zip(beta, x))
            p = 1 / (1 + math.exp(-eta))
            w = n * p * (1 - p)
            if w <= 0:
                continue
            z = eta + (k - n * p) / w
            for i in range(n_par):
                xi = x[i] * w
                xtz[i] += xi * z
                for j in range(n_par):
                    xtwx[i][j] += xi * x[j]
        new = solve(xtwx, xtz)
        if max(abs(a - b) for a, b in zip(new, beta)) < 1e-9:
            beta = new
            break
        beta = new
    return beta, invert(xtwx)


def solve(a, b):
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(n):
            if r != c and m[r][c] != 0:
                f = m[r][c] / m[c][c]
                for j in range(c, n + 1):
                    m[r][j] -= f * m[c][j]
    return [m[i][n] / m[i][i] for i in range(n)]


def invert(a):
    n = len(a)
    cols = [solve(a, [1.0 if i == j else 0.0 for i in range(n)]) for j in range(n)]
    return [[cols[j][i] for j in range(n)] for i in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sim", type=Path)
    ap.add_argument("--factors", type=Path, help="a perfect-ids run's corrections.csv")
    ap.add_argument("--min-pmr-share", type=float, default=0.02,
                    help="ages whose keys carry a PMR less often than this are not fitted")
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--extrapolation", choices=["linear", "flat"], default="linear",
                    help="below the youngest fitted age: the age effects' line through the "
                         "youngest fitted age and two years older, or the youngest's effect")
    a = ap.parse_args()
    cache = a.sim / "split-prototype-keys.pickle"
    if cache.exists():
        keys = pickle.loads(cache.read_bytes())
    else:
        keys = read(a.sim)
        cache.write_bytes(pickle.dumps(keys))
    truth_doc = json.loads((a.sim / "truth.json").read_text())
    klist = list(keys.values())
    # Key features.
    for k in klist:
        by, bm = k.births.most_common(1)[0][0] if k.births else (None, None)
        k.dob = date(by, bm, 15) if by and 1 <= bm <= 12 else None
        k.decile = k.deciles.most_common(1)[0][0] if k.deciles else ""
        k.true = k.truth.most_common(1)[0][0]
        k.has_pmr = bool(k.pmrs)
        k.oldest = max((0 if k.dob is None or k.dob > date(y, 3, 31) else age_on(k.dob, date(y, 3, 31))
                        for y in k.years), default=0)
        k.oldest = min(max(k.oldest, 0), 17)
        refs = sorted(k.episodes)
        k.window = [r for r in refs if WINDOW[0] <= r <= WINDOW[1]]
        last = k.episodes[refs[-1]] if refs else None
        k.rc5 = bool(last and last[2] == "RC5")
        k.last_year = max(k.years)
        k.first_ref = k.window[0] if k.window else None
        k.assessed = [r for r in k.window if not k.episodes[r][1]]
    # Linkage by PMR alone (exact).
    parent = list(range(len(klist)))
    owner = {}
    for i, k in enumerate(klist):
        for p in k.pmrs:
            if p in owner:
                ri, rj = find(parent, i), find(parent, owner[p])
                if ri != rj:
                    parent[ri] = rj
            else:
                owner[p] = i
    comps = defaultdict(list)
    for i in range(len(klist)):
        comps[find(parent, i)].append(i)

    def first_event(idx, outcome):
        best = None
        for i in idx:
            k = klist[i]
            ev = k.window if outcome == "referral" else k.assessed
            if ev and (best is None or ev[0] < best[0]):
                best = (ev[0], i)
        return best

    def cell(k, d):
        """(cohort, age, decile) of an event on day d for key k's child."""
        if k.dob is None:
            return None
        age = max(age_on(k.dob, d), 0)
        cohort = k.dob.year + (1 if k.dob.month >= 4 else 0)
        if age > 17:
            return None
        return cohort, age, k.decile

    # Truth: per true child, components with events; all but the earliest are spurious.
    spurious = {o: Counter() for o in OUTCOMES}
    by_true = defaultdict(set)
    for root, idx in comps.items():
        for i in idx:
            by_true[klist[i].true].add(root)
    for child, roots in by_true.items():
        if len(roots) < 2:
            continue
        for o in OUTCOMES:
            firsts = [fe for r in roots if (fe := first_event(comps[r], o))]
            firsts.sort()
            for d, i in firsts[1:]:
                c = cell(klist[i], d)
                if c:
                    spurious[o][c] += 1

    # Diagnostics: persistence of a PMR on a key's later rows, by age.
    phi_age, persist_age = Counter(), Counter()
    n_age, n_persist = Counter(), Counter()
    for k in klist:
        if k.dob is None:
            continue
        seen_before = False
        for y, has in sorted(k.pmr_rows):
            cd = date(y, 3, 31)
            age = 0 if k.dob > cd else min(age_on(k.dob, cd), 17)
            n_age[age] += 1
            phi_age[age] += has
            if seen_before:
                n_persist[age] += 1
                persist_age[age] += has
            seen_before |= has
    # kappa(age): the chance a row at that age carries the PMR once the key carried it in
    # an earlier census year (persistence); where too few such rows, the row share phi/h.
    def kappa(age):
        if n_persist[age] >= 200:
            return persist_age[age] / n_persist[age]
        return min(phi_age[age] / max(n_age[age], 1) / 0.95, 1.0)

    def rho_key(k):
        """P(key k carries the PMR | its child was matched before it)."""
        if k.dob is None:
            return 1.0
        miss = 1.0
        for y in k.years:
            cd = date(y, 3, 31)
            age = 0 if k.dob > cd else min(age_on(k.dob, cd), 17)
            miss *= 1 - kappa(age)
        return max(1 - miss, 1e-3)

    # Classes and phi for today's correction.
    def kclass(k):
        return (k.oldest, min(k.rows, 3))
    phi_n, phi_k = Counter(), Counter()
    for k in klist:
        phi_n[kclass(k)] += 1
        phi_k[kclass(k)] += k.has_pmr
    phi = {c: phi_k[c] / phi_n[c] for c in phi_n}
    ref_n = sum(phi_n[(a, 3)] for a in range(7, 14))
    h = sum(phi_k[(a, 3)] for a in range(7, 14)) / ref_n

    # Seen pairs: consecutive PMR keys of a linked child by first in-window referral.
    seen_pairs = []  # (A index, B index)
    has_later = [False] * len(klist)
    for idx in comps.values():
        pk = sorted((klist[i].first_ref, i) for i in idx if klist[i].has_pmr and klist[i].first_ref)
        for (d0, i0), (d1, i1) in zip(pk, pk[1:]):
            seen_pairs.append((i0, i1))
            has_later[i0] = True

    # Today's correction.
    today = {o: Counter() for o in OUTCOMES}
    for ia, ib in seen_pairs:
        A, B = klist[ia], klist[ib]
        q = lambda k: min(phi[kclass(k)] / h, 1.0)
        p = h * q(A) * q(B)
        w = 1 / p - 1
        for o in OUTCOMES:
            evb = B.window if o == "referral" else B.assessed
            eva = A.window if o == "referral" else A.assessed
            if evb and eva:
                c = cell(B, evb[0])
                if c:
                    today[o][c] += w

    # r: transfer candidates (RC5 closure, then within 56 days a first referral in another
    # LA with the same birth year and month), unique both ways, earlier key carrying a PMR.
    by_birth = defaultdict(list)
    for i, k in enumerate(klist):
        if k.first_ref and k.dob:
            by_birth[(k.dob.year, k.dob.month)].append(i)
    cand_from = defaultdict(list)
    cand_to = defaultdict(list)
    for i, k in enumerate(klist):
        if not (k.rc5 and k.dob):
            continue
        closure = max((e[3] for e in k.episodes.values() if e[3]), default=None)
        if closure is None:
            continue
        for j in by_birth[(k.dob.year, k.dob.month)]:
            b = klist[j]
            if b.la != k.la and 0 <= (b.first_ref - closure).days <= 56:
                cand_from[i].append(j)
                cand_to[j].append(i)
    same = diff = none = 0
    b_pmr = b_all = 0
    for i, js in cand_from.items():
        if len(js) != 1 or len(cand_to[js[0]]) != 1:
            continue
        b = klist[js[0]]
        b_all += 1
        b_pmr += b.has_pmr
        if not klist[i].has_pmr:
            continue
        if not b.has_pmr:
            none += 1
        elif b.pmrs & klist[i].pmrs:
            same += 1
        else:
            diff += 1
    phib = b_pmr / max(b_all, 1)
    false_none = diff * (1 - phib) / max(phib, 1e-9)
    r_hat = same / max(same + none - false_none, 1)
    r_hat = min(max(r_hat, 0.05), 1.0)

    # Successor model on PMR keys, ages where keys carry a PMR at least min-pmr-share.
    def groups(k):
        dg = 0 if k.decile in ("1", "2", "3") else (2 if k.decile in ("8", "9", "10") else 1)
        return dg
    age_share = {a: sum(phi_k[(a, r)] for r in (1, 2, 3)) / max(sum(phi_n[(a, r)] for r in (1, 2, 3)), 1)
                 for a in range(18)}
    fitted_ages = [x for x in range(18) if age_share[x] >= a.min_pmr_share]

    a0 = fitted_ages[0]

    def design(k):
        """Age effects (one per fitted age; below the youngest fitted age a0 the line
        through the fitted effects at a0 and a0 + 2, extended: the explicit
        extrapolation), then the transfer flag, rows, follow-up left and decile group."""
        ages = [0.0] * len(fitted_ages)
        if k.oldest in fitted_ages:
            ages[fitted_ages.index(k.oldest)] = 1.0
        elif a.extrapolation == "flat":
            ages[0] = 1.0
        else:
            steps = (a0 - k.oldest) / 2
            ages[0] = 1.0 + steps
            ages[2] = -steps
        follow = min(DATA_END_YEAR - k.last_year, 8) / 8
        dg = groups(k)
        return ages + [float(k.rc5), float(k.rows == 2), float(k.rows >= 3), follow,
                       follow * follow, float(dg == 0), float(dg == 2)]
    n_par = len(fitted_ages) + 7
    agg = defaultdict(lambda: [0, 0])
    for i, k in enumerate(klist):
        if k.has_pmr and k.first_ref and k.oldest in fitted_ages:
            x = tuple(design(k))
            agg[x][0] += 1
            agg[x][1] += has_later[i]
    cells = [(list(x), n, kk) for x, (n, kk) in agg.items()]
    beta, cov = logistic_fit(cells, n_par)

    def band(age):
        return 0 if age < 5 else (1 if age < 11 else 2)

    # r per (transfer flag, age band) of the earlier key: the harmonic mean of rho_B over
    # its seen pairs (E[rho_B] over all successors, as seen pairs are drawn in
    # proportion to rho_B).
    r_cell = {}
    acc = defaultdict(lambda: [0.0, 0.0])
    for ia, ib in seen_pairs:
        A = klist[ia]
        acc[(A.rc5, band(A.oldest))][0] += 1
        acc[(A.rc5, band(A.oldest))][1] += 1 / rho_key(klist[ib])
    for c, (n, inv) in acc.items():
        r_cell[c] = n / inv

    def r_of(k):
        return r_cell.get((k.rc5, band(k.oldest))) or r_cell.get((k.rc5, 0)) or r_hat

    def pi_of(k):
        x = design(k)
        eta = sum(b * v for b, v in zip(beta, x))
        return min(1 / (1 + math.exp(-eta)) / r_of(k), 0.999), x

    # Delay templates from seen pairs: years from A's oldest age to B's first event.
    delay = defaultdict(Counter)
    assessed_b = defaultdict(lambda: [0, 0])
    for ia, ib in seen_pairs:
        A, B = klist[ia], klist[ib]
        if B.dob is None:
            continue
        w = 1 / rho_key(B)  # seen pairs are drawn in proportion to rho_B
        d = max(age_on(B.dob, B.first_ref), 0) - A.oldest
        delay[(A.rc5, band(A.oldest))][d] += w
        if A.assessed:
            assessed_b[(A.rc5, band(A.oldest))][0] += w
            assessed_b[(A.rc5, band(A.oldest))][1] += w * bool(B.assessed)
    # Hidden successors and where their spurious first events fall.
    successor = {o: Counter() for o in OUTCOMES}
    extrap_total = 0.0
    grad = [0.0] * n_par
    hidden_by_age = Counter()
    for i, k in enumerate(klist):
        if not k.first_ref or k.dob is None:
            continue
        p, x = pi_of(k)
        if k.has_pmr:
            if has_later[i]:
                continue
            rk = r_of(k)
            m = p * (1 - rk) / (1 - p * rk)
        else:
            m = p
        if m <= 0:
            continue
        hidden_by_age[k.oldest] += m
        if k.oldest not in fitted_ages:
            extrap_total += m
            pr = p * r_of(k)
            for j in range(n_par):
                grad[j] += pr * (1 - pr) / r_of(k) * x[j]
        key = (k.rc5, band(k.oldest))
        tmpl = delay.get(key) or delay.get((k.rc5, 0)) or delay[(False, 0)]
        cohort = k.dob.year + (1 if k.dob.month >= 4 else 0)
        # pi is the chance of a successor in the extract: its first event lies at an age
        # the extract holds (before 18, by the data end), so the delays are renormalised
        # over those.
        feasible = {d: c for d, c in tmpl.items()
                    if 0 <= k.oldest + d <= 17 and cohort + k.oldest + d <= DATA_END_YEAR}
        tot = sum(feasible.values())
        if tot <= 0:
            continue
        ab = assessed_b.get(key) or assessed_b.get((k.rc5, 0)) or [1, 1]
        for d, c in feasible.items():
            age = k.oldest + d
            share = m * c / tot
            successor["referral"][(cohort, age, k.decile)] += share
            if k.assessed:
                successor["assessed"][(cohort, age, k.decile)] += share * ab[1] / max(ab[0], 1)
    extrap_sd = math.sqrt(max(sum(grad[i] * cov[i][j] * grad[j]
                                  for i in range(n_par) for j in range(n_par)), 0.0))

    # First-order effect on F(17).
    pop = defaultdict(float)
    with open(a.sim / "denominators.csv", newline="") as f:
        for r in csv.DictReader(f):
            if r["age"] == "0":
                pop[(int(r["birth_year"]), r["IDACI_Decile"])] += float(r["population"])
    factors = defaultdict(lambda: 1.0)
    if a.factors:
        fs = defaultdict(list)
        with open(a.factors, newline="") as f:
            for r in csv.DictReader(f):
                if r["stratum_var"] == "all":
                    fs[(r["outcome"], int(r["age"]))].append(float(r["factor"]))
        for k2, v in fs.items():
            factors[k2] = sum(v) / len(v)

    def effect(counts, outcome, stratum):
        t = truth_doc["truth"]["overall"] if stratum == "all" else \
            truth_doc["truth"]["by_idaci_decile"][stratum]
        cum = t["cum_inc"][outcome]
        s17 = 1 - cum[17]
        total = 0.0
        for age in range(18):
            cohorts = [b for b in range(1991, 2025) if 2012 <= b + age <= 2023]
            p = sum(pop[(b, d)] for b in cohorts for d in
                    ([str(x) for x in range(1, 11)] if stratum == "all" else [stratum]))
            e = sum(v for (b, ag, d), v in counts.items()
                    if ag == age and b in cohorts and (stratum == "all" or d == stratum))
            f = factors[(outcome, age)] if age >= 12 else 1.0
            total += f * e / (p * (1 - cum[age]))
        return 100 * s17 * total

    out = {"h": h, "r_hat": r_hat, "r_cell": {f"{k[0]}-{k[1]}": v for k, v in r_cell.items()}, "transfer_pairs": {"same": same, "different": diff,
                                                      "none": none, "phi_b": phib},
           "fitted_ages": fitted_ages, "beta": beta, "extrapolated_hidden": extrap_total,
           "extrapolated_hidden_sd": extrap_sd, "seen_pairs": len(seen_pairs)}
    print(f"keys {len(klist)}, linked children {len(comps)}, seen pairs {len(seen_pairs)}, h {h:.3f}")
    print("age  rows   phi(row)  persist(row | earlier row of key had it)  keys  key-PMR share  "
          "hidden successors (model)")
    for age in range(18):
        pr = persist_age[age] / n_persist[age] if n_persist[age] else float("nan")
        print(f"{age:3} {n_age[age]:7} {phi_age[age] / max(n_age[age], 1):9.3f} {pr:10.3f} "
              f"({n_persist[age]:6})  {sum(phi_n[(age, r)] for r in (1, 2, 3)):7} "
              f"{age_share[age]:8.3f} {hidden_by_age[age]:10.0f}")
    print(f"transfer candidates with a PMR on the earlier key: later key same PMR {same}, "
          f"different {diff}, none {none}; phi of later keys {phib:.3f} -> r = {r_hat:.3f}")
    print("r (P(successor carries the PMR | earlier key does)) by (RC5, age band): "
          + ", ".join(f"{k}: {v:.3f}" for k, v in sorted(r_cell.items())))
    print(f"fitted on PMR keys at ages {fitted_ages}; hidden successors of keys at other ages "
          f"(extrapolated): {extrap_total:.0f} (s.d. {extrap_sd:.0f} from the fit)")
    res = {}
    for o in OUTCOMES:
        for s in STRATA:
            def tot(c):
                return sum(v for (b, ag, d), v in c.items() if s == "all" or d == s)
            row = {"truth_events": tot(spurious[o]), "today_events": tot(today[o]),
                   "successor_events": tot(successor[o]),
                   "truth_pp": effect(spurious[o], o, s), "today_pp": effect(today[o], o, s),
                   "successor_pp": effect(successor[o], o, s)}
            res[f"{o}/{s}"] = row
            print(f"{o:9} {s:>3}: spurious first events truth {row['truth_events']:8.0f} "
                  f"today {row['today_events']:8.0f} successor {row['successor_events']:8.0f} | "
                  f"first-order pp: truth {row['truth_pp']:+.2f}, left by today "
                  f"{row['truth_pp'] - row['today_pp']:+.2f}, left by successor "
                  f"{row['truth_pp'] - row['successor_pp']:+.2f}")
        print(f"  by age ({o}, all): truth / today / successor")
        for age in range(18):
            f = lambda c: sum(v for (b, ag, d), v in c.items() if ag == age)
            print(f"    {age:2} {f(spurious[o]):8.0f} {f(today[o]):8.0f} {f(successor[o]):8.0f}")
    out["results"] = res
    if a.json:
        a.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Red team round 2: life-table at-risk counts against public populations.

Usage: at_risk.py RELEASED_DIR TRUTH_DIR DENOMINATORS.csv [old|new]

A life table's at-risk count at age a is R(a) = sum over the cohorts observed at a of
P(b,a) - (their children with a first event before a) (docs/methods.md §5.2), so an
attacker with the populations (public estimates; the splices release them rounded too)
reads D(a) = sum P - R(a), a count of children with an event, from each released
(rounded) at-risk count, to within the rounding. Observed cells: b + a in the window's
census years 2012-2023, and for a = 0 cohorts from 2013 (the pre-birth days).
Counts D pinned (one value) and D known to within +-2 while it is a hidden count.
Rule `old` (main before round 2): the at-risk count shown is R rounded. Rule `new`: it is
round(N) - D~, D~ the count D released as any count of children (withheld: 0), so the
attacker reads D~ = round(N) - shown and D is any count that releases as D~.
"""

import csv
import json
import sys
from collections import defaultdict

HIDDEN = {"jay2025": (1, 9), "dfe": (1, 5), "ons-srs": (0, 9), "ukllc": (0, 9)}
ROUND_TO = {"jay2025": 10, "dfe": 10, "ons-srs": 5, "ukllc": 5}
FIRST, LAST = 2012, 2023


def rng(r, base):
    xs = [x for x in range(max(0, r - base), r + base + 1) if round(x / base) * base == r]
    return min(xs), max(xs)


def cohorts(a, years):
    lo, hi = years
    return [b for b in range(lo - a, hi - a + 1) if not (a == 0 and b == FIRST)]


def main():
    rel, tru, den = sys.argv[1:4]
    rule = sys.argv[4] if len(sys.argv) > 4 else "old"
    m = json.load(open(f"{rel}/manifest.json"))
    profile = m["config"]["sdc"]
    lo_h, hi_h = HIDDEN[profile]
    base = ROUND_TO[profile]
    P = defaultdict(float)
    for r in csv.DictReader(open(den)):
        key = (int(r["birth_year"]), int(r["age"]))
        P[key + ("all", "all")] += float(r["population"])
        if "IDACI_Decile" in r:
            P[key + ("idaci_decile", r["IDACI_Decile"])] += float(r["population"])
        if "sex" in r:
            P[key + ("sex", r["sex"])] += float(r["population"])
    periods = {p: tuple(int(x) for x in p.split("-")) for p in m["config"].get("periods") or []}
    released = {f["name"] for f in m["files"] if f["release"].startswith("for release")}
    stats = defaultdict(lambda: [0, 0, 0, 0])
    for name in ("cumulative_incidence.csv", "trend.csv"):
        if name not in released:
            continue
        truth = {}
        for r in csv.DictReader(open(f"{tru}/{name}")):
            k = (r.get("period", ""), r["outcome"], r["estimator"], r["stratum_var"],
                 r["stratum"], r["age"])
            truth[k] = float(r["at_risk"])
        for r in csv.DictReader(open(f"{rel}/{name}")):
            if r["estimator"] != "life-table-unadjusted" or r["at_risk"] == "":
                continue
            if ":" in r["stratum_var"]:
                continue
            a = int(r["step_from"])
            years = periods.get(r.get("period", ""), (FIRST, LAST))
            sp = sum(P[(b, a, r["stratum_var"], r["stratum"])] for b in cohorts(a, years))
            k = (r.get("period", ""), r["outcome"], r["estimator"], r["stratum_var"],
                 r["stratum"], str(a))
            t = sp - truth[k]
            if rule == "old":
                lo, hi = rng(int(float(r["at_risk"])), base)
                dlo, dhi = max(0, sp - hi), sp - lo
            else:
                threshold = {"jay2025": 0, "dfe": 6, "ons-srs": 10, "ukllc": 10}[profile]
                zeros = profile in ("ons-srs", "ukllc")
                d_shown = round(sp / base) * base - int(float(r["at_risk"]))

                def releases_as(x):
                    if 0 < x < threshold or (x == 0 and zeros):
                        return 0
                    return round(x / base) * base

                xs = [x for x in range(0, int(sp) + 1) if releases_as(x) == d_shown]
                if not xs:
                    s = stats[name]
                    s[0] += 1
                    s[3] += 1
                    continue
                dlo, dhi = min(xs), max(xs)
            s = stats[name]
            s[0] += 1
            if not dlo <= t <= dhi:
                s[3] += 1
            if dlo == dhi and lo_h <= t <= hi_h:
                s[1] += 1
            if dhi - dlo <= 4 and lo_h <= t <= hi_h:
                s[2] += 1
    for name, (n, pinned, near, unsound) in stats.items():
        print(f"{rel} ({profile}) {name}: at-risk counts {n}, hidden D pinned {pinned}, "
              f"hidden D within +-2 {near}, unsound {unsound}")


if __name__ == "__main__":
    main()

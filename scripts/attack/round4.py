#!/usr/bin/env python3
"""Red team round 4: the released files and combinations round 3 did not attack.

Usage:
  round4.py linkage REL:TRUTH [REL:TRUTH ...]
  round4.py bootstrap REL_BOOT0:REL_BOOTN [...]

RELs are folders under a controlling profile, TRUTHs the same runs under `--sdc none`
(they only score, and say which identities hold: an oracle, generous to the attacker).
Only files the manifests mark for release are read (round2.released_files).

`linkage`: every count of `linkage.csv` (every identifier mode of every folder) becomes an
integer known to an interval (a shown count: its rounding range; a blank: under the
threshold), and these relations, each kept only where the truth satisfies it exactly:
  - a total and its parts: `rows` = sum of `rows_census_<year>_age_<band>`, the same for
    `rows_with_pmr`; `rows` = `episodes` + `rows_merged_into_episodes`; `rows_linked` =
    `rows` - `rows_unidentified` - `rows_conflict_dropped`; `children` and
    `children_with_pmr` = the sums of `split_children_{with,without}_pmr_first_age_*`;
    `components_merged` = `children_with_pmr`;
  - a subset at most its set: `rows_with_pmr_census_*` <= `rows_census_*`,
    `first_referrals_pmr_identified_age_*` <= `first_referrals_age_*`,
    `split_keys_with_pmr_age_*` <= `split_keys_age_*` (with `age_2-4_rows_*`),
    `split_rows_with_pmr_age_*` <= `split_rows_age_*` (the sums across measures, e.g.
    `split_keys_deciles_*` = the sum of `split_keys_age_*`, are not encoded: the release
    withholds a second part where one alone is, `sdc::withhold_lone_part`);
  - the same measure in two identifier modes or two folders with the same exact value:
    one count (the truth says which).
Scores: counts pinned while hidden (the profile's hidden sizes, round2.HIDDEN), pinned of
any size, and unsound (truth outside its interval; must be 0). Shares are ratios of
released counts (or withheld) and add nothing; `split_pmr_persistence*` shares are
ratios of rounded counts that the file does not show (noted in the round's note).

`bootstrap`: two runs alike but for `--bootstrap` (and `--seed`): which released cells
differ, and, for each curve whose limits differ, the spread along the curve of the
ratio of the two runs' interval widths (one design effect per curve moves them all
alike; an age-by-age spread would be a number from the replicates, not the counts).

The combinations of curve folders (presets beside default runs with other windows, `--by
sex` beside decile runs, bootstrap beside no bootstrap) are attacked by round3.py; the
command lines are in docs/notes/2026-12-07-red-team-round-4.md.
"""

import csv
import re
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from round2 import HIDDEN, INF, ROUND_TO, Solver, linear, read, released_files  # noqa: E402
from round2 import rounding_range  # noqa: E402
from round3 import THRESHOLD  # noqa: E402

NOT_COUNT = re.compile(r"share|persistence|mobility|dispersion|ratio|expected")


def linkage_counts(folder, only_released=True):
    """(id_mode, measure) -> value text, and the folder's profile."""
    released, m = released_files(folder)
    if (only_released and "linkage.csv" not in released) or not (folder / "linkage.csv").exists():
        return {}, m["config"]["sdc"]
    out = {}
    for r in read(folder / "linkage.csv"):
        if not NOT_COUNT.search(r["measure"]):
            out[(r["id_mode"], r["measure"])] = r["value"]
    return out, m["config"]["sdc"]


def identities(measures):
    """Candidate relations among one mode's measures: (total, parts, slack_hi)."""
    out = []
    ms = set(measures)

    def parts(pattern):
        return sorted(x for x in ms if re.fullmatch(pattern, x))

    for total, pat in (("rows", r"rows_census_\d+_age_.+"),
                       ("rows_with_pmr", r"rows_with_pmr_census_\d+_age_.+"),
                       ("children", r"split_children_with(out)?_pmr_first_age_.+"),
                       ("children_with_pmr", r"split_children_with_pmr_first_age_.+")):
        p = parts(pat)
        if total in ms and p:
            out.append((total, p, 0))
    for total, p in (("rows", ["episodes", "rows_merged_into_episodes"]),
                     ("rows", ["rows_linked", "rows_unidentified", "rows_conflict_dropped"]),
                     ("components_merged", ["children_with_pmr"])):
        if total in ms and all(x in ms for x in p):
            out.append((total, p, 0))
    for sub, whole in ((r"rows_with_pmr_(census_.+)", "rows_{}"),
                       (r"first_referrals_pmr_identified_(age_.+)", "first_referrals_{}"),
                       (r"split_keys_with_pmr_(age_.+)", "split_keys_{}"),
                       (r"split_rows_with_pmr_(age_.+)", "split_rows_{}")):
        for x in ms:
            g = re.fullmatch(sub, x)
            if g and whole.format(g.group(1)) in ms:
                out.append((whole.format(g.group(1)), [x], INF))  # whole = sub + s, s >= 0
    return out


def attack_linkage(pairs):
    s = Solver()
    truth, prof = {}, {}
    by_content = defaultdict(list)
    kept = dropped = 0
    for tag, (rel, tru) in enumerate(pairs):
        shown, profile = linkage_counts(Path(rel))
        exact, _ = linkage_counts(Path(tru), only_released=False)
        base, t = ROUND_TO[profile], THRESHOLD[profile]
        modes = defaultdict(list)
        for (mode, measure), v in shown.items():
            tv = exact.get((mode, measure), "")
            if tv == "" or float(tv) != int(float(tv)):
                continue
            k = (tag, mode, measure)
            truth[k], prof[k] = int(float(tv)), profile
            s.var(k)
            if v == "":
                s.tighten(k, 0, max(t - 1, 0))
            else:
                s.tighten(k, *rounding_range(int(float(v)), base))
            modes[mode].append(measure)
            by_content[(mode, measure, truth[k])].append(k)
        for mode, ms in modes.items():
            for total, parts, slack in identities(ms):
                tk, pk = (tag, mode, total), [(tag, mode, p) for p in parts]
                diff = truth[tk] - sum(truth[p] for p in pk)
                if diff == 0 or (slack == INF and diff >= 0):
                    s.cons.append(linear(tk, pk, 0, slack))
                    kept += 1
                else:
                    dropped += 1
    links = 0
    # one count across modes and folders where the truth agrees (same measure)
    same = defaultdict(list)
    for (mode, measure, value), ks in by_content.items():
        same[(measure, value)].extend(ks)
    for ks in same.values():
        for k in ks[1:]:
            s.cons.append(linear(ks[0], [k]))
            links += 1
    rounds = s.run(400)
    res = defaultdict(lambda: [0, 0, 0])
    for k, v in truth.items():
        lo_h, hi_h = HIDDEN[prof[k]]
        f = (pairs[k[0]][0], prof[k])
        res[f][0] += 0
        if not s.lo[k] <= v <= s.hi[k]:
            res[f][2] += 1
        if s.lo[k] == s.hi[k]:
            res[f][1] += 1
            if lo_h <= v <= hi_h:
                res[f][0] += 1
                print(f"  pinned hidden: {k} = {v}")
    print(f"linkage: {len(pairs)} folders, {len(truth)} counts, relations kept {kept} "
          f"(not exact {dropped}), linked {links}, rounds {rounds}")
    for f, (h, anysize, bad) in sorted(res.items()):
        print(f"  {f[0]} ({f[1]}): hidden pinned {h}, pinned any size {anysize}, "
              f"unsound {bad}")


def curve_rows(folder):
    released, _ = released_files(folder)
    out = {}
    if "cumulative_incidence.csv" not in released:
        return out
    for r in read(folder / "cumulative_incidence.csv"):
        out[(r["outcome"], r["estimator"], r["id_mode"], r["stratum_var"], r["stratum"],
             int(r["age"]))] = r
    return out


def attack_bootstrap(pairs):
    for a, b in pairs:
        ra, rb = curve_rows(Path(a)), curve_rows(Path(b))
        diff = defaultdict(int)
        ratios = defaultdict(list)
        for k, x in ra.items():
            y = rb.get(k)
            if y is None:
                diff["row missing"] += 1
                continue
            for col in x:
                if x[col] != y[col]:
                    diff[(col, k[1])] += 1
            if x["lower"] and y["lower"] and x["lower"] != y["lower"]:
                wa = float(x["upper"]) - float(x["lower"])
                wb = float(y["upper"]) - float(y["lower"])
                if wa > 0:
                    ratios[k[:5]].append(wb / wa)
        spread = sorted(max(v) / min(v) - 1 for v in ratios.values() if len(v) > 1)
        released_a, _ = released_files(Path(a))
        released_b, _ = released_files(Path(b))
        print(f"bootstrap {a} vs {b}: released files only in one: "
              f"{sorted(released_a ^ released_b)}")
        print(f"  cells that differ, by column and estimator: {dict(diff)}")
        if spread:
            print(f"  curves with other limits {len(ratios)}; width ratio spread along a "
                  f"curve: median {spread[len(spread) // 2]:.4f}, max {spread[-1]:.4f}")
        counts_moved = sum(n for (col, _), n in
                           ((k, v) for k, v in diff.items() if isinstance(k, tuple))
                           if col in ("events", "at_risk", "step_from", "suppressed"))
        print(f"  released counts that differ: {counts_moved}")


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    pairs = [a.split(":") for a in args]
    if mode == "linkage":
        attack_linkage(pairs)
    elif mode == "bootstrap":
        attack_bootstrap(pairs)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    csv.field_size_limit(1 << 24)
    main()

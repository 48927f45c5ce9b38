-- The Jay et al. 2025 per-age first-event counts (`--preset jay2025-strict`) in DuckDB:
-- the peer that scripts/bench.sh times against cumin. scripts/bench/jay_counts.py runs it,
-- replacing {episodes} (a Parquet file of `cumin simulate` columns) and {window_start}.
--
-- Every step follows cumin's reading of the R code's rules (docs/methods.md;
-- crates/cumin-study/src/jay/prepare.rs and counts.rs), with values typed as
-- cumin-census types them (trimmed text, missing markers, ISO or DD/MM/YYYY
-- dates, dates before 1930 missing, rows without ACADYR or any identifier dropped).
-- Not covered: LatestReferralDate/LatestClosureDate fall-backs and CIN_CIN_LA (the
-- simulator writes neither) and value maps from a study file.

-- 1. Typed rows (cumin-census's cleaning of the columns the design needs).
-- Text trimmed (of spaces: cumin trims any white space, the simulator writes only
-- spaces); the spellings extracts use for "no value" are missing.
CREATE OR REPLACE MACRO txt(x) AS (
    CASE WHEN trim(x) IN ('', 'NA', 'N/A', 'NULL', 'null', 'NaN', 'na', '.') THEN NULL
         ELSE trim(x) END);
-- A whole number in [lo, hi] (an integer column, or text such as `3` or `3.0`).
CREATE OR REPLACE MACRO bounded(x, lo, hi) AS (
    CASE WHEN TRY_CAST(x AS DOUBLE) BETWEEN lo AND hi
              AND TRY_CAST(x AS DOUBLE) = floor(TRY_CAST(x AS DOUBLE))
         THEN CAST(TRY_CAST(x AS DOUBLE) AS INT) END);
-- YYYY-MM-DD (optionally followed by T or a space and anything) or DD/MM/YYYY from
-- trimmed text; invalid calendar dates and dates before 1930 are missing.
CREATE OR REPLACE MACRO day(t) AS (
    CASE WHEN t LIKE '____-__-__' THEN TRY_CAST(t AS DATE)
         WHEN t LIKE '____-__-__T%' OR t LIKE '____-__-__ %' THEN TRY_CAST(t[:10] AS DATE)
         WHEN t LIKE '__/__/____' THEN CAST(try_strptime(t, '%d/%m/%Y') AS DATE) END);
CREATE OR REPLACE MACRO plausible(d) AS (CASE WHEN d >= DATE '1930-01-01' THEN d END);
-- ACADYR from trimmed text: 2012/13, 2012-13, 2012/2013 or 2013 (also `2013.0`, spaces
-- around the separator) → the census year's end, 1990-2100.
CREATE OR REPLACE MACRO census_year(t) AS (
    CASE WHEN (t LIKE '____/__' OR t LIKE '____-__')
              AND TRY_CAST(t[6:] AS INT) = (TRY_CAST(t[:4] AS INT) + 1) % 100
              AND TRY_CAST(t[:4] AS INT) + 1 BETWEEN 1990 AND 2100
             THEN TRY_CAST(t[:4] AS INT) + 1
         WHEN regexp_full_match(t, '\d{4}\s*[/-]\s*\d{2}')
              AND TRY_CAST(right(t, 2) AS INT) = (TRY_CAST(t[:4] AS INT) + 1) % 100
              AND TRY_CAST(t[:4] AS INT) + 1 BETWEEN 1990 AND 2100
             THEN TRY_CAST(t[:4] AS INT) + 1
         WHEN regexp_full_match(t, '\d{4}\s*[/-]\s*\d{4}')
              AND TRY_CAST(right(t, 4) AS INT) = TRY_CAST(t[:4] AS INT) + 1
              AND TRY_CAST(t[:4] AS INT) + 1 BETWEEN 1990 AND 2100
             THEN TRY_CAST(t[:4] AS INT) + 1
         WHEN regexp_full_match(t, '\d{4}(\.0)?')
              AND TRY_CAST(t[:4] AS INT) BETWEEN 1990 AND 2100
             THEN TRY_CAST(t[:4] AS INT) END);
-- ReferralNFA: 1/0, true/false, t/f, yes/no, y/n (any case) → true/false, else missing.
CREATE OR REPLACE MACRO nfa(t) AS (
    CASE WHEN t = '0' THEN false
         WHEN t = '1' THEN true
         WHEN lower(t) IN ('1.0', 'true', 't', 'y', 'yes') THEN true
         WHEN lower(t) IN ('0.0', 'false', 'f', 'n', 'no') THEN false END);
-- Reason for closure as the R code reads it (untrimmed): RC1-RC9 → 1-9; exactly NFA, No,
-- NON, NONE → 8; a first character other than R/r → missing; else upper-cased without
-- spaces, RCn → n and anything else 0 (kept, not RC8).
CREATE OR REPLACE MACRO reason(x) AS (
    CASE WHEN x IS NULL OR x = '' THEN NULL
         WHEN x IN ('RC1', 'RC2', 'RC3', 'RC4', 'RC5', 'RC6', 'RC7', 'RC8', 'RC9')
             THEN TRY_CAST(x[3:] AS INT)
         WHEN x IN ('NFA', 'No', 'NON', 'NONE') THEN 8
         WHEN x[1] NOT IN ('R', 'r') THEN NULL
         WHEN regexp_full_match(regexp_replace(upper(x), '\s', '', 'g'), 'RC[1-9]')
             THEN TRY_CAST(regexp_replace(upper(x), '\s', '', 'g')[3:] AS INT)
         ELSE 0 END);

-- Rows without a census year or without any identifier are not used (quarantined). The
-- key (R's LA child ID + LA) is (kid, la_k): the LA child ID, else the PMR, within LA
-- (la_k −1 where the LA is missing).
-- ACADYR has a few distinct values: each is read once.
CREATE OR REPLACE TEMP TABLE acadyr AS
SELECT raw, census_year(txt(raw)) AS cy
FROM (SELECT DISTINCT CAST(CIN_ACADYR AS VARCHAR) AS raw FROM read_parquet('{episodes}'));
CREATE OR REPLACE TEMP TABLE r AS
WITH t AS (
    SELECT
        file_row_number AS rn,
        acadyr.cy,
        txt(CIN_LAchildID_Anon) AS la_id,
        txt(CIN_PupilMatchingRefAnonymous) AS pmr,
        bounded(CIN_LA, 100, 999) AS la,
        bounded(CIN_YearOfBirth, 1900, 2100) AS yob,
        bounded(CIN_MonthOfBirth, 1, 12) AS mob,
        plausible(day(txt(CIN_ExpectedDOB))) AS edob,
        plausible(day(txt(CIN_CINreferralDate))) AS ref0,
        plausible(day(txt(CIN_CINclosureDate))) AS clo0,
        nfa(txt(CAST(CIN_ReferralNFA AS VARCHAR))) AS nfa,
        reason(CAST(CIN_ReasonForClosure AS VARCHAR)) AS rsn,
        plausible(day(txt(CIN_CPPstartDate))) AS cpp
    FROM read_parquet('{episodes}', file_row_number = true) AS p
    JOIN acadyr ON CAST(p.CIN_ACADYR AS VARCHAR) = acadyr.raw
)
SELECT rn, cy, coalesce(la_id, pmr) AS kid, coalesce(la, -1) AS la_k,
    la_id IS NOT NULL AS has_la_id, pmr, yob, mob, edob, ref0, clo0, nfa, rsn, cpp
FROM t
WHERE cy IS NOT NULL AND (la_id IS NOT NULL OR pmr IS NOT NULL);

-- Keys numbered (the joins below are on integers).
CREATE OR REPLACE TEMP TABLE keys AS
SELECT kid, la_k, CAST(row_number() OVER () AS INT) AS key
FROM (SELECT DISTINCT kid, la_k FROM r);
CREATE OR REPLACE TEMP TABLE rk AS
SELECT r.* EXCLUDE (kid, la_k), keys.key FROM r JOIN keys USING (kid, la_k);
DROP TABLE r;
DROP TABLE keys;

-- Rows in the R code's orders, each as one 64-bit integer (census year, referral with
-- missing last, [closure with missing last,] file row): `ord0` with the referral as
-- recorded (its age table), `ord1` after the data-end rule (its sorted cin table). Census
-- years 1990-2100 take 7 bits, dates from 1930 (to 2109) 16, rows 25 (up to 33 M).
CREATE OR REPLACE MACRO days_key(d) AS (
    CAST(CASE WHEN d IS NULL THEN 65535 ELSE d - DATE '1930-01-01' END AS UBIGINT));
CREATE OR REPLACE MACRO ord0(cy, ref, rn) AS (
    ((CAST(cy - 1990 AS UBIGINT) << 16 | days_key(ref)) << 25) | CAST(rn AS UBIGINT));
CREATE OR REPLACE MACRO ord1(cy, ref, clo, rn) AS (
    ((((CAST(cy - 1990 AS UBIGINT) << 16) | days_key(ref)) << 16 | days_key(clo)) << 25)
    | CAST(rn AS UBIGINT));
-- A mode's score: the most rows, then the latest first appearance.
CREATE OR REPLACE MACRO score(n, first) AS ((CAST(n AS HUGEINT) << 64) + first);

-- 2. Birth month per key: the mode of (year, month) over rows with an LA child ID (⚠ not
-- PMR-keyed rows) in ord0's order; a half-missing value is a value of its own; ties go to
-- the value whose first appearance is last.
CREATE OR REPLACE TEMP TABLE birth AS
WITH tally AS (
    SELECT key, yob, mob, count(*) AS n, min(ord0(cy, ref0, rn)) AS first
    FROM rk
    WHERE has_la_id AND (yob IS NOT NULL OR mob IS NOT NULL)
    GROUP BY key, yob, mob
)
-- (arg_max of a struct: it would skip a winning half-missing value's NULL half)
SELECT key, CASE WHEN ym.y IS NOT NULL AND ym.m IS NOT NULL
                 THEN make_date(ym.y, ym.m, 1) END AS bdate
FROM (SELECT key, arg_max({'y': yob, 'm': mob}, score(n, first)) AS ym FROM tally GROUP BY key);

-- 3. Dates after the data end (end of the last census year) missing; early rows dropped
-- (⚠ also those with a closure before the data start); referral imputed to 1 September.
CREATE OR REPLACE TEMP TABLE k AS
WITH ends AS (SELECT make_date(max(cy), 3, 31) AS data_end FROM rk),
dated AS (
    SELECT rk.* EXCLUDE (ref0, clo0, has_la_id, yob, mob),
        CASE WHEN ref0 <= data_end THEN ref0 END AS ref1,
        CASE WHEN clo0 <= data_end THEN clo0 END AS clo1
    FROM rk, ends
)
SELECT * EXCLUDE (ref1, clo1), ord1(cy, ref1, clo1, rn) AS ord,
    coalesce(ref1, make_date(cy - 1, 9, 1)) AS referral
FROM dated
WHERE NOT coalesce(ref1 < DATE '2008-04-01', false)
  AND NOT coalesce(clo1 < DATE '2008-04-01', false);
DROP TABLE rk;

-- 4. Per key: the PMR back-fill (⚠ the key's first PMR in ord1's order overwrites every
-- row's) and id_combined, the PMR where there is one, else the key (children numbered:
-- PMRs from 1, keys negative). Per (key, referral date): the NFA and reason modes in
-- ord1's order.
CREATE OR REPLACE TEMP TABLE a AS
WITH fill AS (
    SELECT key, arg_min(pmr, ord) AS pmr_fill FROM k WHERE pmr IS NOT NULL GROUP BY key
), pmrs AS (
    SELECT pmr_fill, CAST(row_number() OVER () AS INT) AS pid
    FROM (SELECT DISTINCT pmr_fill FROM fill)
), per_key AS (
    SELECT key, pid FROM fill JOIN pmrs USING (pmr_fill)
), nfa_mode AS (
    SELECT key, referral, arg_max(nfa, score(n, first)) AS nfa_m
    FROM (SELECT key, referral, nfa, count(*) AS n, min(ord) AS first
          FROM k WHERE nfa IS NOT NULL GROUP BY key, referral, nfa)
    GROUP BY key, referral
), rsn_mode AS (
    SELECT key, referral, arg_max(rsn, score(n, first)) AS rsn_m
    FROM (SELECT key, referral, rsn, count(*) AS n, min(ord) AS first
          FROM k WHERE rsn IS NOT NULL GROUP BY key, referral, rsn)
    GROUP BY key, referral
)
SELECT k.cy, k.referral, k.cpp, k.edob,
    per_key.pid IS NOT NULL AS pmr_identified,
    coalesce(per_key.pid, -k.key) AS child,
    nfa_mode.nfa_m IS DISTINCT FROM true AS assessed,
    coalesce(rsn_mode.rsn_m = 8, false) AS rc8,
    birth.bdate
FROM k
LEFT JOIN per_key USING (key)
LEFT JOIN nfa_mode USING (key, referral)
LEFT JOIN rsn_mode USING (key, referral)
LEFT JOIN birth USING (key);
DROP TABLE k;
DROP TABLE birth;

-- 5. Birth date: a referral over 186 days before the notional date resets it; the
-- child's is the minimum over its rows (⚠ missing if any row's is); ExpectedDOB where
-- missing; the reset and minimum again; a first contact (by census year, referral) at
-- over 25 years wipes it.
CREATE OR REPLACE TEMP TABLE d AS
WITH d1 AS (
    SELECT *, CASE WHEN referral - bdate < -186 THEN referral ELSE bdate END AS dob1 FROM a
), m1 AS (
    SELECT child, CASE WHEN count(*) = count(dob1) THEN min(dob1) END AS cmin1
    FROM d1 GROUP BY child
), d3 AS (
    SELECT d1.*,
        CASE WHEN referral - coalesce(m1.cmin1, d1.edob) < -186 THEN referral
             ELSE coalesce(m1.cmin1, d1.edob) END AS dob3
    FROM d1 JOIN m1 USING (child)
), m2 AS (
    SELECT child, CASE WHEN count(*) = count(dob3) THEN min(dob3) END AS dob,
        arg_min(referral, (cy, referral)) AS first_referral
    FROM d3 GROUP BY child
)
SELECT d3.child, d3.referral, d3.cpp, d3.pmr_identified, d3.assessed, d3.rc8,
    m2.dob
FROM d3 JOIN m2 USING (child)
WHERE m2.dob IS NOT NULL AND NOT (m2.first_referral - m2.dob > 365.25 * 25);
DROP TABLE a;

-- 6. Ages (trunc(days / 365.25), −1 before birth; 18 or over dropped), then per mode and
-- outcome each child's first qualifying row by referral date from the window start, then
-- the band of the three-cohort design.
CREATE OR REPLACE TEMP TABLE counted AS
WITH aged AS (
    SELECT *, (referral - dob) / 365.25 AS years
    FROM d
), rows AS (
    SELECT *, CASE WHEN years < 0 THEN -1 ELSE CAST(trunc(years) AS INT) END AS age
    FROM aged
    WHERE years < 18 AND referral >= DATE '{window_start}'
), firsts AS (
    SELECT child, any_value(dob) AS dob,
        min(referral) AS referral_s,
        min(referral) FILTER (WHERE assessed) AS assessed_s,
        min(referral) FILTER (WHERE assessed AND NOT rc8) AS cin_s,
        min(referral) FILTER (WHERE cpp IS NOT NULL) AS cpp_s,
        min(referral) FILTER (WHERE age < 5 OR pmr_identified) AS referral_m,
        min(referral) FILTER (WHERE (age < 5 OR pmr_identified) AND assessed) AS assessed_m,
        min(referral) FILTER (WHERE (age < 5 OR pmr_identified) AND assessed AND NOT rc8)
            AS cin_m,
        min(referral) FILTER (WHERE (age < 5 OR pmr_identified) AND cpp IS NOT NULL) AS cpp_m
    FROM rows GROUP BY child
), events AS (
    UNPIVOT firsts ON referral_s, assessed_s, cin_s, cpp_s, referral_m, assessed_m, cin_m, cpp_m
    INTO NAME what VALUE first
)
SELECT CASE WHEN what LIKE '%_m' THEN 'main' ELSE 'sensitivity' END AS mode,
    year(dob) + CASE WHEN month(dob) >= 4 THEN 1 ELSE 0 END AS birth_year,
    CASE WHEN first - dob < 0 THEN -1 ELSE CAST(trunc((first - dob) / 365.25) AS INT) END AS age,
    what[:-3] AS outcome, count(*) AS events
FROM events GROUP BY ALL;
DROP TABLE d;

-- Every cell of the design, zeros included, in jay_counts.csv's order.
WITH bands(birth_year, lo, hi, band) AS (VALUES (2013, -1, 5, 0), (2006, 6, 12, 1), (2001, 13, 17, 2)),
modes(mode, m) AS (VALUES ('main', 0), ('sensitivity', 1)),
outcomes(outcome, o) AS (VALUES ('referral', 0), ('assessed', 1), ('cin', 2), ('cpp', 3)),
cells AS (
    SELECT mode, m, birth_year, band, outcome, o, unnest(range(lo, hi + 1)) AS age
    FROM bands, modes, outcomes
)
SELECT cells.mode, cells.birth_year, cells.age, cells.outcome,
    coalesce(counted.events, 0) AS events
FROM cells LEFT JOIN counted USING (mode, birth_year, age, outcome)
ORDER BY m, band, o, age;

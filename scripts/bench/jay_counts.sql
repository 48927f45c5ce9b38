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
-- Trimmed text; the spellings extracts use for "no value" are missing.
CREATE OR REPLACE MACRO txt(x) AS (
    CASE WHEN trim(x, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13))
              IN ('', 'NA', 'N/A', 'NULL', 'null', 'NaN', 'na', '.') THEN NULL
         ELSE trim(x, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) END);
-- A whole number in [lo, hi] from trimmed text (integer columns exported through a
-- float type arrive as `3.0`).
CREATE OR REPLACE MACRO bounded(t, lo, hi) AS (
    CASE WHEN regexp_full_match(t, '[+-]?\d+(\.0)?')
              AND TRY_CAST(regexp_replace(t, '\.0$', '') AS BIGINT) BETWEEN lo AND hi
         THEN TRY_CAST(regexp_replace(t, '\.0$', '') AS BIGINT) END);
-- YYYY-MM-DD (optionally followed by T or a space and anything) or DD/MM/YYYY from
-- trimmed text; invalid calendar dates are missing (dates before 1930 below).
CREATE OR REPLACE MACRO day(t) AS (
    CASE WHEN regexp_full_match(t, '\d{4}-\d{2}-\d{2}([T ].*)?')
             THEN TRY_CAST(try_strptime(t[:10], '%Y-%m-%d') AS DATE)
         WHEN regexp_full_match(t, '\d{2}/\d{2}/\d{4}')
             THEN TRY_CAST(try_strptime(t, '%d/%m/%Y') AS DATE) END);
CREATE OR REPLACE MACRO plausible(d) AS (CASE WHEN d >= DATE '1930-01-01' THEN d END);
-- ACADYR from trimmed text without a trailing `.0`: 2012/13, 2012/2013, 2012-13 or
-- 2013 → the census year's end (1990-2100).
CREATE OR REPLACE MACRO census_year(t) AS (
    CASE WHEN regexp_full_match(t, '\d{4}\s*[/-]\s*\d{2}')
              AND TRY_CAST(t[:4] AS INT) // 100 * 100 + TRY_CAST(right(t, 2) AS INT)
                  + CASE WHEN TRY_CAST(t[:4] AS INT) // 100 * 100 + TRY_CAST(right(t, 2) AS INT)
                              < TRY_CAST(t[:4] AS INT) THEN 100 ELSE 0 END
                  = TRY_CAST(t[:4] AS INT) + 1
              AND TRY_CAST(t[:4] AS INT) + 1 BETWEEN 1990 AND 2100
             THEN TRY_CAST(t[:4] AS INT) + 1
         WHEN regexp_full_match(t, '\d{4}\s*[/-]\s*\d{4}')
              AND TRY_CAST(right(t, 4) AS INT) = TRY_CAST(t[:4] AS INT) + 1
              AND TRY_CAST(t[:4] AS INT) + 1 BETWEEN 1990 AND 2100
             THEN TRY_CAST(t[:4] AS INT) + 1
         WHEN regexp_full_match(t, '\d{4}') AND TRY_CAST(t AS INT) BETWEEN 1990 AND 2100
             THEN TRY_CAST(t AS INT) END);
-- ReferralNFA: 1/0, true/false, t/f, yes/no, y/n (any case) → true/false, else missing.
CREATE OR REPLACE MACRO nfa(t) AS (
    CASE WHEN lower(t) IN ('1', '1.0', 'true', 't', 'y', 'yes') THEN true
         WHEN lower(t) IN ('0', '0.0', 'false', 'f', 'n', 'no') THEN false END);
-- Reason for closure as the R code reads it (untrimmed): RC1-RC9 → 1-9; exactly NFA, No,
-- NON, NONE → 8; a first character other than R/r → missing; else upper-cased without
-- spaces, RCn → n and anything else 0 (kept, not RC8).
CREATE OR REPLACE MACRO reason(x) AS (
    CASE WHEN x IS NULL OR x = '' THEN NULL
         WHEN regexp_full_match(x, 'RC[1-9]') THEN TRY_CAST(x[3:] AS INT)
         WHEN x IN ('NFA', 'No', 'NON', 'NONE') THEN 8
         WHEN x[1] NOT IN ('R', 'r') THEN NULL
         WHEN regexp_full_match(regexp_replace(upper(x), '\s', '', 'g'), 'RC[1-9]')
             THEN TRY_CAST(regexp_replace(upper(x), '\s', '', 'g')[3:] AS INT)
         ELSE 0 END);

CREATE OR REPLACE TEMP TABLE src AS
WITH t AS (
    SELECT
        file_row_number AS rn,
        regexp_replace(txt(CAST(CIN_ACADYR AS VARCHAR)), '\.0$', '') AS acadyr,
        txt(CAST(CIN_LAchildID_Anon AS VARCHAR)) AS la_id,
        txt(CAST(CIN_PupilMatchingRefAnonymous AS VARCHAR)) AS pmr,
        txt(CAST(CIN_LA AS VARCHAR)) AS la,
        txt(CAST(CIN_YearOfBirth AS VARCHAR)) AS yob,
        txt(CAST(CIN_MonthOfBirth AS VARCHAR)) AS mob,
        day(txt(CAST(CIN_ExpectedDOB AS VARCHAR))) AS edob,
        day(txt(CAST(CIN_CINreferralDate AS VARCHAR))) AS ref0,
        day(txt(CAST(CIN_CINclosureDate AS VARCHAR))) AS clo0,
        txt(CAST(CIN_ReferralNFA AS VARCHAR)) AS nfa,
        CAST(CIN_ReasonForClosure AS VARCHAR) AS rsn,
        day(txt(CAST(CIN_CPPstartDate AS VARCHAR))) AS cpp
    FROM read_parquet('{episodes}', file_row_number = true)
)
SELECT rn, census_year(acadyr) AS cy, la_id, pmr,
    bounded(la, 100, 999) AS la, bounded(yob, 1900, 2100) AS yob, bounded(mob, 1, 12) AS mob,
    plausible(edob) AS edob, plausible(ref0) AS ref0, plausible(clo0) AS clo0,
    nfa(nfa) AS nfa, reason(rsn) AS rsn, plausible(cpp) AS cpp
FROM t;

-- Rows without a census year or without any identifier are not used (quarantined).
-- Key = (LA child ID, else PMR) within LA.
CREATE OR REPLACE TEMP TABLE r AS
SELECT *, coalesce(la_id, pmr) || '|' || coalesce(CAST(la AS VARCHAR), '') AS key
FROM src
WHERE cy IS NOT NULL AND (la_id IS NOT NULL OR pmr IS NOT NULL);
DROP TABLE src;

-- 2. Birth month per key: the mode of (year, month) over rows with an LA child ID (⚠ not
-- PMR-keyed rows), ordered by census year and referral (missing last); a half-missing
-- value is a value of its own; ties go to the value whose first appearance is last.
CREATE OR REPLACE TEMP TABLE birth AS
WITH ordered AS (
    SELECT key, yob, mob,
        row_number() OVER (PARTITION BY key ORDER BY cy, ref0 IS NULL, ref0, rn) AS pos
    FROM r
    WHERE la_id IS NOT NULL AND (yob IS NOT NULL OR mob IS NOT NULL)
), tally AS (
    SELECT key, yob, mob, count(*) * 4294967296 + min(pos) AS score
    FROM ordered GROUP BY key, yob, mob
)
SELECT key, CASE WHEN ym.y IS NOT NULL AND ym.m IS NOT NULL
                 THEN make_date(CAST(ym.y AS INT), CAST(ym.m AS INT), 1) END AS bdate
-- (a struct: arg_max would skip a winning half-missing value's NULL half)
FROM (SELECT key, arg_max({'y': yob, 'm': mob}, score) AS ym FROM tally GROUP BY key);

-- 3. Dates after the data end (end of the last census year) missing; early rows dropped
-- (⚠ also those with a closure before the data start).
CREATE OR REPLACE TEMP TABLE k AS
WITH ends AS (SELECT make_date(max(cy), 3, 31) AS data_end FROM r),
dated AS (
    SELECT r.*,
        CASE WHEN ref0 <= data_end THEN ref0 END AS ref1,
        CASE WHEN clo0 <= data_end THEN clo0 END AS clo1
    FROM r, ends
)
SELECT *,
    row_number() OVER (PARTITION BY key
        ORDER BY cy, ref1 IS NULL, ref1, clo1 IS NULL, clo1, rn) AS pos
FROM dated
WHERE NOT coalesce(ref1 < DATE '2008-04-01', false)
  AND NOT coalesce(clo1 < DATE '2008-04-01', false);
DROP TABLE r;

-- 4. PMR back-fill (⚠ the key's first PMR overwrites every row's), referral imputed to
-- 1 September, NFA and reason modes per (key, referral date), id_combined.
CREATE OR REPLACE TEMP TABLE a AS
WITH fill AS (
    SELECT key, arg_min(pmr, pos) AS pmr_fill FROM k WHERE pmr IS NOT NULL GROUP BY key
), imp AS (
    SELECT k.*, fill.pmr_fill,
        coalesce(ref1, make_date(cy - 1, 9, 1)) AS referral
    FROM k LEFT JOIN fill USING (key)
), nfa_mode AS (
    SELECT key, referral, arg_max(nfa, score) AS nfa_m
    FROM (SELECT key, referral, nfa, count(*) * 4294967296 + min(pos) AS score
          FROM imp WHERE nfa IS NOT NULL GROUP BY key, referral, nfa)
    GROUP BY key, referral
), rsn_mode AS (
    SELECT key, referral, arg_max(rsn, score) AS rsn_m
    FROM (SELECT key, referral, rsn, count(*) * 4294967296 + min(pos) AS score
          FROM imp WHERE rsn IS NOT NULL GROUP BY key, referral, rsn)
    GROUP BY key, referral
)
SELECT imp.rn, imp.key, imp.cy, imp.referral, imp.cpp, imp.edob,
    imp.pmr_fill IS NOT NULL AS pmr_identified,
    CASE WHEN imp.pmr_fill IS NOT NULL THEN 'P' || imp.pmr_fill ELSE 'K' || imp.key END AS child,
    nfa_mode.nfa_m IS DISTINCT FROM true AS assessed,
    coalesce(rsn_mode.rsn_m = 8, false) AS rc8,
    birth.bdate
FROM imp
LEFT JOIN nfa_mode USING (key, referral)
LEFT JOIN rsn_mode USING (key, referral)
LEFT JOIN birth USING (key);
DROP TABLE k;

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
), d2 AS (
    SELECT d1.*, coalesce(m1.cmin1, d1.edob) AS dob2 FROM d1 JOIN m1 USING (child)
), d3 AS (
    SELECT *, CASE WHEN referral - dob2 < -186 THEN referral ELSE dob2 END AS dob3 FROM d2
), m2 AS (
    SELECT child, CASE WHEN count(*) = count(dob3) THEN min(dob3) END AS dob,
        min(CAST(cy AS BIGINT) * 1000000 + (referral - DATE '1900-01-01')) AS first_key
    FROM d3 GROUP BY child
)
SELECT d3.rn, d3.child, d3.referral, d3.cpp, d3.pmr_identified, d3.assessed, d3.rc8,
    m2.dob
FROM d3 JOIN m2 USING (child)
WHERE m2.dob IS NOT NULL
  AND NOT ((DATE '1900-01-01' + CAST(m2.first_key % 1000000 AS INT)) - m2.dob > 365.25 * 25);
DROP TABLE a;

-- 6. Ages (trunc(days / 365.25), −1 before birth; 18 or over dropped), then per mode and
-- outcome each child's first qualifying row by referral date from the window start, then
-- the band of the three-cohort design.
CREATE OR REPLACE TEMP TABLE counted AS
WITH aged AS (
    SELECT *, (referral - dob) / 365.25 AS years,
        year(dob) + CASE WHEN month(dob) >= 4 THEN 1 ELSE 0 END AS birth_year
    FROM d
), rows AS (
    SELECT *, CASE WHEN years < 0 THEN -1 ELSE CAST(trunc(years) AS INT) END AS age
    FROM aged
    WHERE years < 18 AND referral >= DATE '{window_start}'
), modes AS (
    SELECT 'main' AS mode, * FROM rows WHERE age < 5 OR pmr_identified
    UNION ALL
    SELECT 'sensitivity' AS mode, * FROM rows
), firsts AS (
    SELECT mode, child, any_value(dob) AS dob, any_value(birth_year) AS birth_year,
        min(referral) AS referral,
        min(referral) FILTER (WHERE assessed) AS assessed,
        min(referral) FILTER (WHERE assessed AND NOT rc8) AS cin,
        min(referral) FILTER (WHERE cpp IS NOT NULL) AS cpp
    FROM modes GROUP BY mode, child
), events AS (
    UNPIVOT firsts ON referral, assessed, cin, cpp INTO NAME outcome VALUE first
), ages AS (
    SELECT mode, outcome, birth_year,
        CASE WHEN first - dob < 0 THEN -1
             ELSE CAST(trunc((first - dob) / 365.25) AS INT) END AS age
    FROM events
)
SELECT mode, birth_year, age, outcome, count(*) AS events
FROM ages GROUP BY ALL;
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

-- data_quality: which mistakes refuse schools' rows and files, and how often?
--
-- One row per (template, term, code, severity, scope) over upload_findings, the lake's record
-- of what validation found in every upload (shared/lake/quality.py: one file per upload,
-- rejected ones included; re-uploads count as the uploads they are). Columns:
--   template, term,
--   code, severity  the error-code catalogue's code (shared/error_codes.py) and error|warning,
--   scope           file (the whole file: an error refuses it) | row (an error refuses the row),
--   uploads_with_code  uploads that raised it,
--   uploads            uploads of the template and term,
--   upload_rate        uploads_with_code / uploads (for a file error: the share of uploads it
--                      refused as a whole),
--   rows_with_code     distinct rows it was raised on (0 for file findings),
--   rows_total         rows of every upload of the template and term,
--   row_rate           rows_with_code / rows_total (for a row error: the share of uploaded
--                      rows it refused; a row with two codes counts under each),
--   findings           times it was raised (a row finding per cell).
--
-- Written in the subset Athena (Trino) and DuckDB both run (no percentiles here; where a view
-- needs them they are left to the statistics function, whose engines agree).
WITH uploads AS (
    SELECT
        template_id,
        term,
        count(*) AS uploads,
        CAST(sum(rows_total) AS BIGINT) AS rows_total
    FROM (
        SELECT DISTINCT template_id, term, submission_id, rows_total
        FROM upload_findings
    ) AS upload
    GROUP BY template_id, term
),
codes AS (
    SELECT
        template_id,
        term,
        code,
        severity,
        scope,
        count(DISTINCT submission_id) AS uploads_with_code,
        CAST(sum(rows) AS BIGINT) AS rows_with_code,
        CAST(sum(findings) AS BIGINT) AS findings
    FROM upload_findings
    WHERE code IS NOT NULL
    GROUP BY template_id, term, code, severity, scope
)
SELECT
    c.template_id AS template,
    c.term,
    c.code,
    c.severity,
    c.scope,
    c.uploads_with_code,
    u.uploads,
    CAST(c.uploads_with_code AS DOUBLE) / u.uploads AS upload_rate,
    c.rows_with_code,
    u.rows_total,
    CASE WHEN u.rows_total > 0 THEN CAST(c.rows_with_code AS DOUBLE) / u.rows_total END
        AS row_rate,
    c.findings
FROM codes AS c
JOIN uploads AS u ON u.template_id = c.template_id AND u.term = c.term
ORDER BY template, c.term, c.severity, c.uploads_with_code DESC, c.rows_with_code DESC, c.code

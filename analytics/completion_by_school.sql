-- completion_by_school: how far has each school got with each data-collection task?
--
-- One row per (template, term, task_id, school_id) that has an upload, from what the lake
-- holds: every validated upload (upload_findings, rejected ones included) and the rows now
-- current (the records tables of 学业成绩, 体质健康 and 综合素质). Columns:
--   template, term, task_id, school_id,
--   uploads            validated uploads (a school's workbook counts once per class sheet;
--                      a workbook refused as a whole counts once),
--   uploads_accepted, uploads_partial, uploads_rejected   of those, by result,
--   classes_uploading  classes with at least one validated upload,
--   classes_with_data  classes whose rows are now in the lake,
--   students_with_data students with rows now in the lake,
--   rows_in_lake       rows now in the lake,
--   row_acceptance     rows accepted / rows uploaded, over every upload (re-uploads too),
--   last_validated     when the school's latest upload was validated (UTC).
-- What a task expects — which classes, subjects and teachers owe it (its targets) — is not in
-- the lake: the progress function keeps 应交/已交 in DynamoDB (docs/progress.md) and the API's
-- completion pages show it. So this view gives what arrived and how much of it was accepted,
-- never a share of what was due: compare classes_with_data with the school's 应交 there.
--
-- Written in the subset Athena (Trino) and DuckDB both run (no percentiles here; where a view
-- needs them they are left to the statistics function, whose engines agree).
WITH attempts AS (
    SELECT
        template_id AS template,
        term,
        task_id,
        school_id,
        count(*) AS uploads,
        count(CASE WHEN status = 'accepted' THEN 1 END) AS uploads_accepted,
        count(CASE WHEN status = 'partial' THEN 1 END) AS uploads_partial,
        count(CASE WHEN status = 'rejected' THEN 1 END) AS uploads_rejected,
        count(DISTINCT class_id) AS classes_uploading,
        CAST(sum(rows_accepted) AS BIGINT) AS rows_accepted,
        CAST(sum(rows_total) AS BIGINT) AS rows_total,
        max(validated_at) AS last_validated
    FROM (
        SELECT DISTINCT
            template_id, term, task_id, school_id, class_id, submission_id, status,
            rows_accepted, rows_total, validated_at
        FROM upload_findings
    ) AS upload
    GROUP BY template_id, term, task_id, school_id
),
current_rows AS (
    SELECT 'academic-score' AS template, term, task_id, school_id, class_id, student_key
    FROM records_academic_score
    UNION ALL
    SELECT 'fitness-test' AS template, term, task_id, school_id, class_id, student_key
    FROM records_fitness_test
    UNION ALL
    SELECT 'quality-record' AS template, term, task_id, school_id, class_id, student_key
    FROM records_quality_record
),
current_data AS (
    SELECT
        template,
        term,
        task_id,
        school_id,
        count(DISTINCT class_id) AS classes_with_data,
        count(DISTINCT student_key) AS students_with_data,
        count(*) AS rows_in_lake
    FROM current_rows
    GROUP BY template, term, task_id, school_id
)
SELECT
    coalesce(a.template, d.template) AS template,
    coalesce(a.term, d.term) AS term,
    coalesce(a.task_id, d.task_id) AS task_id,
    coalesce(a.school_id, d.school_id) AS school_id,
    coalesce(a.uploads, 0) AS uploads,
    coalesce(a.uploads_accepted, 0) AS uploads_accepted,
    coalesce(a.uploads_partial, 0) AS uploads_partial,
    coalesce(a.uploads_rejected, 0) AS uploads_rejected,
    coalesce(a.classes_uploading, 0) AS classes_uploading,
    coalesce(d.classes_with_data, 0) AS classes_with_data,
    coalesce(d.students_with_data, 0) AS students_with_data,
    coalesce(d.rows_in_lake, 0) AS rows_in_lake,
    CASE WHEN a.rows_total > 0 THEN CAST(a.rows_accepted AS DOUBLE) / a.rows_total END
        AS row_acceptance,
    a.last_validated
FROM attempts AS a
FULL OUTER JOIN current_data AS d
    ON d.template = a.template
    AND d.term = a.term
    AND d.task_id = a.task_id
    AND d.school_id = a.school_id
ORDER BY template, term, task_id, school_id

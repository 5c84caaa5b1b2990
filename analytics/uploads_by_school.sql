-- uploads_by_school: what has each school uploaded for each data-collection task?
--
-- One row per (template, term, task_id, school_id) over the lake tables of 学业成绩, 体质健康
-- and 综合素质 (records_academic_score, records_fitness_test, records_quality_record).
-- Columns:
--   template, term, task_id, school_id,
--   uploads      distinct uploads (submission_id) whose rows are in the lake,
--   classes      distinct classes (class_id) with rows,
--   students     distinct students (student_key) with rows,
--   row_count    rows in the lake,
--   last_upload  the latest upload time (UTC).
-- The lake keeps the current upload of each class, so uploads counts those, not every retry.
--
-- Written in the subset Athena (Trino) and DuckDB both run (no percentiles here; where a view
-- needs them they are left to the statistics function, whose engines agree).
WITH uploads AS (
    SELECT 'academic-score' AS template, term, task_id, school_id, class_id,
        submission_id, student_key, uploaded_at
    FROM records_academic_score
    UNION ALL
    SELECT 'fitness-test' AS template, term, task_id, school_id, class_id,
        submission_id, student_key, uploaded_at
    FROM records_fitness_test
    UNION ALL
    SELECT 'quality-record' AS template, term, task_id, school_id, class_id,
        submission_id, student_key, uploaded_at
    FROM records_quality_record
)
SELECT
    template,
    term,
    task_id,
    school_id,
    count(DISTINCT submission_id) AS uploads,
    count(DISTINCT class_id) AS classes,
    count(DISTINCT student_key) AS students,
    count(*) AS row_count,
    max(uploaded_at) AS last_upload
FROM uploads
GROUP BY template, term, task_id, school_id
ORDER BY template, term, task_id, school_id

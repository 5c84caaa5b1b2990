-- term_trends: is a school's grade getting better or worse in a subject, term by term?
--
-- One row per (school_id, grade, subject, term) of 学业成绩 (records_academic_score), every
-- assessment of the term together. Scores are taken as a share of their full marks (0–1), so
-- terms and papers with different full marks compare. Columns:
--   school_id, grade (1–12 from the class name, NULL if it names none), subject, term,
--   students     distinct students with a score,
--   scores       scored rows (缺考/免考/缓考 have none and are not counted),
--   mean_share   mean of score / full_marks,
--   sd_share     sample standard deviation of score / full_marks (NULL for one score),
--   prev_mean_share  the same grade's mean_share in its previous term on record (NULL if none),
--   share_change mean_share - prev_mean_share.
--
-- Written in the subset Athena (Trino) and DuckDB both run. Medians and percentiles are left
-- to the statistics function: the engines' percentile functions differ (approx_percentile
-- in Trino, quantile_cont in DuckDB) and Trino's is approximate, so no portable exact one.
WITH scored AS (
    SELECT
        r.*,
        CASE
            WHEN class_name LIKE '一年级%' THEN 1
            WHEN class_name LIKE '二年级%' THEN 2
            WHEN class_name LIKE '三年级%' THEN 3
            WHEN class_name LIKE '四年级%' THEN 4
            WHEN class_name LIKE '五年级%' THEN 5
            WHEN class_name LIKE '六年级%' OR class_name LIKE '预备%' OR class_name LIKE '预初%' THEN 6
            WHEN class_name LIKE '七年级%' OR class_name LIKE '初一%' THEN 7
            WHEN class_name LIKE '八年级%' OR class_name LIKE '初二%' THEN 8
            WHEN class_name LIKE '九年级%' OR class_name LIKE '初三%' THEN 9
            WHEN class_name LIKE '高一%' THEN 10
            WHEN class_name LIKE '高二%' THEN 11
            WHEN class_name LIKE '高三%' THEN 12
        END AS grade
    FROM records_academic_score AS r
    WHERE r.score IS NOT NULL
),
per_term AS (
    SELECT
        school_id,
        grade,
        subject,
        term,
        count(DISTINCT student_key) AS students,
        count(score) AS scores,
        avg(score / full_marks) AS mean_share,
        stddev_samp(score / full_marks) AS sd_share
    FROM scored
    WHERE full_marks > 0
    GROUP BY school_id, grade, subject, term
)
SELECT
    school_id,
    grade,
    subject,
    term,
    students,
    scores,
    mean_share,
    sd_share,
    lag(mean_share) OVER (PARTITION BY school_id, grade, subject ORDER BY term)
        AS prev_mean_share,
    mean_share
        - lag(mean_share) OVER (PARTITION BY school_id, grade, subject ORDER BY term) AS share_change
FROM per_term
ORDER BY school_id, grade, subject, term

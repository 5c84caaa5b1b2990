-- term_trends: is a school's grade getting better or worse in a subject, term by term?
--
-- One row per (school_id, grade, subject, term) of 学业成绩 (records_academic_score), every
-- assessment of the term together. Scores are taken as a share of their full marks (0–1), so
-- terms and papers with different full marks compare. Columns:
--   school_id, grade (1–12: the grade of the class the rows were uploaded for), subject, term,
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
WITH per_term AS (
    SELECT
        school_id,
        grade,
        subject,
        term,
        count(DISTINCT student_key) AS students,
        count(score) AS scores,
        avg(score / full_marks) AS mean_share,
        stddev_samp(score / full_marks) AS sd_share
    FROM records_academic_score
    WHERE score IS NOT NULL AND full_marks > 0
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

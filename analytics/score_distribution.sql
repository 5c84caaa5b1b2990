-- score_distribution: how did each class do in each assessment of a subject?
--
-- One row per (template, term, school_id, grade, class_id, subject, assessment_type,
-- assessment_date, full_marks) of 学业成绩 (records_academic_score). Columns:
--   template, term, school_id, grade (1–12: the grade of the class the rows were uploaded for),
--   class_id, subject, assessment_type, assessment_date, full_marks,
--   students   rows with a score (缺考/免考/缓考 have none and are not counted),
--   mean, sd   mean and sample standard deviation of the score (sd NULL for one student),
--   min_score, max_score,
--   pass_rate       share of scored students with score >= 60% of full_marks,
--   excellent_rate  share of scored students with score >= 85% of full_marks.
-- Full marks are part of the key, so a mean never mixes a 100-point and a 150-point paper.
--
-- Written in the subset Athena (Trino) and DuckDB both run. Medians and percentiles are left
-- to the statistics function: the engines' percentile functions differ (approx_percentile
-- in Trino, quantile_cont in DuckDB) and Trino's is approximate, so no portable exact one.
SELECT
    'academic-score' AS template,
    term,
    school_id,
    grade,
    class_id,
    subject,
    assessment_type,
    assessment_date,
    full_marks,
    count(score) AS students,
    avg(score) AS mean,
    stddev_samp(score) AS sd,
    min(score) AS min_score,
    max(score) AS max_score,
    CAST(count(CASE WHEN score >= 0.6 * full_marks THEN 1 END) AS DOUBLE)
        / count(score) AS pass_rate,
    CAST(count(CASE WHEN score >= 0.85 * full_marks THEN 1 END) AS DOUBLE)
        / count(score) AS excellent_rate
FROM records_academic_score
WHERE score IS NOT NULL
GROUP BY
    term, school_id, grade, class_id, subject, assessment_type, assessment_date, full_marks
ORDER BY
    term, school_id, grade, class_id, subject, assessment_date, assessment_type

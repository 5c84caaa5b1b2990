-- fitness_rates: how fit is each grade of each school, by the national standard's grades?
--
-- One row per (term, school_id, grade) of 体质健康 (records_fitness_test), each student counted
-- once a term: at their latest test of the term that has a 等级 (fitness_grade, computed at
-- import from the 国家学生体质健康标准's tables). Columns:
--   term, school_id, grade (1–12: the grade the fitness standard scored the student by),
--   students            students with a 等级 in the term,
--   excellent_good_rate 优良率: share of those students graded 优秀 or 良好,
--   pass_rate           及格率: share graded anything but 不及格 (优秀, 良好 or 及格),
--   excellent_rate      优秀率: share graded 优秀,
--   mean_total_score    mean 总分 (total_score, with 加分) of the students who have one.
-- A school's figure over fewer than five students is shown here as it is: suppression
-- (docs/statistics.md) is the pages' business, not the analysts'.
--
-- Written in the subset Athena (Trino) and DuckDB both run (no percentiles here; where a view
-- needs them they are left to the statistics function, whose engines agree).
WITH latest AS (
    SELECT
        term,
        school_id,
        grade,
        student_key,
        fitness_grade,
        total_score,
        row_number() OVER (
            PARTITION BY term, student_key ORDER BY test_date DESC, uploaded_at DESC
        ) AS recency
    FROM records_fitness_test
    WHERE fitness_grade IS NOT NULL
)
SELECT
    term,
    school_id,
    grade,
    count(*) AS students,
    CAST(count(CASE WHEN fitness_grade IN ('优秀', '良好') THEN 1 END) AS DOUBLE)
        / count(*) AS excellent_good_rate,
    CAST(count(CASE WHEN fitness_grade <> '不及格' THEN 1 END) AS DOUBLE)
        / count(*) AS pass_rate,
    CAST(count(CASE WHEN fitness_grade = '优秀' THEN 1 END) AS DOUBLE)
        / count(*) AS excellent_rate,
    avg(total_score) AS mean_total_score
FROM latest
WHERE recency = 1
GROUP BY term, school_id, grade
ORDER BY term, school_id, grade

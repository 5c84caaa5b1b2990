/**
 * Test data for the statistics modules (imported by their tests only): a class of ten 数学
 * scores and one student without a score, with the figures shared/statistics computes for it
 * (`summarize([45, 58, 62, 70, 74, 78, 81, 86, 90, 96, None], full_marks=100)`).
 */
import type { Assessment, StudentPosition, Summary, Suppressed } from './types'

export const MATH: Assessment = {
  key: '数学|期中考试|2024-11-08',
  template_id: 'academic-score',
  term: '2024-2025-1',
  metric: 'score',
  metric_label: '得分',
  subject: '数学',
  assessment_type: '期中考试',
  date: '2024-11-08',
  label: '数学 · 期中考试 · 2024-11-08',
  unit: '分',
  higher_is_better: true,
}

export const CLASS_SUMMARY: Summary = {
  suppressed: false,
  count: 10,
  missing: 1,
  full_marks: 100,
  pass_share: 0.6,
  excellent_share: 0.85,
  mean: 74,
  median: 76,
  q1: 64,
  q3: 84.75,
  min: 45,
  max: 96,
  std: 15.656024754423171,
  histogram: {
    edges: [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100],
    counts: [0, 0, 0, 0, 1, 1, 1, 3, 2, 2],
    out_of_range: 0,
  },
  pass_count: 8,
  excellent_count: 3,
  pass_rate: 0.8,
  excellent_rate: 0.3,
  good_share: null,
  good_count: 0,
  good_rate: null,
}

/** Another group's summary: the class's, with some figures changed. */
export function summary(figures: Partial<Summary> = {}): Summary {
  return { ...CLASS_SUMMARY, ...figures }
}

export function suppressed(audience: Suppressed['audience'] = 'district'): Suppressed {
  return { suppressed: true, audience, min_cell: 5, reason: '人数少于 5 人，不予显示' }
}

const NAMES = ['赵一', '钱二', '孙三', '李四', '周五', '吴六', '郑七', '王八', '冯九', '陈十']
const SCORES = [45, 58, 62, 70, 74, 78, 81, 86, 90, 96]
// Mid-rank percentile ranks of the ten scores (shared/statistics/ranks.py).
const PERCENTILES = [5, 15, 25, 35, 45, 55, 65, 75, 85, 95]

/** The class's students: the ten scores, and 卫十一 缺考. */
export function students(): StudentPosition[] {
  const scored = SCORES.map((value, i) => ({
    student_id: `s${i + 1}`,
    name: NAMES[i]!,
    value,
    status: null,
    class_percentile: PERCENTILES[i]!,
    grade_percentile: null,
    district_percentile: null,
  }))
  const absent = {
    student_id: 's11',
    name: '卫十一',
    value: null,
    status: '缺考',
    class_percentile: null,
    grade_percentile: null,
    district_percentile: null,
  }
  return [absent, ...scored.reverse()]
}

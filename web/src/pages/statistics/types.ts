/**
 * The statistics API's answers (chalicelib/views_statistics.py, still being built): stand-ins
 * until `npm run gen` has them, then aliases of the generated schemas under the same names.
 * A figure is null where there is none yet (nothing computed, no such group).
 */

/** One metric of one assessment: what the figures are of. */
export interface Assessment {
  key: string
  template_id: string
  term: string
  metric: string
  metric_label: string
  subject: string | null
  assessment_type: string | null
  /** ISO date of the assessment, when it has one. */
  date: string | null
  /** e.g. 数学 · 期中考试 · 2024-11-08 */
  label: string
  unit: string | null
  /** false for a timed run: the lower, the better. */
  higher_is_better: boolean
}

/** Counts in equal bins over [0, full_marks]: bin i holds edges[i] ≤ v < edges[i+1], the last closed. */
export interface Histogram {
  edges: number[]
  counts: number[]
  out_of_range: number
}

/** One group's figures (null when the group has no values). Rates are shares 0..1. */
export interface Summary {
  suppressed: false
  count: number
  missing: number
  full_marks: number
  pass_share: number
  excellent_share: number
  mean: number | null
  median: number | null
  q1: number | null
  q3: number | null
  min: number | null
  max: number | null
  std: number | null
  histogram: Histogram
  pass_count: number
  excellent_count: number
  pass_rate: number | null
  excellent_rate: number | null
}

/** In place of a summary of fewer than `min_cell` students: no figure at all. */
export interface Suppressed {
  suppressed: true
  audience: 'class' | 'school' | 'district'
  min_cell: number
  /** 「人数少于 5 人，不予显示」 */
  reason: string
}

/** One student of a class. Percentiles are mid-rank percentile ranks, 0–100. */
export interface StudentPosition {
  student_id: string
  name: string
  value: number | null
  /** A status word standing instead of a value: 缺考, 免考 … */
  status: string | null
  class_percentile: number | null
  grade_percentile: number | null
  district_percentile: number | null
}

/** Either a summary or, for a group too small for the audience, what stands in its place. */
export type Figures = Summary | Suppressed

export interface ClassStatistics {
  class_id: string
  class_name: string
  school_id: string
  grade: number
  assessment: Assessment
  class_summary: Figures | null
  school_grade: Figures | null
  district_grade: Figures | null
  students: StudentPosition[]
  computed_at: string | null
}

export interface SchoolStatistics {
  school_id: string
  assessment: Assessment
  /** The grade whose classes are listed. */
  grade: number | null
  grades: {
    grade: number
    school: Figures | null
    district: Figures
    classes: { class_id: string; class_name: string; summary: Figures }[]
  }[]
  computed_at: string | null
}

export interface DistrictStatistics {
  assessment: Assessment
  grade: number | null
  district: Figures | null
  schools: { school_id: string; school_name: string; summary: Figures }[]
  grades: { grade: number; district: Figures }[]
  computed_at: string | null
}

/**
 * One assessment in a student's trend. Families get the bands and null percentiles and change;
 * teachers get all of it. A band is none in a group under 5.
 */
export interface InsightPoint {
  assessment: Assessment
  value: number | null
  status: string | null
  /** 「班级前 25%」 (the brief had 「前 25%」: insights.ts words either). */
  class_band: string | null
  grade_band: string | null
  class_percentile: number | null
  grade_percentile: number | null
  /** The class percentile minus the previous point's (teachers only). */
  change: number | null
}

export interface StudentInsights {
  student_id: string
  template_id: string
  subjects: { subject: string; metric: string; latest: InsightPoint; points: InsightPoint[] }[]
  computed_at: string | null
}

/**
 * The statistics API's answers (chalicelib/views_statistics.py), under the names the statistics
 * modules and pages use: the types generated from the API's OpenAPI document (`npm run gen`),
 * so a page that no longer fits the API fails the build. A figure is null where there is none
 * yet (nothing computed, no such group).
 */
import type { Schemas } from '@/api/client'

/** One metric of one assessment: what the figures are of (数学 · 期中考试 · 2024-11-08, 得分). */
export type Assessment = Schemas['AssessmentView']
/** Counts in equal bins over [0, full_marks]: bin i holds edges[i] ≤ v < edges[i+1], the last closed. */
export type Histogram = Schemas['HistogramView']
/** One group's figures. Rates are shares 0..1. */
export type Summary = Schemas['SummaryView']
/** In place of a summary of fewer than `min_cell` students: no figure at all. */
export type Suppressed = Schemas['SuppressedView']
/** Either a summary or, for a group too small for the audience, what stands in its place. */
export type Figures = Summary | Suppressed

/** One student of a class. Percentiles are mid-rank percentile ranks, 0–100. */
export type StudentPosition = Schemas['StudentPositionView']
export type ClassStatistics = Schemas['ClassStatisticsView']

export type SchoolStatistics = Schemas['SchoolStatisticsView']
/** A grade of the school beside the district's, with its classes when it is the chosen grade. */
export type GradeFigures = Schemas['GradeFiguresView']
export type ClassFigures = Schemas['ClassFiguresView']

export type DistrictStatistics = Schemas['DistrictStatisticsView']

/**
 * One assessment in a student's trend. Families get the bands and null percentiles and change;
 * teachers get all of it. A band is none in a group under 5.
 */
export type InsightPoint = Schemas['InsightPointView']
export type SubjectInsight = Schemas['SubjectInsightView']
export type StudentInsights = Schemas['StudentInsightsView']

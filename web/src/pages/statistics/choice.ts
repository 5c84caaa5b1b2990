/**
 * Which statistic a statistics page shows, chosen in its address so a link or a reload keeps
 * it: ?template=academic-score&term=2024-2025-1&assessment=数学~期中考试~2024-11-08&metric=score
 * (and &grade=7 on the school's and the district's pages). Without an assessment, the latest of
 * the term's catalog (`GET /v1/statistics/assessments`), preferring the subjects a teacher
 * teaches in the class.
 */
import { computed, type ComputedRef, type WritableComputedRef } from 'vue'
import { useRoute, useRouter, type LocationQueryRaw } from 'vue-router'
import { api, ok } from '@/api/client'
import { chosenTerm } from '@/components/staff/termPicker'
import { useApi, type Loadable } from '@/composables/useApi'
import type { Assessment } from './types'

/** The templates with statistics (shared/statistics/plans.py PLANS), as the picker offers them. */
export const STATISTIC_TEMPLATES = [
  { id: 'academic-score', name: '学业成绩' },
  { id: 'fitness-test', name: '体质健康测试' },
] as const

export const DEFAULT_TEMPLATE = STATISTIC_TEMPLATES[0].id

/** The template in the address when it has statistics; otherwise 学业成绩. */
export function chosenTemplate(query: unknown): string {
  return STATISTIC_TEMPLATES.some((t) => t.id === query) ? (query as string) : DEFAULT_TEMPLATE
}

/** The grade in the address (1–12), or null for the API's default (the first grade). */
export function chosenGrade(query: unknown): number | null {
  const grade = typeof query === 'string' && /^\d{1,2}$/.test(query) ? Number(query) : NaN
  return grade >= 1 && grade <= 12 ? grade : null
}

export interface ChosenAssessment {
  assessment?: unknown
  metric?: unknown
}

/**
 * The assessment the address names, when the catalog has it; otherwise the latest one (the
 * catalog comes latest first) of a preferred subject — a subject teacher's own — else the
 * latest of all. A statistic without a subject (the fitness test) is everyone's.
 */
export function chosenAssessment(
  items: readonly Assessment[],
  chosen: ChosenAssessment,
  preferred: ReadonlySet<string> | null = null,
): Assessment | undefined {
  const named = items.find((a) => a.key === chosen.assessment && a.metric === (chosen.metric ?? a.metric))
  if (named) return named
  return items.find((a) => !preferred || a.subject === null || preferred.has(a.subject)) ?? items[0]
}

/** Each assessment's name in the picker: its label, with the metric where two share a label. */
export function assessmentLabels(items: readonly Assessment[]): string[] {
  const counts = new Map<string, number>()
  for (const a of items) counts.set(a.label, (counts.get(a.label) ?? 0) + 1)
  return items.map((a) => (counts.get(a.label)! > 1 ? `${a.label} · ${a.metric_label}` : a.label))
}

/** The query of the statistics routes for a chosen assessment. */
export interface StatisticParams {
  template_id: string
  term: string
  assessment: string
  metric: string
}

export function statisticParams(assessment: Assessment): StatisticParams {
  return {
    template_id: assessment.template_id,
    term: assessment.term,
    assessment: assessment.key,
    metric: assessment.metric,
  }
}

export interface StatisticChoice {
  template: WritableComputedRef<string>
  term: WritableComputedRef<string>
  /** The term's catalog for the template, latest first. */
  catalog: Loadable<Assessment[]>
  /** The chosen (or default) assessment, once the catalog is in. */
  assessment: ComputedRef<Assessment | undefined>
  choose(assessment: Assessment): void
  /** What to ask the statistics routes, once an assessment is chosen. */
  params: ComputedRef<StatisticParams | null>
}

/**
 * The page's choice, read from and written to its address (replacing the history entry). A new
 * template or term drops the assessment: the new catalog's latest is shown.
 */
export function useStatisticChoice(options: { preferred?: () => ReadonlySet<string> | null } = {}): StatisticChoice {
  const route = useRoute()
  const router = useRouter()
  const replace = (change: LocationQueryRaw) => void router.replace({ query: { ...route.query, ...change } })
  const template = computed({
    get: () => chosenTemplate(route.query.template),
    set: (value) => replace({ template: value, assessment: undefined, metric: undefined }),
  })
  const term = computed({
    get: () => chosenTerm(route.query.term, new Date()),
    set: (value) => replace({ term: value, assessment: undefined, metric: undefined }),
  })
  const catalog = useApi(
    (signal) =>
      ok(
        api.GET('/v1/statistics/assessments', {
          params: { query: { template_id: template.value, term: term.value } },
          signal,
        }),
      ).then((list) => list.items),
    { watch: [template, term] },
  )
  const assessment = computed(() =>
    catalog.data
      ? chosenAssessment(catalog.data, { assessment: route.query.assessment, metric: route.query.metric }, options.preferred?.() ?? null)
      : undefined,
  )
  return {
    template,
    term,
    catalog,
    assessment,
    choose: (a) => replace({ assessment: a.key, metric: a.metric }),
    params: computed(() => (assessment.value ? statisticParams(assessment.value) : null)),
  }
}

/** The page's grade (?grade=), for the school's and the district's pages. */
export function useGradeQuery(): WritableComputedRef<number | null> {
  const route = useRoute()
  const router = useRouter()
  return computed({
    get: () => chosenGrade(route.query.grade),
    set: (grade) => void router.replace({ query: { ...route.query, grade: grade === null ? undefined : String(grade) } }),
  })
}

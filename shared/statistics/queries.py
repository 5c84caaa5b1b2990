"""Reading statistics for the pages: a class against its grade, a school's grades, the district's
schools, a student's insights. Each reads the aggregates the statistics function keeps with one
Query (or one BatchGetItem) and at most one more for the roll-ups it compares against; a
student's place in the grade and the district is read live from the roll-ups' distributions, so
it is exact whenever it is read. Who may see what, and suppression, is the caller's
(the API's policy and views)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.statistics.model import ClassStatistic, Insight, RollUp, StatisticInfo, StatKey
from shared.statistics.plans import PLANS

if TYPE_CHECKING:
    from shared.db.statistics import StatisticsRepository
    from shared.domain.models import SchoolClass


@dataclass(frozen=True, slots=True)
class ClassReport:
    statistic: ClassStatistic | None  # None: the class has no values in it
    school: RollUp | None  # the class's grade in its school
    district: RollUp | None  # the class's grade in the district


def class_report(
    repo: StatisticsRepository, stat: StatKey, school_class: SchoolClass
) -> ClassReport:
    grade, school_id = school_class.grade, school_class.school_id
    found = repo.get_class_statistics([(stat, grade, school_id, school_class.id)])
    ups = repo.get_roll_ups([(stat, grade, school_id), (stat, grade, None)])
    return ClassReport(
        statistic=found.get(stat),
        school=ups.get((stat, grade, school_id)),
        district=ups.get((stat, grade, None)),
    )


@dataclass(frozen=True, slots=True)
class GradeReport:
    grade: int
    school: RollUp | None
    district: RollUp
    classes: list[ClassStatistic]  # the selected grade's only


def school_report(
    repo: StatisticsRepository, stat: StatKey, school_id: str, grade: int | None
) -> list[GradeReport]:
    """Every grade the district has the statistic in, with the school's roll-up where it has
    one, and the classes of `grade` (default: the school's first grade with values)."""
    districts = {r.grade: r for r in repo.list_district_roll_ups(stat)}
    schools = repo.get_roll_ups([(stat, g, school_id) for g in districts])
    own = sorted(g for g in districts if (stat, g, school_id) in schools)
    chosen = grade if grade is not None else (own[0] if own else None)
    classes = repo.list_school_grade_classes(stat, chosen, school_id) if chosen in districts else []
    return [
        GradeReport(
            grade=g,
            school=schools.get((stat, g, school_id)),
            district=districts[g],
            classes=classes if g == chosen else [],
        )
        for g in sorted(districts)
        if (stat, g, school_id) in schools or g == chosen
    ]


@dataclass(frozen=True, slots=True)
class DistrictReport:
    grade: int | None
    district: RollUp | None
    schools: list[RollUp]
    grades: list[RollUp]


def district_report(repo: StatisticsRepository, stat: StatKey, grade: int | None) -> DistrictReport:
    """Each grade's district roll-up, and every school's of `grade` (default: the first)."""
    grades = sorted(repo.list_district_roll_ups(stat), key=lambda r: r.grade)
    chosen = grade if grade is not None else (grades[0].grade if grades else None)
    schools = [] if chosen is None else repo.list_school_roll_ups(stat, chosen)
    return DistrictReport(
        grade=chosen,
        district=next((r for r in grades if r.grade == chosen), None),
        schools=schools,
        grades=grades,
    )


@dataclass(frozen=True, slots=True)
class InsightPoint:
    insight: Insight
    grade: RollUp | None  # the student's grade in their school (read for the latest only)
    change: float | None  # class percentile minus the previous point's


@dataclass(frozen=True, slots=True)
class SubjectSeries:
    subject: str  # the trend group: a subject, or the metric's label
    metric: str
    points: list[InsightPoint]  # oldest first


def student_insights(
    repo: StatisticsRepository, student_id: str, template_id: str
) -> list[SubjectSeries]:
    """A student's statistics of a template grouped into trends (a subject's assessments, in
    order of term and date), the latest of each with the school grade's roll-up."""
    plan = PLANS.get(template_id)
    if plan is None:
        return []
    series: dict[tuple[str, str], list[Insight]] = defaultdict(list)
    for insight in repo.list_insights(student_id, template_id):
        group = insight.info.subject or insight.info.metric_label
        series[(group, insight.info.metric)].append(insight)
    for points in series.values():
        points.sort(key=lambda i: (i.info.term, i.info.date or "", i.info.key))
    latest = {group: points[-1] for group, points in series.items()}
    ups = repo.get_roll_ups([(i.info.stat, i.grade, i.school_id) for i in latest.values()])
    result = []
    for (group, metric), points in sorted(series.items()):
        shown: list[InsightPoint] = []
        previous: float | None = None
        for insight in points:
            now = insight.class_percentile
            change = None if now is None or previous is None else now - previous
            is_latest = insight is latest[(group, metric)]
            grade_up = (
                ups.get((insight.info.stat, insight.grade, insight.school_id))
                if is_latest
                else None
            )
            shown.append(InsightPoint(insight, grade_up, change))
            previous = now if now is not None else previous
        result.append(SubjectSeries(group, metric, shown))
    return result


def infos(repo: StatisticsRepository, template_id: str, term: str) -> list[StatisticInfo]:
    """The statistics a template has in a term, latest assessments first."""
    found = repo.list_infos(template_id, term)
    return sorted(found, key=lambda i: (i.date or "", i.label), reverse=True)

"""Statistics in the API: a class's figures and each student's place (its teachers), a school's
grades and classes (its admins, the district), the district's schools (the district), and a
student's insights (the student, their guardians, their teachers and school). Answered from the
statistics function's aggregates (`shared.statistics.queries`); who sees what is the policy's,
what they see of it (suppression, bands) the views'."""

from __future__ import annotations

from datetime import datetime

from chalicelib.context import Context
from chalicelib.services.common import audit
from chalicelib.views_statistics import (
    WARNING_TITLES,
    AssessmentList,
    AssessmentView,
    CatalogQuery,
    ClassFiguresView,
    ClassStatisticsView,
    DistrictGradeView,
    DistrictStatisticsView,
    GradeFiguresView,
    GradeStatisticQuery,
    InsightPointView,
    InsightsQuery,
    SchoolFiguresView,
    SchoolStatisticsView,
    StatisticQuery,
    StudentInsightsView,
    StudentPositionView,
    SubjectInsightView,
    WarningList,
    WarningRulesView,
    WarningsQuery,
    WarningView,
    family_band,
    figures,
)
from shared.access.policy import (
    Principal,
    may_manage_warning_rules,
    permit,
    require,
    sees_class,
    sees_class_statistics,
    sees_class_warnings,
    sees_district_statistics,
    sees_school,
    sees_school_statistics,
    sees_statistics_catalog,
    sees_student,
    sees_student_insights,
    sees_student_places,
)
from shared.db.dynamo import MAX_PAGE_SIZE, every_page
from shared.domain.models import AuditAction
from shared.error_codes import Entity
from shared.exceptions import NotFound
from shared.statistics import queries
from shared.statistics.model import RollUp, StatisticInfo, StatKey, describe
from shared.statistics.plans import PLANS
from shared.statistics.summary import Summary
from shared.statistics.warnings import WarningRules


def assessments(context: Context, principal: Principal, query: CatalogQuery) -> AssessmentList:
    """The statistics a template has in a term (the pages' pickers), latest first."""
    permit(sees_statistics_catalog(principal))
    found = queries.infos(context.repos.statistics, query.template_id, query.term)
    return AssessmentList(items=[AssessmentView.of(i) for i in found])


def class_statistics(
    context: Context, principal: Principal, class_id: str, query: StatisticQuery
) -> ClassStatisticsView:
    """A class's distribution and each student's value and place in the class, the school's
    grade and the district's grade, beside the grade's figures (suppressed when small)."""
    school_class = context.repos.directory.get_class(class_id)
    info = _info(query)
    require(sees_class(principal, school_class), Entity.SCHOOL_CLASS)
    permit(sees_class_statistics(principal, school_class, info.subject))
    report = queries.class_report(context.repos.statistics, info.stat, school_class)
    audit(
        context,
        principal,
        AuditAction.READ_RECORDS,
        school_id=school_class.school_id,
        class_id=class_id,
        details={"view": "statistics", "template": info.template_id, "term": info.term},
    )
    statistic = report.statistic
    students = []
    if statistic is not None:
        names = _class_names(context, class_id)
        for student_id in sorted({*statistic.values, *statistic.statuses}):
            value = statistic.values.get(student_id)
            students.append(
                StudentPositionView(
                    student_id=student_id,
                    name=names.get(student_id, "（已转出）"),
                    value=value,
                    status=statistic.statuses.get(student_id),
                    class_percentile=statistic.percentiles.get(student_id),
                    grade_percentile=_place(report.school, value, info),
                    district_percentile=_place(report.district, value, info),
                )
            )
        students.sort(key=lambda s: (s.value is None, -(s.value or 0), s.name))
    return ClassStatisticsView(
        class_id=school_class.id,
        class_name=school_class.name,
        school_id=school_class.school_id,
        grade=school_class.grade,
        assessment=AssessmentView.of(info),
        class_summary=figures(statistic.summary if statistic else None, "class"),
        school_grade=figures(_summary(report.school), "school"),
        district_grade=figures(_summary(report.district), "district"),
        students=students,
        computed_at=_latest(
            statistic.computed_at if statistic else None,
            *(r.computed_at for r in (report.school, report.district) if r is not None),
        ),
    )


def school_statistics(
    context: Context, principal: Principal, school_id: str, query: GradeStatisticQuery
) -> SchoolStatisticsView:
    """A school's grades against the district's, and one grade's classes (suppressed when
    small: the page leaves the class)."""
    require(sees_school(principal, school_id), Entity.SCHOOL)
    permit(sees_school_statistics(principal, school_id))
    info = _info(query)
    grades = queries.school_report(context.repos.statistics, info.stat, school_id, query.grade)
    directory = context.repos.directory
    classes = {
        c.id: c.name
        for c in every_page(
            lambda start: directory.list_classes(school_id, limit=MAX_PAGE_SIZE, start_key=start)
        )
    }
    chosen = next((g.grade for g in grades if g.classes), query.grade)
    shown = [
        GradeFiguresView(
            grade=g.grade,
            school=figures(_summary(g.school), "school"),
            district=figures(g.district.summary, "district"),
            classes=[
                ClassFiguresView(
                    class_id=c.class_id,
                    class_name=classes.get(c.class_id, c.class_id),
                    summary=figures(c.summary, "school"),
                )
                for c in sorted(g.classes, key=lambda c: classes.get(c.class_id, c.class_id))
                if c.summary.count
            ],
        )
        for g in grades
    ]
    return SchoolStatisticsView(
        school_id=school_id,
        assessment=AssessmentView.of(info),
        grade=chosen,
        grades=shown,
        computed_at=_latest(*(g.district.computed_at for g in grades)),
    )


def district_statistics(
    context: Context, principal: Principal, query: GradeStatisticQuery
) -> DistrictStatisticsView:
    """Every school's distribution of one grade (for box plots) and each grade's district
    figures: no student, and no school's figures over fewer than 5 students."""
    permit(sees_district_statistics(principal))
    info = _info(query)
    report = queries.district_report(context.repos.statistics, info.stat, query.grade)
    directory, district = context.repos.directory, context.settings.district_code
    names = {
        s.id: s.name
        for s in every_page(
            lambda start: directory.list_schools(district, limit=MAX_PAGE_SIZE, start_key=start)
        )
    }
    return DistrictStatisticsView(
        assessment=AssessmentView.of(info),
        grade=report.grade,
        district=figures(_summary(report.district), "district"),
        schools=[
            SchoolFiguresView(
                school_id=s.school_id or "",
                school_name=names.get(s.school_id or "", s.school_id or ""),
                summary=figures(s.summary, "district"),
            )
            for s in sorted(report.schools, key=lambda s: names.get(s.school_id or "", ""))
            if s.summary.count
        ],
        grades=[
            DistrictGradeView(grade=g.grade, district=figures(g.summary, "district"))
            for g in report.grades
            if g.summary.count
        ],
        computed_at=_latest(*(g.computed_at for g in report.grades)),
    )


def student_insights(
    context: Context, principal: Principal, student_id: str, query: InsightsQuery
) -> StudentInsightsView:
    """Per subject, the student's values over time with their place: bands for the student
    and their family, percentile ranks and changes for their teachers and school."""
    student = context.repos.directory.get_student(student_id)
    require(sees_student(principal, student), Entity.STUDENT)
    permit(sees_student_insights(principal, student))
    places = sees_student_places(principal, student)
    series = queries.student_insights(context.repos.statistics, student.id, query.template_id)
    audit(
        context,
        principal,
        AuditAction.READ_RECORDS,
        school_id=student.school_id,
        class_id=student.class_id,
        student_ids=[student.id],
        details={"view": "insights", "template": query.template_id},
    )
    subjects = []
    computed: list[datetime] = []
    for s in series:
        points = []
        for p in s.points:
            i = p.insight
            computed.append(i.computed_at)
            grade_place = _place(p.grade, i.value, i.info)
            grade_count = 0 if p.grade is None else p.grade.distribution.count
            points.append(
                InsightPointView(
                    assessment=AssessmentView.of(i.info),
                    value=i.value,
                    status=i.status,
                    class_band=family_band(i.class_percentile, i.class_count, "班级"),
                    grade_band=family_band(grade_place, grade_count, "年级"),
                    class_percentile=i.class_percentile if places else None,
                    grade_percentile=grade_place if places else None,
                    change=p.change if places else None,
                )
            )
        subjects.append(
            SubjectInsightView(subject=s.subject, metric=s.metric, latest=points[-1], points=points)
        )
    return StudentInsightsView(
        student_id=student.id,
        template_id=query.template_id,
        subjects=subjects,
        computed_at=max(computed, default=None),
    )


def class_warnings(
    context: Context, principal: Principal, class_id: str, query: WarningsQuery
) -> WarningList:
    """A class's early warnings for one of its teachers: all of them for its head teacher, a
    subject's for the subject's teacher. Prompts to talk, never shown to families."""
    school_class = context.repos.directory.get_class(class_id)
    require(sees_class(principal, school_class), Entity.SCHOOL_CLASS)
    permit(sees_class_warnings(principal, school_class, None))
    found = context.repos.statistics.list_class_warnings(class_id, query.template_id, query.term)
    shown = [w for w in found if sees_class_warnings(principal, school_class, w.subject)]
    names = _class_names(context, class_id) if shown else {}
    audit(
        context,
        principal,
        AuditAction.READ_RECORDS,
        school_id=school_class.school_id,
        class_id=class_id,
        student_ids=sorted({w.student_id for w in shown}),
        details={"view": "warnings", "template": query.template_id, "term": query.term},
    )
    return WarningList(
        class_id=class_id,
        items=[
            WarningView(
                student_id=w.student_id,
                name=names.get(w.student_id, "（已转出）"),
                kind=w.kind,
                title=WARNING_TITLES[w.kind],
                subject=w.subject,
                assessment=AssessmentView.of(w.info),
                message=w.message,
                facts=w.facts,
                computed_at=w.computed_at,
            )
            for w in shown
        ],
    )


def warning_rules(context: Context, principal: Principal) -> WarningRulesView:
    permit(may_manage_warning_rules(principal))
    return WarningRulesView(**context.repos.statistics.get_warning_rules().model_dump())


def change_warning_rules(
    context: Context, principal: Principal, body: WarningRulesView
) -> WarningRulesView:
    """The district's rules; classes' warnings follow at their next recompute."""
    permit(may_manage_warning_rules(principal))
    rules = WarningRules(**body.model_dump())
    context.repos.statistics.put_warning_rules(rules)
    audit(
        context,
        principal,
        AuditAction.CHANGE_WARNING_RULES,
        school_id=None,
        details={k: v for k, v in rules.model_dump().items()},
    )
    return WarningRulesView(**rules.model_dump())


# ------------------------------------------------------------------------------------ helpers


def _class_names(context: Context, class_id: str) -> dict[str, str]:
    directory = context.repos.directory
    return {
        s.id: s.name
        for s in every_page(
            lambda start: directory.list_class_students(
                class_id, limit=MAX_PAGE_SIZE, start_key=start
            )
        )
    }


def _info(query: StatisticQuery) -> StatisticInfo:
    """The statistic a query names, described by its template's plan (NotFound for a
    template without statistics or a metric it does not have)."""
    plan = PLANS.get(query.template_id)
    if plan is None or plan.metric(query.metric) is None:
        raise NotFound(Entity.STATISTIC)
    stat = StatKey(query.template_id, query.term, query.assessment, query.metric)
    try:
        return describe(plan, stat)
    except ValueError:  # an assessment key of the wrong shape
        raise NotFound(Entity.STATISTIC) from None


def _place(roll_up: RollUp | None, value: float | None, info: StatisticInfo) -> float | None:
    if roll_up is None or value is None:
        return None
    return roll_up.distribution.percentile(value, higher_is_better=info.higher_is_better)


def _summary(roll_up: RollUp | None) -> Summary | None:
    return None if roll_up is None or roll_up.distribution.count == 0 else roll_up.summary


def _latest(*moments: datetime | None) -> datetime | None:
    return max((m for m in moments if m is not None), default=None)

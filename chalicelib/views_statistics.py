"""What the API shows of statistics: distributions (suppressed where a cell is too small for
the audience), each student's place for their teachers, bands for families.

Suppression is decided here, once, from the audience of each figure (`shared.statistics.
suppression`): a class's own teachers see their class whatever its size; a figure leaving the
class (a school's grade, a class on the school's page, a school on the district's) over fewer
than 5 students is replaced by `SuppressedView`. District pages name no student at all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, StrictBool, StrictInt

from chalicelib.views import QueryInt, View
from shared.domain.models import TermText
from shared.statistics.model import StatisticInfo
from shared.statistics.ranks import band
from shared.statistics.summary import Summary
from shared.statistics.suppression import MIN_CELL, Audience, Suppressed, suppress

# ------------------------------------------------------------------------------------ queries


class StatisticQuery(View):
    template_id: str = Field(description="e.g. academic-score, fitness-test")
    term: TermText = Field(description="e.g. 2024-2025-1")
    assessment: str = Field(
        description="The assessment's key from /v1/statistics/assessments "
        "(e.g. 数学~期中考试~2024-11-08; `-` for a template measured once a term)."
    )
    metric: str = Field("score", description="e.g. score, total_score")


class GradeStatisticQuery(StatisticQuery):
    grade: QueryInt | None = Field(None, ge=1, le=12, description="Default: the first grade.")


class CatalogQuery(View):
    template_id: str
    term: TermText


class InsightsQuery(View):
    template_id: str = Field("academic-score")


# ------------------------------------------------------------------------------------ figures


class AssessmentView(View):
    key: str = Field(description="The `assessment` parameter naming it.")
    template_id: str
    term: str
    metric: str
    metric_label: str
    subject: str | None
    assessment_type: str | None
    date: str | None = Field(description="ISO date of the assessment, when it has one.")
    label: str = Field(description="e.g. 数学 · 期中考试 · 2024-11-08")
    unit: str | None
    higher_is_better: bool

    @classmethod
    def of(cls, info: StatisticInfo) -> AssessmentView:
        return cls(**info.model_dump())


class AssessmentList(View):
    items: list[AssessmentView]


class HistogramView(View):
    edges: list[float]
    counts: list[int]
    out_of_range: int


class SummaryView(View):
    suppressed: Literal[False] = False
    count: int
    missing: int
    full_marks: float
    pass_share: float
    excellent_share: float
    mean: float | None
    median: float | None
    q1: float | None
    q3: float | None
    min: float | None
    max: float | None
    std: float | None
    histogram: HistogramView
    pass_count: int
    excellent_count: int
    pass_rate: float | None
    excellent_rate: float | None
    good_share: float | None = Field(description="良好 mark as a share (fitness: 0.8).")
    good_count: int
    good_rate: float | None = Field(description="优良率 (fitness): at or above 良好.")

    @classmethod
    def of(cls, s: Summary) -> SummaryView:
        fields = s.model_dump(exclude={"histogram"})
        return cls(
            **fields,
            histogram=HistogramView(
                edges=list(s.histogram.edges),
                counts=list(s.histogram.counts),
                out_of_range=s.histogram.out_of_range,
            ),
            pass_rate=s.pass_rate,
            excellent_rate=s.excellent_rate,
            good_rate=s.good_rate,
        )


class SuppressedView(View):
    suppressed: Literal[True] = True
    audience: Audience
    min_cell: int
    reason: str = Field(description="人数少于 5 人，不予显示")

    @classmethod
    def of(cls, s: Suppressed) -> SuppressedView:
        return cls(audience=s.audience, min_cell=s.min_cell, reason=s.reason)


Figures = SummaryView | SuppressedView


def figures(summary: Summary | None, audience: Audience) -> Figures | None:
    """A summary as `audience` may see it (None when there is none)."""
    if summary is None:
        return None
    shown = suppress(summary, audience=audience)
    return SummaryView.of(shown) if isinstance(shown, Summary) else SuppressedView.of(shown)


def family_band(percentile: float | None, count: int, scope: str) -> str | None:
    """「班级前 25%」: a family's view of a place, none in a group under 5 (it would all but
    name the others)."""
    if percentile is None or count < MIN_CELL:
        return None
    return f"{scope}{band(percentile)}"


# ------------------------------------------------------------------------------------- pages


class StudentPositionView(View):
    student_id: str
    name: str
    value: float | None
    status: str | None = Field(description="缺考, 免考 … in place of a value.")
    class_percentile: float | None
    grade_percentile: float | None = Field(description="In the class's grade of the school.")
    district_percentile: float | None = Field(description="In the grade across the district.")


class ClassStatisticsView(View):
    class_id: str
    class_name: str
    school_id: str
    grade: int
    assessment: AssessmentView
    class_summary: Figures | None
    school_grade: Figures | None
    district_grade: Figures | None
    students: list[StudentPositionView]
    computed_at: datetime | None


class ClassFiguresView(View):
    class_id: str
    class_name: str
    summary: Figures


class GradeFiguresView(View):
    grade: int
    school: Figures | None
    district: Figures
    classes: list[ClassFiguresView] = Field(description="The selected grade's classes only.")


class SchoolStatisticsView(View):
    school_id: str
    assessment: AssessmentView
    grade: int | None = Field(description="The grade whose classes are listed.")
    grades: list[GradeFiguresView]
    computed_at: datetime | None


class SchoolFiguresView(View):
    school_id: str
    school_name: str
    summary: Figures


class DistrictGradeView(View):
    grade: int
    district: Figures


class DistrictStatisticsView(View):
    assessment: AssessmentView
    grade: int | None
    district: Figures | None
    schools: list[SchoolFiguresView]
    grades: list[DistrictGradeView]
    computed_at: datetime | None


class InsightPointView(View):
    assessment: AssessmentView
    value: float | None = Field(description="The student's own value.")
    status: str | None
    class_band: str | None = Field(description="e.g. 班级前 25% (none in a class under 5).")
    grade_band: str | None = Field(description="Latest point only: e.g. 年级前 50%.")
    class_percentile: float | None = Field(description="Teachers and school admins only.")
    grade_percentile: float | None = Field(description="Teachers and school admins only.")
    change: float | None = Field(
        description="Class percentile minus the previous point's (teachers only)."
    )


class SubjectInsightView(View):
    subject: str
    metric: str
    latest: InsightPointView
    points: list[InsightPointView]


class StudentInsightsView(View):
    student_id: str
    template_id: str
    subjects: list[SubjectInsightView]
    computed_at: datetime | None


# ------------------------------------------------------------------------------------ warnings


class WarningsQuery(View):
    template_id: str = Field("academic-score")
    term: TermText


WARNING_TITLES: dict[str, str] = {
    "percentile_drop": "班级位置变化较大",
    "fitness_fail": "体测未达及格",
    "missing_record": "缺少记录",
}


class WarningView(View):
    student_id: str
    name: str
    kind: Literal["percentile_drop", "fitness_fail", "missing_record"]
    title: str = Field(description="What to look at, e.g. 班级位置变化较大 (not a label).")
    subject: str | None
    assessment: AssessmentView
    message: str = Field(description="A prompt to talk, with the numbers behind it.")
    facts: dict[str, float | str]
    computed_at: datetime


class WarningList(View):
    class_id: str
    items: list[WarningView]


class WarningRulesView(View):
    """The district's rules (also the body that changes them: JSON types exactly, no 0 for
    false)."""

    percentile_drop: StrictInt = Field(
        ge=5, le=90, description="Warn at a fall in class percentile of this many points."
    )
    fitness_fail: StrictBool = Field(description="Warn when the fitness total is under 60.")
    missing_record: StrictBool = Field(description="Warn when an expected record is missing.")

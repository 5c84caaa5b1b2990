"""What is measured in each template's records: the statistics plan.

A *statistic* is one metric of one assessment in one term of one template: 数学 · 期中考试 ·
2024-11-08 scores; the fitness test's total score. Records of one statistic are compared with
each other (a class, its grade in the school, its grade in the district), and a student's
statistics of one trend group (a subject's assessments) make their trend.

An assessment is named by the values of the plan's `assessment` fields, so classes that took
the same exam share it: a district's 期中考试 is one assessment when its task fixes the date
(`fixed` 考核日期), which is how the district sets up exams it wants compared. Templates
without a plan have no statistics.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from shared.domain.models import RecordValue

# Separates an assessment's parts in keys and in the API's `assessment` parameter (`#` is the
# storage keys' separator; no subject, kind or date contains `~`).
PART_SEPARATOR: Final = "~"


@dataclass(frozen=True, slots=True)
class Metric:
    key: str  # the record value measured
    label: str
    unit: str | None = None
    higher_is_better: bool = True
    full_marks: float = 100.0  # when the record names no full marks of its own
    full_marks_key: str | None = None  # the record value that does (academic 满分)
    pass_share: float = 0.6
    excellent_share: float = 0.85
    good_share: float | None = None  # 良好 (the fitness standard's 80), for 优良率


@dataclass(frozen=True, slots=True)
class Plan:
    template_id: str
    assessment: tuple[str, ...]  # record values naming the assessment (besides the term)
    metrics: tuple[Metric, ...]
    trend_by: str | None = None  # the value grouping a student's trend (subject)
    date_key: str | None = None  # orders the trend within a term
    kind_key: str | None = None  # what kind of assessment (期中考试), for labels

    def assessment_of(self, values: Mapping[str, RecordValue]) -> str | None:
        """The assessment key of a record's values; None if a part is missing."""
        parts = [values.get(key) for key in self.assessment]
        if any(p is None or p == "" for p in parts):
            return None
        return PART_SEPARATOR.join(str(p) for p in parts) or "-"

    def parts_of(self, assessment: str) -> dict[str, str]:
        if not self.assessment:
            return {}
        return dict(zip(self.assessment, assessment.split(PART_SEPARATOR), strict=True))

    def metric(self, key: str) -> Metric | None:
        return next((m for m in self.metrics if m.key == key), None)


def number(value: RecordValue) -> float | None:
    """A record value as a measurement: a finite number, else None (a status such as 缺考)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def status(value: RecordValue) -> str | None:
    """The status word standing where a number would (缺考, 免考, 缺测 …), if any."""
    return value if isinstance(value, str) and value else None


ACADEMIC: Final = Plan(
    template_id="academic-score",
    assessment=("subject", "assessment_type", "assessment_date"),
    metrics=(Metric("score", "得分", unit="分", full_marks_key="full_marks"),),
    trend_by="subject",
    date_key="assessment_date",
    kind_key="assessment_type",
)


# 国家学生体质健康标准: the item scores and the total are 0–100 (the total may exceed 100 by the
# bonus, counted in the histogram's last bin); 及格 ≥ 60, 良好 ≥ 80 and 优秀 ≥ 90
# (docs/fitness.md): the pass rate is the 及格率, the good rate the 优良率.
def _fitness(key: str, label: str) -> Metric:
    return Metric(key, label, unit="分", pass_share=0.6, excellent_share=0.9, good_share=0.8)


FITNESS: Final = Plan(
    template_id="fitness-test",
    assessment=(),
    metrics=(
        _fitness("total_score", "体测总分"),
        _fitness("bmi_score", "BMI 得分"),
        _fitness("vital_capacity_ml_score", "肺活量得分"),
        _fitness("sprint_50m_s_score", "50米跑得分"),
        _fitness("sit_and_reach_cm_score", "坐位体前屈得分"),
        _fitness("rope_skipping_score", "一分钟跳绳得分"),
        _fitness("sit_ups_score", "一分钟仰卧起坐得分"),
        _fitness("shuttle_run_50x8_s_score", "50米×8往返跑得分"),
        _fitness("standing_long_jump_cm_score", "立定跳远得分"),
        _fitness("pull_ups_score", "引体向上得分"),
        _fitness("run_800m_s_score", "800米跑得分"),
        _fitness("run_1000m_s_score", "1000米跑得分"),
    ),
)

PLANS: Final[dict[str, Plan]] = {plan.template_id: plan for plan in (ACADEMIC, FITNESS)}

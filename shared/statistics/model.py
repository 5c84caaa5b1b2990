"""The statistics function's aggregates, as stored (shared/db/statistics.py) and read by pages.

- `ClassStatistic`: one class's values of one statistic — each student's value (or status) and
  class percentile, the distribution and its summary. Its teachers see all of it.
- `RollUp`: a grade of one school, or of the district: the merged distribution and its summary,
  with the epoch that orders its writes.
- `Insight`: one student's position in one statistic (their trend reads these).
- `StatisticInfo`: what a statistic is, for pickers and labels.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.db import keys
from shared.statistics.distribution import Distribution
from shared.statistics.plans import Plan
from shared.statistics.summary import Summary


class StatKey(NamedTuple):
    """One metric of one assessment of a template in a term."""

    template_id: str
    term: str
    assessment: str
    metric: str

    @property
    def partition(self) -> str:
        return keys.stats_partition(*self)

    @property
    def name(self) -> str:
        """The statistic within its template and term (the catalog's and insights' key)."""
        return keys.stats_catalog_sk(self.assessment, self.metric)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


class StatisticInfo(_Model):
    """What a statistic is: labels for pages, and how to read its values."""

    key: str = Field(description="The assessment, as the `assessment` parameter names it.")
    template_id: str
    term: str
    metric: str
    metric_label: str
    subject: str | None = None
    assessment_type: str | None = None
    date: str | None = Field(None, description="ISO date of the assessment, when it has one.")
    label: str = Field(description="e.g. 数学 · 期中考试 · 2024-11-08")
    unit: str | None = None
    higher_is_better: bool = True

    @property
    def stat(self) -> StatKey:
        return StatKey(self.template_id, self.term, self.key, self.metric)


def describe(plan: Plan, stat: StatKey) -> StatisticInfo:
    metric = plan.metric(stat.metric)
    if metric is None:
        raise ValueError(f"{plan.template_id} has no metric {stat.metric}")
    parts = plan.parts_of(stat.assessment)
    subject = parts.get(plan.trend_by) if plan.trend_by else None
    kind = parts.get(plan.kind_key) if plan.kind_key else None
    date = parts.get(plan.date_key) if plan.date_key else None
    label = " · ".join(p for p in (subject, kind, date) if p) or metric.label
    return StatisticInfo(
        key=stat.assessment,
        template_id=stat.template_id,
        term=stat.term,
        metric=stat.metric,
        metric_label=metric.label,
        subject=subject,
        assessment_type=kind,
        date=date,
        label=label,
        unit=metric.unit,
        higher_is_better=metric.higher_is_better,
    )


class ClassStatistic(_Model):
    stat: StatKey
    school_id: str
    class_id: str
    grade: int
    full_marks: float
    values: dict[str, float] = Field(description="Student id → value, for those with one.")
    statuses: dict[str, str] = Field(description="Student id → status word (缺考 …).")
    percentiles: dict[str, float] = Field(description="Student id → class percentile rank.")
    distribution: Distribution
    summary: Summary
    digest: str = Field(description="Of the values and statuses: unchanged → nothing to write.")
    computed_at: AwareDatetime


class RollUp(_Model):
    stat: StatKey
    grade: int
    school_id: str | None = Field(description="None: the district's grade.")
    full_marks: float
    distribution: Distribution
    summary: Summary
    epoch: int = Field(ge=0)
    computed_at: AwareDatetime


class Insight(_Model):
    """A student's value in one statistic and their place in the class when it was computed
    (their class only changes it; grade and district places are read live from the roll-ups)."""

    student_id: str
    info: StatisticInfo
    school_id: str
    class_id: str
    grade: int
    value: float | None
    status: str | None
    class_percentile: float | None
    class_count: int
    computed_at: datetime

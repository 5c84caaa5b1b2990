"""Early warnings (预警): prompts for a student's teachers to talk with them, never labels.

Three rules, each configurable by the district (`WarningRules`):

- **A fall in place**: a student's class percentile fell by at least `percentile_drop` points
  from the previous assessment of the same subject in the term (the class's own assessments,
  by date). Percentile, not score: a hard exam lowers everyone's score, not their place.
- **Fitness below 及格**: the fitness test's total under 60 (国家学生体质健康标准).
- **A missing record**: a student on the class's roster with neither a value nor a status (缺考,
  免测 …) in an assessment most of the class has — a record the task expected and did not get.

A warning carries the numbers behind it (`facts`) and a message worded as a prompt; it is shown
to the student's head teacher and the teacher of its subject only (the API's policy), never to
families. Warnings are recomputed with the class's statistics, so a corrected score or a late
record withdraws the warning it caused.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.statistics.model import ClassStatistic, StatisticInfo, StatKey, describe
from shared.statistics.plans import Plan

WarningKind = Literal["percentile_drop", "fitness_fail", "missing_record"]
FITNESS_PASS = 60.0


class WarningRules(BaseModel):
    """The district's rules (stored once; these defaults until the district changes them)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    percentile_drop: int = Field(
        25, ge=5, le=90, description="A fall in class percentile of at least this many points."
    )
    fitness_fail: bool = Field(True, description="Warn when the fitness total is under 60.")
    missing_record: bool = Field(
        True, description="Warn when a student has no record in an assessment most have."
    )


class EarlyWarning(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    student_id: str
    class_id: str
    kind: WarningKind
    info: StatisticInfo
    message: str = Field(description="A prompt to talk, with the numbers behind it.")
    facts: dict[str, float | str]
    computed_at: datetime

    @property
    def subject(self) -> str | None:
        return self.info.subject

    @property
    def key(self) -> str:
        """Unique within the class's warnings of a template and term."""
        return f"{self.kind}#{self.info.key}#{self.info.metric}#{self.student_id}"


def warnings_for(
    plan: Plan,
    statistics: Mapping[StatKey, ClassStatistic],
    roster: Iterable[str],
    rules: WarningRules,
    now: datetime,
) -> list[EarlyWarning]:
    """Every warning a class's statistics of one template and term give under `rules`."""
    found: list[EarlyWarning] = []
    infos = {stat: describe(plan, stat) for stat in statistics}
    found += _drops(statistics, infos, rules, now)
    if rules.fitness_fail:
        found += _fitness(statistics, infos, now)
    if rules.missing_record:
        found += _missing(statistics, infos, set(roster), now)
    return sorted(found, key=lambda w: w.key)


def _drops(
    statistics: Mapping[StatKey, ClassStatistic],
    infos: Mapping[StatKey, StatisticInfo],
    rules: WarningRules,
    now: datetime,
) -> list[EarlyWarning]:
    series: dict[tuple[str, str], list[StatKey]] = defaultdict(list)
    for stat, info in infos.items():
        if info.subject is not None and info.date is not None:
            series[(info.subject, stat.metric)].append(stat)
    found = []
    for stats in series.values():
        stats.sort(key=lambda s: (infos[s].date or "", s.assessment))
        for before, after in itertools.pairwise(stats):
            was, now_at = statistics[before].percentiles, statistics[after].percentiles
            for student_id in sorted(was.keys() & now_at.keys()):
                fall = was[student_id] - now_at[student_id]
                if fall < rules.percentile_drop:
                    continue
                b, a = infos[before], infos[after]
                found.append(
                    EarlyWarning(
                        student_id=student_id,
                        class_id=statistics[after].class_id,
                        kind="percentile_drop",
                        info=a,
                        message=(
                            f"{a.subject}：{a.assessment_type or a.label}在班级中的位置比"
                            f"{b.assessment_type or b.label}下降了 {fall:.0f} 个百分点"
                            f"（从 {was[student_id]:.0f} 到 {now_at[student_id]:.0f}）。"
                            "可以找时间和学生聊聊最近的学习情况。"
                        ),
                        facts={
                            "previous_assessment": b.label,
                            "previous_percentile": round(was[student_id], 1),
                            "percentile": round(now_at[student_id], 1),
                            "fall": round(fall, 1),
                            "threshold": rules.percentile_drop,
                        },
                        computed_at=now,
                    )
                )
    return found


def _fitness(
    statistics: Mapping[StatKey, ClassStatistic],
    infos: Mapping[StatKey, StatisticInfo],
    now: datetime,
) -> list[EarlyWarning]:
    found = []
    for stat, statistic in statistics.items():
        if stat.template_id != "fitness-test" or stat.metric != "total_score":
            continue
        for student_id, total in sorted(statistic.values.items()):
            if total >= FITNESS_PASS:
                continue
            found.append(
                EarlyWarning(
                    student_id=student_id,
                    class_id=statistic.class_id,
                    kind="fitness_fail",
                    info=infos[stat],
                    message=(
                        f"体测总分 {total:.1f} 分，未达到及格线 {FITNESS_PASS:.0f} 分。"
                        "建议了解学生的锻炼和身体情况，鼓励参加适合的运动。"
                    ),
                    facts={"total_score": total, "pass_mark": FITNESS_PASS},
                    computed_at=now,
                )
            )
    return found


def _missing(
    statistics: Mapping[StatKey, ClassStatistic],
    infos: Mapping[StatKey, StatisticInfo],
    roster: set[str],
    now: datetime,
) -> list[EarlyWarning]:
    found = []
    for stat, statistic in statistics.items():
        present = statistic.values.keys() | statistic.statuses.keys()
        # Only where most of the class has one: an assessment of a few students (a make-up,
        # an elective) expects nothing of the others.
        if not roster or 2 * len(present & roster) <= len(roster):
            continue
        info = infos[stat]
        for student_id in sorted(roster - present):
            found.append(
                EarlyWarning(
                    student_id=student_id,
                    class_id=statistic.class_id,
                    kind="missing_record",
                    info=info,
                    message=(
                        f"{info.label}：班里 {len(present & roster)} 名同学有记录，"
                        "该生没有成绩，也没有缺考、免考等说明。请核实是否漏报。"
                    ),
                    facts={"recorded": len(present & roster), "roster": len(roster)},
                    computed_at=now,
                )
            )
    return found

"""Scoring one student by 《国家学生体质健康标准（2014年修订）》: single items, BMI, the weighted
standard score (标准分), the bonus (附加分), the year's total (学年总分) and its grade (等级).

The rules, as the standard states them and as implemented (docs/fitness.md):

* A result that meets a level's standard earns that level: ≥ the standard for counts and
  distances, ≤ for times (seconds). Below the 10-point standard an item scores 0. Levels the
  standard leaves blank (引体向上 has no 78, 74 … points) are never earned.
* BMI = 体重（千克）/ 身高（米）², rounded half up to one decimal, then banded: 正常 100,
  低体重 80, 超重 80, 肥胖 60.
* 标准分 = Σ item score × weight; it is kept to one decimal (rounded half up).
* 附加分: 一分钟跳绳 in 小学 (up to 20), and in 初中/高中 引体向上 and 1000米跑 for boys, 一分钟仰卧
  起坐 and 800米跑 for girls (up to 10 each), for results beyond the item's 100-point
  standard, per the 加分 tables. 学年总分 = 标准分 + 附加分 (at most 120).
* 等级 by the 学年总分, as the standard says: 优秀 ≥ 90.0, 良好 80.0–89.9, 及格 60.0–79.9,
  不及格 ≤ 59.9.
* An item the student must take but did not (缺测, or no value) scores 0. A student exempted
  from an item (免测, for illness or disability, with the school's approval) is not graded:
  the standard has such a student's result "注明免测" instead of a score; the items taken are
  still scored, the totals and the grade are left empty.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from shared.fitness.tables import BMI, EXEMPT, Better, check_group, standard

EXCELLENT: Final = "优秀"
GOOD: Final = "良好"
PASSED: Final = "及格"
FAIL: Final = "不及格"
# The lower bound of each grade, in tenths of a point (scores are kept to one decimal).
GRADE_FLOORS: Final = ((900, EXCELLENT), (800, GOOD), (600, PASSED))

# Keys of the values that give BMI (the template's columns).
HEIGHT: Final = "height_cm"
WEIGHT: Final = "weight_kg"
# A derived score's key is its item's key with this suffix (`run_1000m_s_score`, `bmi_score`).
SCORE_SUFFIX: Final = "_score"


def derived_keys() -> tuple[str, ...]:
    """The keys of what a fitness record carries besides its measurements, in this order:
    `bmi`, `bmi_score`, `<item>_score` for every item the standard scores, `bonus_score`,
    `standard_score`, `total_score`, `fitness_grade`."""
    items = tuple(key + SCORE_SUFFIX for key in standard().items)
    totals = ("bonus_score", "standard_score", "total_score", "fitness_grade")
    return (BMI, BMI + SCORE_SUFFIX, *items, *totals)


def score_item(item: str, grade: int, gender: str, value: float) -> int:
    """The single-item score (0–100) of a result, by the standard's table for the student's
    grade and gender. `item` is the template's column key (`vital_capacity_ml`,
    `run_1000m_s` …); times are in seconds. NotScored if the standard scores no such item
    for the group."""
    table = standard().item(item, grade, gender)
    for level, threshold in zip(standard().levels, table.thresholds[grade, gender], strict=True):
        if threshold is not None and _meets(value, threshold, table.better):
            return level
    return 0


def bmi(height_cm: float, weight_kg: float) -> float:
    """体重指数: kg / m², rounded half up to one decimal (the standard's bands are to 0.1).
    ValueError unless the height is positive."""
    if not height_cm > 0:
        raise ValueError("height must be positive")
    metres = height_cm / 100
    return math.floor(weight_kg / (metres * metres) * 10 + 0.5) / 10


def bmi_band(grade: int, gender: str, value: float) -> tuple[str, int]:
    """The band of a BMI (to one decimal) for the group, and its score."""
    bands = standard().bmi_bands[check_group(grade, gender)]
    if value <= bands.low_max:
        name = "低体重"
    elif value < bands.overweight_min:
        name = "正常"
    elif value < bands.obese_min:
        name = "超重"
    else:
        name = "肥胖"
    return name, standard().bmi_scores[name]


def bonus_points(item: str, grade: int, gender: str, value: float) -> int:
    """附加分 of one result: 0 unless the item is a bonus item for the group and the result
    meets its 100-point standard; then the points of the highest step reached."""
    tables = standard()
    bonus = tables.bonus.get(item)
    if bonus is None or check_group(grade, gender) not in bonus.groups:
        return 0
    table = tables.item(item, grade, gender)
    best = table.thresholds[grade, gender][0]
    assert best is not None  # the 100-point standard is never blank (checked on load)
    beyond = value - best if table.better is Better.HIGHER else best - value
    earned = [points for points, step in bonus.steps if beyond >= step]
    return max(earned, default=0)


def fitness_grade(total_score: float) -> str:
    """等级 of a 学年总分 (kept to one decimal): 优秀, 良好, 及格 or 不及格."""
    return _grade_of_tenths(round(total_score * 10))


def scored_items(grade: int, gender: str) -> tuple[str, ...]:
    """What the group is scored on, in the standard's order: "bmi" and the test items."""
    return tuple(standard().weights_of(grade, gender))


@dataclass(frozen=True, slots=True)
class FitnessAssessment:
    """One student's result. `scores` holds each item the group is scored on ("bmi" and the
    test items): its score, None when the student was exempted from it (免测). Totals and
    grade are None for an exempted student."""

    grade: int
    gender: str
    bmi: float | None
    bmi_band: str | None
    scores: Mapping[str, int | None]
    bonus: Mapping[str, int]
    standard_score: float | None
    bonus_score: int | None
    total_score: float | None
    fitness_grade: str | None
    exempt: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()

    def derived_values(self) -> dict[str, float | str | None]:
        """What a record of the fitness template carries besides its measurements, keyed by
        `derived_keys()`: an item the student's group is not scored on is None."""
        values: dict[str, float | str | None] = {key: None for key in derived_keys()}
        values[BMI] = self.bmi
        for item, score in self.scores.items():
            values[item + SCORE_SUFFIX] = None if score is None else float(score)
        values["bonus_score"] = None if self.bonus_score is None else float(self.bonus_score)
        values["standard_score"] = self.standard_score
        values["total_score"] = self.total_score
        values["fitness_grade"] = self.fitness_grade
        return values


def assess(
    grade: int,
    gender: str,
    values: Mapping[str, float | None],
    *,
    statuses: Mapping[str, str | None] | None = None,
) -> FitnessAssessment:
    """Score one student of `grade` (1–12) and `gender` (男/女) from their results, keyed as
    the template's columns (`height_cm`, `weight_kg`, `vital_capacity_ml`, … times in
    seconds). An item of the group without a value is 缺测 (scores 0), unless `statuses`
    marks it 免测 (then the student is not graded). Results of items the group does not take
    are ignored. NotScored for a grade or gender the standard does not have."""
    tables = standard()
    weights = tables.weights_of(grade, gender)
    marks = statuses or {}
    scores: dict[str, int | None] = {}
    exempt: list[str] = []
    absent: list[str] = []
    body_mass: float | None = None
    band: str | None = None
    for key in weights:
        if key == BMI:
            height, weight = values.get(HEIGHT), values.get(WEIGHT)
            if height is not None and weight is not None and height > 0:
                body_mass = bmi(height, weight)
                band, scores[key] = bmi_band(grade, gender, body_mass)
                continue
        elif (value := values.get(key)) is not None:
            scores[key] = score_item(key, grade, gender, value)
            continue
        measured = (HEIGHT, WEIGHT) if key == BMI else (key,)
        if any(marks.get(k) == EXEMPT for k in measured):
            scores[key] = None
            exempt.append(key)
        else:
            scores[key] = 0
            absent.append(key)
    bonus = {
        key: bonus_points(key, grade, gender, float(value))
        for key in tables.bonus
        if scores.get(key) == 100 and (value := values.get(key)) is not None
    }
    # In hundredths of a point (score × percent), so that rounding is exact.
    hundredths = sum((scores[key] or 0) * weight for key, weight in weights.items())
    standard_tenths = (hundredths + 5) // 10
    bonus_score = min(sum(bonus.values()), tables.bonus_max)
    total_tenths = standard_tenths + bonus_score * 10
    graded = not exempt  # an exempted student's result is "免测", not a score
    return FitnessAssessment(
        grade=grade,
        gender=gender,
        bmi=body_mass,
        bmi_band=band,
        scores=scores,
        bonus=bonus,
        standard_score=standard_tenths / 10 if graded else None,
        bonus_score=bonus_score if graded else None,
        total_score=total_tenths / 10 if graded else None,
        fitness_grade=_grade_of_tenths(total_tenths) if graded else None,
        exempt=tuple(exempt),
        absent=tuple(absent),
    )


def _grade_of_tenths(tenths: int) -> str:
    return next((name for floor, name in GRADE_FLOORS if tenths >= floor), FAIL)


def _meets(value: float, threshold: float, better: Better) -> bool:
    return value >= threshold if better is Better.HIGHER else value <= threshold

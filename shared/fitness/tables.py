"""The scoring tables of 《国家学生体质健康标准（2014年修订）》 (教体艺〔2014〕5号), as data.

Four files in `data/`, each naming where its numbers were transcribed from (`source`) and what
they were checked against (docs/fitness.md):

* `single-items.json` — each test item's standard for the twenty score levels (100, 95 … 10),
  by grade (1–12) and gender;
* `bmi.json` — the BMI bands (正常, 低体重, 超重, 肥胖) by grade and gender, and their scores;
* `weights.json` — each grade band's items and their weights (percent);
* `bonus.json` — the 加分 tables: points for results beyond an item's 100-point standard.

`standard()` reads and checks them once per process. Nothing here knows about uploads or
storage; `shared.fitness.scoring` and `shared.fitness.derivation` use these tables.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from itertools import pairwise
from typing import Any, Final

GENDERS: Final = ("男", "女")
GRADES: Final = tuple(range(1, 13))
# The index weights and results use for BMI (it is scored from height and weight).
BMI: Final = "bmi"
# The status words of a test item that was not taken (the template's `statuses`).
EXEMPT: Final = "免测"
ABSENT: Final = "缺测"

Group = tuple[int, str]  # (grade, gender)


class NotScored(LookupError):
    """The standard scores no such item for this grade and gender (e.g. 引体向上 for a girl,
    一分钟跳绳 in 初中), or there is no such grade or gender: asked for, it is refused by name
    rather than given a score the standard does not define."""


class Better(StrEnum):
    """Which way an item's results improve: counts and distances up, times down."""

    HIGHER = "higher"
    LOWER = "lower"


@dataclass(frozen=True, slots=True)
class ItemTable:
    """One test item's standards: per (grade, gender), the result each score level needs
    (`None` where the standard leaves a level blank: no result earns it)."""

    key: str
    name: str
    unit: str
    better: Better
    thresholds: Mapping[Group, tuple[float | None, ...]]


@dataclass(frozen=True, slots=True)
class BmiBands:
    """A group's BMI bands, by their bounds (BMI to one decimal): 低体重 ≤ `low_max` <
    正常 < `overweight_min` ≤ 超重 < `obese_min` ≤ 肥胖."""

    low_max: float
    overweight_min: float
    obese_min: float


@dataclass(frozen=True, slots=True)
class BonusTable:
    """An item's 加分 table for the groups it applies to: `steps` are (points, beyond) from the
    smallest step up — a result `beyond` more than the 100-point standard (fewer seconds for
    a timed item) earns `points`."""

    key: str
    groups: frozenset[Group]
    steps: tuple[tuple[int, float], ...]


@dataclass(frozen=True, slots=True)
class Standard:
    """Everything the scorer needs, read from `data/` (see the module's docstring)."""

    levels: tuple[int, ...]
    items: Mapping[str, ItemTable]
    bmi_bands: Mapping[Group, BmiBands]
    bmi_scores: Mapping[str, int]
    weights: Mapping[Group, Mapping[str, int]]
    bonus: Mapping[str, BonusTable]
    bonus_max: int
    sources: Mapping[str, Any]

    def item(self, key: str, grade: int, gender: str) -> ItemTable:
        """The table of `key` for the group; NotScored if the standard scores no such item in
        that grade and gender."""
        group = check_group(grade, gender)
        table = self.items.get(key)
        if table is None:
            raise NotScored(f"《国家学生体质健康标准》没有测试项目 {key!r} 的评分表")
        if group not in table.thresholds:
            raise NotScored(f"《国家学生体质健康标准》不对 {grade} 年级{gender}生评定{table.name}")
        return table

    def weights_of(self, grade: int, gender: str) -> Mapping[str, int]:
        """The items (with "bmi") the group is scored on, and their weights in percent."""
        return self.weights[check_group(grade, gender)]


def check_group(grade: int, gender: str) -> Group:
    """(grade, gender) if the standard has that group (grades 1–12, 男/女); NotScored else."""
    if grade not in GRADES or gender not in GENDERS:
        raise NotScored(f"《国家学生体质健康标准》没有 {grade!r} 年级、性别 {gender!r} 的评分")
    return grade, gender


@cache
def standard() -> Standard:
    """The tables, read from the package's data files once; ValueError if a file breaks the
    shape the scorer relies on (a transcription error must fail here, not score wrongly)."""
    single, bmi, weights, bonus = (
        _load(name) for name in ("single-items", "bmi", "weights", "bonus")
    )
    levels = tuple(int(level) for level in single["levels"])
    if levels != (100, 95, 90, 85, 80, 78, 76, 74, 72, 70, 68, 66, 64, 62, 60, 50, 40, 30, 20, 10):
        raise ValueError(f"unexpected score levels {levels}")
    items = {key: _item(key, body, len(levels)) for key, body in single["items"].items()}
    bands = {
        (int(grade), gender): _bands(grade, gender, body)
        for grade, by_gender in bmi["bands"].items()
        for gender, body in by_gender.items()
    }
    by_group = _weights(weights["bands"], items)
    bonus_tables = {key: _bonus(key, body, items) for key, body in bonus["items"].items()}
    groups = {(g, s) for g in GRADES for s in GENDERS}
    if set(bands) != groups or set(by_group) != groups:
        raise ValueError("BMI bands and weights must cover grades 1–12, 男 and 女")
    return Standard(
        levels=levels,
        items=items,
        bmi_bands=bands,
        bmi_scores={name: int(score) for name, score in bmi["scores"].items()},
        weights=by_group,
        bonus=bonus_tables,
        bonus_max=int(bonus["max_total"]),
        sources={
            "single-items": single["source"],
            "bmi": bmi["source"],
            "weights": weights["source"],
            "bonus": bonus["source"],
        },
    )


def _load(name: str) -> dict[str, Any]:
    resource = resources.files("shared.fitness") / "data" / f"{name}.json"
    data: dict[str, Any] = json.loads(resource.read_text(encoding="utf-8"))
    if "source" not in data:
        raise ValueError(f"data/{name}.json does not name its source")
    return data


def _item(key: str, body: Mapping[str, Any], count: int) -> ItemTable:
    better = Better(body["better"])
    thresholds: dict[Group, tuple[float | None, ...]] = {}
    for grade, by_gender in body["grades"].items():
        for gender, values in by_gender.items():
            group = check_group(int(grade), gender)
            row = tuple(None if v is None else float(v) for v in values)
            given = [v for v in row if v is not None]
            ordered = all(
                (a > b) if better is Better.HIGHER else (a < b) for a, b in pairwise(given)
            )
            if len(row) != count or row[0] is None or not ordered:
                raise ValueError(f"{key}, grade {grade} {gender}: levels out of order or missing")
            thresholds[group] = row
    return ItemTable(key, str(body["name"]), str(body["unit"]), better, thresholds)


def _bands(grade: str, gender: str, body: Mapping[str, Any]) -> BmiBands:
    bands = BmiBands(
        low_max=float(body["低体重"]["max"]),
        overweight_min=float(body["超重"]["min"]),
        obese_min=float(body["肥胖"]["min"]),
    )
    normal = body["正常"]
    contiguous = (
        round(normal["min"] - bands.low_max, 1) == 0.1
        and round(bands.overweight_min - normal["max"], 1) == 0.1
        and round(bands.obese_min - body["超重"]["max"], 1) == 0.1
    )
    if not contiguous:
        raise ValueError(f"BMI bands of grade {grade} {gender} leave a gap or overlap")
    return bands


def _weights(
    bands: list[Mapping[str, Any]], items: Mapping[str, ItemTable]
) -> dict[Group, Mapping[str, int]]:
    by_group: dict[Group, Mapping[str, int]] = {}
    for band in bands:
        for gender, weights in band["weights"].items():
            for grade in band["grades"]:
                group = check_group(int(grade), gender)
                chosen = {key: int(weight) for key, weight in weights.items()}
                scored = all(k == BMI or group in items[k].thresholds for k in chosen)
                if sum(chosen.values()) != 100 or BMI not in chosen or not scored:
                    raise ValueError(
                        f"weights of grade {grade} {gender} are not 100% of scored items"
                    )
                by_group[group] = chosen
    return by_group


def _bonus(key: str, body: Mapping[str, Any], items: Mapping[str, ItemTable]) -> BonusTable:
    groups = frozenset(check_group(int(g), s) for g in body["grades"] for s in body["genders"])
    if key not in items or not groups <= set(items[key].thresholds):
        raise ValueError(f"bonus for {key} names groups the item is not scored in")
    steps = tuple(sorted((int(s["points"]), float(s["beyond"])) for s in body["steps"]))
    if [p for p, _ in steps] != list(range(1, len(steps) + 1)) or sorted(b for _, b in steps) != [
        b for _, b in steps
    ]:
        raise ValueError(f"bonus steps of {key} are not 1, 2, 3 … points for growing results")
    return BonusTable(key, groups, steps)

"""Values derived from a template's accepted rows at import: for 体质健康测试, each student's
BMI, single-item scores, 附加分, 标准分, 学年总分 and 等级.

The one hook the pipeline calls, whatever the template (`derive`), and the one description of
what it adds (`derived_columns`), which the lake's schema reads: a template without a
derivation gets nothing. It works on whole Arrow columns (numpy over every row at once, one
lookup table per grade and gender), as validation does; `shared.fitness.scoring.assess` is the
same rules for one student, and the tests hold the two to the same results.

pyarrow and numpy are imported by the functions that need them: importing this module (as the
lake schema does) costs a Lambda nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Final, Literal

from shared.fitness.scoring import (
    FAIL,
    GRADE_FLOORS,
    HEIGHT,
    SCORE_SUFFIX,
    WEIGHT,
    derived_keys,
)
from shared.fitness.tables import BMI, EXEMPT, GENDERS, GRADES, Better, standard

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pyarrow as pa

FITNESS_TEMPLATE: Final = "fitness-test"
STATUS_SUFFIX: Final = "_status"  # as ingest names a column's status words


@dataclass(frozen=True, slots=True)
class DerivedColumn:
    """One value a template's rows get at import: its key, its lake type, its label."""

    key: str
    kind: Literal["double", "string"]
    header: str


def derived_columns(template_id: str) -> tuple[DerivedColumn, ...]:
    """What `derive` adds to rows of `template_id`, in order (nothing for most templates)."""
    return _fitness_columns() if template_id == FITNESS_TEMPLATE else ()


def derive(template_id: str, rows: pa.Table) -> pa.Table:
    """`rows` (the engine's accepted rows of `template_id`) with the derived columns appended,
    or replaced if already there; unchanged for a template without a derivation."""
    for key, array in derived_arrays(template_id, rows).items():
        if key in rows.column_names:
            rows = rows.set_column(rows.schema.get_field_index(key), key, array)
        else:
            rows = rows.append_column(key, array)
    return rows


def rederived(template_id: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The derived values of one record's values (a teacher's correction changed a result):
    `{}` for a template without a derivation, else every derived key with its new value, so
    that a corrected 1000米跑 moves its score, the total and the 等级 with it."""
    if template_id != FITNESS_TEMPLATE:
        return {}
    import pyarrow as pa

    derived = {c.key for c in _fitness_columns()}
    row = pa.table({k: pa.array([v]) for k, v in values.items() if k not in derived})
    found = {k: array[0].as_py() for k, array in derived_arrays(template_id, row).items()}
    # Not a number is no value (and DynamoDB stores none).
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in found.items()}


def derived_arrays(template_id: str, rows: pa.Table) -> dict[str, pa.Array]:
    """The derived columns of `rows`, by key (empty for a template without a derivation)."""
    return _fitness_arrays(rows) if template_id == FITNESS_TEMPLATE else {}


@cache
def _fitness_columns() -> tuple[DerivedColumn, ...]:
    tables = standard()
    columns = [
        DerivedColumn(BMI, "double", "体重指数（BMI，千克/米²，保留一位小数）"),
        DerivedColumn(BMI + SCORE_SUFFIX, "double", "体重指数单项得分"),
        *(
            DerivedColumn(key + SCORE_SUFFIX, "double", f"{table.name}单项得分")
            for key, table in tables.items.items()
        ),
        DerivedColumn("bonus_score", "double", "附加分"),
        DerivedColumn("standard_score", "double", "标准分（各单项得分 × 权重之和）"),
        DerivedColumn("total_score", "double", "学年总分（标准分 + 附加分）"),
        DerivedColumn("fitness_grade", "string", "等级：优秀、良好、及格、不及格（免测为空）"),
    ]
    assert tuple(c.key for c in columns) == derived_keys()
    return tuple(columns)


# ------------------------------------------------------------------ the tables as matrices


@dataclass(frozen=True, slots=True)
class _Bonus:
    applies: npt.NDArray[np.bool_]  # by group
    beyond: npt.NDArray[np.float64]  # ascending
    points: npt.NDArray[np.float64]  # of each step


@dataclass(frozen=True, slots=True)
class _Matrices:
    """The standard indexed by group ((grade − 1) × 2 + gender, 24 groups) for numpy."""

    levels: npt.NDArray[np.float64]
    keys: tuple[str, ...]  # "bmi", then the test items: the columns of `weights`
    weights: npt.NDArray[np.int64]  # group × key, 0 where the group is not scored on it
    thresholds: dict[str, npt.NDArray[np.float64]]  # item → group × level, NaN: none
    low_max: npt.NDArray[np.float64]
    overweight_min: npt.NDArray[np.float64]
    obese_min: npt.NDArray[np.float64]
    bonus: dict[str, _Bonus]
    bonus_max: int


def _group(grade: int, gender: str) -> int:
    return (grade - 1) * len(GENDERS) + GENDERS.index(gender)


@cache
def _matrices() -> _Matrices:
    import numpy as np

    tables = standard()
    count = len(GRADES) * len(GENDERS)
    keys = (BMI, *tables.items)
    weights = np.zeros((count, len(keys)), dtype=np.int64)
    low, over, obese = (np.zeros(count) for _ in range(3))
    for (grade, gender), chosen in tables.weights.items():
        g = _group(grade, gender)
        for key, weight in chosen.items():
            weights[g, keys.index(key)] = weight
        bands = tables.bmi_bands[grade, gender]
        low[g], over[g], obese[g] = bands.low_max, bands.overweight_min, bands.obese_min
    thresholds = {}
    for key, item in tables.items.items():
        matrix = np.full((count, len(tables.levels)), np.nan)
        for (grade, gender), row in item.thresholds.items():
            matrix[_group(grade, gender)] = [np.nan if t is None else t for t in row]
        thresholds[key] = matrix
    bonus = {}
    for key, table in tables.bonus.items():
        applies = np.zeros(count, dtype=bool)
        applies[[_group(grade, gender) for grade, gender in table.groups]] = True
        bonus[key] = _Bonus(
            applies=applies,
            beyond=np.array([step for _, step in table.steps]),
            points=np.array([float(points) for points, _ in table.steps]),
        )
    return _Matrices(
        levels=np.array(tables.levels, dtype=np.float64),
        keys=keys,
        weights=weights,
        thresholds=thresholds,
        low_max=low,
        overweight_min=over,
        obese_min=obese,
        bonus=bonus,
        bonus_max=tables.bonus_max,
    )


# ------------------------------------------------------------------------------ the rows


def _fitness_arrays(rows: pa.Table) -> dict[str, pa.Array]:
    """Every derived column of the fitness rows; `shared.fitness.scoring` says the rules."""
    import numpy as np
    import pyarrow as pa

    m = _matrices()
    n = rows.num_rows
    group, known = _groups(rows)
    g = np.where(known, group, 0)  # a safe index; unknown groups are masked out below
    scores: dict[str, npt.NDArray[np.float64]] = {}
    exempt = np.zeros(n, dtype=bool)  # rows exempted from an item they are scored on
    applies = m.weights[g] > 0
    applies &= known[:, None]

    # BMI, from height and weight, rounded half up to one decimal
    height, weight = _numbers(rows, HEIGHT), _numbers(rows, WEIGHT)
    measured = ~np.isnan(height) & ~np.isnan(weight) & (height > 0)
    metres = np.where(measured, height, 100.0) / 100
    bmi = np.where(measured, np.floor(weight / (metres * metres) * 10 + 0.5) / 10, np.nan)
    band_score = np.where(
        bmi <= m.low_max[g],
        80.0,
        np.where(bmi < m.overweight_min[g], 100.0, np.where(bmi < m.obese_min[g], 80.0, 60.0)),
    )
    scores[BMI], out = _scored(
        applies[:, 0], measured, band_score, _exempt(rows, HEIGHT) | _exempt(rows, WEIGHT)
    )
    exempt |= out

    # The test items: the highest level whose standard the result meets, a group at a time
    order = np.argsort(g, kind="stable")
    bounds = np.searchsorted(g[order], np.arange(len(m.weights) + 1))
    members = [order[bounds[k] : bounds[k + 1]] for k in range(len(m.weights))]
    results = {}
    for k, key in enumerate(m.keys[1:], start=1):
        value = results[key] = _numbers(rows, key)
        higher = standard().items[key].better is Better.HIGHER
        level = np.zeros(n)
        for index, rows_of in enumerate(members):
            if len(rows_of) and m.weights[index, k]:
                level[rows_of] = _levels(m.levels, m.thresholds[key][index], value[rows_of], higher)
        scores[key], out = _scored(applies[:, k], ~np.isnan(value), level, _exempt(rows, key))
        exempt |= out

    # 附加分: beyond the 100-point standard, the points of the highest step reached
    bonus = np.zeros(n)
    for key, table in m.bonus.items():
        best = m.thresholds[key][g, 0]
        higher = standard().items[key].better is Better.HIGHER
        beyond = results[key] - best if higher else best - results[key]
        earns = table.applies[g] & known & (scores[key] == 100.0) & ~np.isnan(beyond)
        steps = np.searchsorted(table.beyond, np.where(earns, beyond, -1.0), side="right")
        bonus += np.where(earns & (steps > 0), table.points[np.maximum(steps - 1, 0)], 0.0)
    bonus = np.minimum(bonus, m.bonus_max)

    # 标准分 in hundredths (score × percent) so that rounding to one decimal is exact
    weighted = sum(
        np.where(applies[:, k], np.nan_to_num(scores[key]), 0.0) * m.weights[g, k]
        for k, key in enumerate(m.keys)
    )
    graded = known & ~exempt
    standard_tenths = np.floor((weighted + 5) / 10)
    total_tenths = standard_tenths + bonus * 10
    grade = np.full(n, None, dtype=object)
    remaining = graded.copy()
    for floor, name in GRADE_FLOORS:
        hit = remaining & (total_tenths >= floor)
        grade[hit] = name
        remaining &= ~hit
    grade[remaining] = FAIL

    def doubles(values: npt.NDArray[np.float64], where: Any = True) -> pa.Array:
        return pa.array(np.where(where, values, np.nan), type=pa.float64(), from_pandas=True)

    arrays = {BMI: doubles(bmi)}
    arrays |= {key + SCORE_SUFFIX: doubles(scores[key]) for key in m.keys}
    arrays["bonus_score"] = doubles(bonus, graded)
    arrays["standard_score"] = doubles(standard_tenths / 10, graded)
    arrays["total_score"] = doubles(total_tenths / 10, graded)
    arrays["fitness_grade"] = pa.array(grade.tolist(), type=pa.string())
    return arrays


def _levels(
    levels: npt.NDArray[np.float64],
    standards: npt.NDArray[np.float64],
    values: npt.NDArray[np.float64],
    higher: bool,
) -> npt.NDArray[np.float64]:
    """Each result's level by one group's standards (NaN: a blank level; results NaN give
    nonsense, masked by the caller). Standards fall level by level for counts and rise for
    times, so the level is found by binary search."""
    import numpy as np

    given = ~np.isnan(standards)
    levels, standards = levels[given], standards[given]
    if higher:  # met where value ≥ standard; ascending standards for the search
        met = np.searchsorted(standards[::-1], values, side="right")
        return np.where(met > 0, levels[::-1][np.maximum(met - 1, 0)], 0.0)
    first = np.searchsorted(standards, values, side="left")  # the first standard ≥ value
    return np.where(first < len(levels), levels[np.minimum(first, len(levels) - 1)], 0.0)


def _scored(
    applies: npt.NDArray[np.bool_],
    present: npt.NDArray[np.bool_],
    score: npt.NDArray[np.float64],
    marked_exempt: npt.NDArray[np.bool_],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """An item's scores (its level where measured, 0 where missing, NaN where the group is not
    scored on it or the student was exempted) and the rows exempted from it."""
    import numpy as np

    exempt = applies & ~present & marked_exempt
    scored = np.where(present, score, np.where(exempt, np.nan, 0.0))
    return np.where(applies, scored, np.nan), exempt


def _groups(rows: pa.Table) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Each row's group index, and whether the standard has that grade and gender."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    grade = np.asarray(
        rows.column("grade").cast(pa.int64()).fill_null(0).to_numpy(), dtype=np.int64
    )
    gender = rows.column("gender")
    boy = np.asarray(pc.fill_null(pc.equal(gender, GENDERS[0]), False).to_numpy(), dtype=bool)
    girl = np.asarray(pc.fill_null(pc.equal(gender, GENDERS[1]), False).to_numpy(), dtype=bool)
    known = (grade >= GRADES[0]) & (grade <= GRADES[-1]) & (boy | girl)
    return (grade - 1) * len(GENDERS) + np.where(girl, 1, 0), known


def _numbers(rows: pa.Table, key: str) -> npt.NDArray[np.float64]:
    """A numeric column as float64, NaN where empty (all NaN if the rows lack it)."""
    import numpy as np
    import pyarrow as pa

    if key not in rows.column_names:
        return np.full(rows.num_rows, np.nan)
    column = rows.column(key).cast(pa.float64()).fill_null(np.nan)
    return np.asarray(column.to_numpy(), dtype=np.float64)


def _exempt(rows: pa.Table, key: str) -> npt.NDArray[np.bool_]:
    """Rows whose `key` was marked 免测 instead of a result."""
    import numpy as np
    import pyarrow.compute as pc

    name = key + STATUS_SUFFIX
    if name not in rows.column_names:
        return np.zeros(rows.num_rows, dtype=bool)
    marked = pc.fill_null(pc.equal(rows.column(name).cast("string"), EXEMPT), False)
    return np.asarray(marked.to_numpy(), dtype=bool)

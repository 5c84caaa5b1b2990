"""Every statistic of a district at once: the full recompute a redeploy or a backfill runs.

The statistics function keeps figures current one class at a time (`service.py`). When they
must be rebuilt from scratch — a new deployment, a changed definition, a backfill after an
outage — recomputing each class that way costs a district-year ~440,000 class recomputes. This
module computes the same figures for the whole district from one Arrow table of its current
values, vectorised (numpy sorts, run lengths and bincounts; no loop per group), and writes
nothing: the caller turns the result into items (`class_statistics`, `roll_ups`, and
`service.insights_of` of each class statistic) and writes them.

The input has one row per student and statistic (`COLUMNS`): the statistic's parts
(template_id, term, assessment, metric), where the student was (school_id, class_id, grade),
student_id, and `value` (float64, null when there is none), `status` (缺考, 免考 … standing where
a value would) and optionally `full_marks` (float64; the metric's own when null or absent).
String columns may be dictionary-encoded (as Parquet reads them with `read_dictionary`). A row
with neither a finite value nor a status adds nothing, as in `entries_by_statistic`; should two
rows name the same student in the same class and statistic, the later one counts.

What it gives is what the per-class path gives (tests/test_statistics_batch.py checks each
against `service.class_statistic` and `Distribution.merge`):

- each class's distribution, summary, full marks, and every student's value or status and
  class percentile (mid-rank, ties equal: `ranks.percentile_ranks`);
- each school's grade and the district's grade: the merged distribution and its summary, full
  marks chosen from the parts as `Statistics.roll_up` chooses them.

Every figure is identical — counts, quantiles, extremes, histograms, rates, percentiles, the
digest — except that the mean and standard deviation are summed per distinct value rather than
in numpy's pairwise order, so they may differ from the per-class path's in the last bits (the
tests allow 1e-12 relative). On half-point scores every partial sum is exact, so the mean is
identical too.

Cost (benchmarks/bench_statistics.py, docs/statistics.md): a district-year of 17.5 M rows in
~14 s and under 3 GB on one core, the input table included.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from shared.statistics.distribution import Distribution
from shared.statistics.model import ClassStatistic, RollUp, StatKey
from shared.statistics.plans import PLANS, Metric, Plan
from shared.statistics.summary import Histogram, Summary

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Codes = npt.NDArray[np.int32]

STAT_PARTS: Final = ("template_id", "term", "assessment", "metric")
COLUMNS: Final = (
    *STAT_PARTS,
    "school_id",
    "class_id",
    "grade",
    "student_id",
    "value",
    "status",
    "full_marks",
)
_STRINGS: Final = (*STAT_PARTS, "school_id", "class_id", "student_id", "status")
_BINS: Final = 10  # as `Distribution.summary` bins
_QUARTILES: Final = (0.25, 0.5, 0.75)


# ------------------------------------------------------------------------------ the result


@dataclass(frozen=True, slots=True, eq=False)
class Figures:
    """Each group's summary figures, one array entry per group (NaN where the summary has
    None: an empty group, or the standard deviation of one value)."""

    count: Ints
    mean: Floats
    median: Floats
    q1: Floats
    q3: Floats
    min: Floats
    max: Floats
    std: Floats
    histogram: Ints  # (groups, bins)
    out_of_range: Ints
    pass_count: Ints
    excellent_count: Ints
    good_count: Ints  # 0 where the metric has no 良好 band


@dataclass(frozen=True, slots=True, eq=False)
class Level:
    """The groups of one level — classes, schools' grades or the district's grades — of every
    statistic, each with its distribution: group g's distinct values are
    `universe[codes[starts[g]:starts[g + 1]]]` (ascending), `counts[…]` students each."""

    stat: Ints  # index into DistrictStatistics.stats
    grade: Ints
    school: Ints  # index into DistrictStatistics.schools; -1 for the district's grades
    klass: Ints  # index into DistrictStatistics.classes; -1 above classes
    full_marks: Floats
    starts: Ints
    codes: Codes  # into universe
    counts: Ints
    universe: Floats  # every distinct value of the district, ascending
    figures: Figures

    @property
    def size(self) -> int:
        return int(self.stat.size)

    def distribution(self, group: int) -> Distribution:
        part = slice(self.starts[group], self.starts[group + 1])
        values, counts = self.universe[self.codes[part]], self.counts[part]
        return Distribution(tuple(values.tolist()), tuple(counts.tolist()))

    def find(
        self,
        stat: int,
        *,
        grade: int | None = None,
        school: int | None = None,
        klass: int | None = None,
    ) -> Ints:
        """The groups of a statistic (codes) in a grade, school or class, ascending."""
        found = self.stat == stat
        for codes, wanted in ((self.grade, grade), (self.school, school), (self.klass, klass)):
            if wanted is not None:
                found &= codes == wanted
        return np.flatnonzero(found)


@dataclass(frozen=True, slots=True, eq=False)
class DistrictStatistics:
    """Every statistic of a district: classes, schools' grades and the district's grades, and
    each counted row's class percentile. Objects for storage are made on request
    (`class_statistic`, `roll_up`, or all of them), figures straight from the arrays."""

    stats: list[StatKey]
    metrics: list[Metric]
    schools: list[str]
    classes: list[str]
    students: list[str]
    statuses: list[str]
    classes_level: Level
    schools_level: Level
    district_level: Level
    rows: ClassRows

    # ---------------------------------------------------------------------------- lookups

    def class_statistic(self, stat: StatKey, class_id: str, now: datetime) -> ClassStatistic:
        """The class's statistic as `service.class_statistic` makes it; KeyError if the class
        has no row of it."""
        found = self.classes_level.find(self._stat_code(stat), klass=_code(self.classes, class_id))
        if not found.size:
            raise KeyError((stat, class_id))
        return self.class_statistic_at(int(found[0]), now)

    def roll_up(
        self, stat: StatKey, grade: int, school_id: str | None, *, epoch: int, now: datetime
    ) -> RollUp:
        """A school's grade (school_id) or the district's (None) as `Statistics.roll_up`
        merges it; KeyError if it has no class."""
        if school_id is None:
            level, school = self.district_level, -1
        else:
            level, school = self.schools_level, _code(self.schools, school_id)
        found = level.find(self._stat_code(stat), grade=grade, school=school)
        if not found.size:
            raise KeyError((stat, grade, school_id))
        return self.roll_up_at(level, int(found[0]), epoch=epoch, now=now)

    def class_statistics(self, now: datetime) -> Iterator[ClassStatistic]:
        for group in range(self.classes_level.size):
            yield self.class_statistic_at(group, now)

    def roll_ups(self, *, epoch: int, now: datetime) -> Iterator[RollUp]:
        """Every school's grade, then every district grade."""
        for level in (self.schools_level, self.district_level):
            for group in range(level.size):
                yield self.roll_up_at(level, group, epoch=epoch, now=now)

    def percentiles(self) -> pa.Table:
        """Every counted row with its class percentile (NaN for a status), grouped by class
        and statistic: stat (index into `stats`), school_id, class_id, grade, student_id,
        value, status, class_percentile. Strings are dictionary-encoded."""
        level, rows = self.classes_level, self.rows
        group = np.repeat(np.arange(level.size), np.diff(rows.starts))
        return pa.table(
            {
                "stat": pa.array(level.stat[group], pa.int32()),
                "school_id": _dictionary(level.school[group], self.schools),
                "class_id": _dictionary(level.klass[group], self.classes),
                "grade": pa.array(level.grade[group], pa.int8()),
                "student_id": _dictionary(rows.student, self.students),
                "value": pa.array(rows.values(), from_pandas=True),
                "status": _dictionary(np.maximum(rows.status, 0), self.statuses, rows.status < 0),
                "class_percentile": pa.array(rows.percentile, from_pandas=True),
            }
        )

    def _stat_code(self, stat: StatKey) -> int:
        return _code(self.stats, stat)

    def class_statistic_at(self, group: int, now: datetime) -> ClassStatistic:
        """The class statistic of `classes_level`'s group."""
        level, rows = self.classes_level, self.rows
        part = slice(rows.starts[group], rows.starts[group + 1])
        values: dict[str, float] = {}
        statuses: dict[str, str] = {}
        percentiles: dict[str, float] = {}
        for code, value, status, rank in zip(
            rows.student[part].tolist(),
            rows.values(part).tolist(),
            rows.status[part].tolist(),
            rows.percentile[part].tolist(),
            strict=True,
        ):
            student = self.students[code]
            if status >= 0:
                statuses[student] = self.statuses[status]
            else:
                values[student] = value
                percentiles[student] = rank
        full_marks = float(level.full_marks[group])
        return ClassStatistic(
            stat=self.stats[level.stat[group]],
            school_id=self.schools[level.school[group]],
            class_id=self.classes[level.klass[group]],
            grade=int(level.grade[group]),
            full_marks=full_marks,
            values=dict(sorted(values.items())),
            statuses=dict(sorted(statuses.items())),
            percentiles=dict(sorted(percentiles.items())),
            distribution=level.distribution(group),
            summary=self._summary(level, group),
            digest=_digest(values, statuses, full_marks),
            computed_at=now,
        )

    def roll_up_at(self, level: Level, group: int, *, epoch: int, now: datetime) -> RollUp:
        """The roll-up of `schools_level`'s or `district_level`'s group."""
        school = int(level.school[group])
        return RollUp(
            stat=self.stats[level.stat[group]],
            grade=int(level.grade[group]),
            school_id=None if school < 0 else self.schools[school],
            full_marks=float(level.full_marks[group]),
            distribution=level.distribution(group),
            summary=self._summary(level, group),
            epoch=epoch,
            computed_at=now,
        )

    def _summary(self, level: Level, group: int) -> Summary:
        f = level.figures
        metric = self.metrics[level.stat[group]]
        full_marks = float(level.full_marks[group])
        count = int(f.count[group])
        base = {
            "count": count,
            "missing": 0,  # a distribution holds values only
            "full_marks": full_marks,
            "pass_share": metric.pass_share,
            "excellent_share": metric.excellent_share,
            "good_share": metric.good_share,
            "histogram": Histogram(
                edges=tuple(float(e) for e in _edges(full_marks)),
                counts=tuple(int(c) for c in f.histogram[group]),
                out_of_range=int(f.out_of_range[group]),
            ),
        }
        if count == 0:
            return Summary.model_validate(base)
        return Summary.model_validate(
            base
            | {
                "mean": float(f.mean[group]),
                "median": float(f.median[group]),
                "q1": float(f.q1[group]),
                "q3": float(f.q3[group]),
                "min": float(f.min[group]),
                "max": float(f.max[group]),
                "std": float(f.std[group]) if count >= 2 else None,
                "pass_count": int(f.pass_count[group]),
                "excellent_count": int(f.excellent_count[group]),
                "good_count": int(f.good_count[group]),
            }
        )


def _code(names: Sequence[object], name: object) -> int:
    try:
        return names.index(name)
    except ValueError:
        raise KeyError(name) from None


def _dictionary(
    codes: npt.NDArray[np.integer[Any]],
    names: Sequence[str],
    mask: npt.NDArray[np.bool_] | None = None,
) -> pa.DictionaryArray:
    indices = pa.array(codes.astype(np.int32), mask=mask)
    return pa.DictionaryArray.from_arrays(indices, pa.array(names, pa.string()))


def _digest(values: Mapping[str, float], statuses: Mapping[str, str], full_marks: float) -> str:
    # The digest `service.class_statistic` keeps in the class's index (an unchanged class is
    # then not rewritten after a backfill); the tests hold the two equal.
    source = json.dumps(
        {"values": values, "statuses": statuses, "full_marks": full_marks}, sort_keys=True
    )
    return hashlib.sha256(source.encode()).hexdigest()[:32]


def _edges(full_marks: float) -> Floats:
    # As `summary.histogram` publishes them: full_marks·i/bins, one rounding each.
    return np.array([full_marks * i / _BINS for i in range(_BINS + 1)], dtype=np.float64)


# ----------------------------------------------------------------------- the computation
#
# How: every string becomes an integer code (dictionary indices), every value a code into the
# district's distinct values. A class group is a (statistic, class) pair. One sort of the rows
# by (group, value) — numpy sorts integers with vector instructions but argsorts them ~25×
# slower, so the codes and the row's position are packed into one int64 and sorted — gives each
# class's distribution as the runs of equal codes and each row's mid-rank from its run's start
# and length. A school's grade sorts its classes' runs by (group, value) and sums equal ones;
# the district's grade the same over its schools'. Every summary figure then comes from the
# runs by segment sums (`np.add.reduceat`) and binary searches of the cumulative counts.


def recompute(table: pa.Table, plans: Mapping[str, Plan] = PLANS) -> DistrictStatistics:
    """Every class's, school grade's and district grade's statistics from the district's
    current values (the module's docstring says what the table holds). Pure: no storage."""
    rows = _Rows.read(table)
    stats, metrics = _statistics(rows, plans)
    names = rows.names
    arranged = _arrange(rows, metrics)
    del rows  # each step lets go of the last one's rows: a few hundred MB each
    classes, class_rows = _classes(arranged, metrics)
    del arranged
    schools = _roll_up(classes, metrics, district=False)
    district = _roll_up(schools, metrics, district=True)
    return DistrictStatistics(
        stats=stats,
        metrics=metrics,
        schools=names["school_id"],
        classes=names["class_id"],
        students=names["student_id"],
        statuses=names["status"],
        classes_level=classes,
        schools_level=schools,
        district_level=district,
        rows=class_rows,
    )


@dataclass(slots=True)
class _Rows:
    """The rows that count (a value or a status), as codes: into each string column's names
    (`names`), the statistic (`stat_parts` its parts' codes), the value into `universe`
    (len(universe): none), the status (-1: none; read only where there is no value) and the
    full marks into `marks` (-1: none named)."""

    names: dict[str, list[str]]
    stat_parts: Ints  # (statistics, 4)
    universe: Floats
    marks: Floats
    stat: Codes
    klass: Codes
    school: Codes
    student: Codes
    grade: npt.NDArray[np.int8]
    value: Codes
    status: Codes
    mark: Codes

    @classmethod
    def read(cls, table: pa.Table) -> _Rows:
        missing = [c for c in COLUMNS if c not in table.column_names and c != "full_marks"]
        if missing:
            raise ValueError(f"the table lacks the columns {missing}")
        names, codes = {}, {}
        for column in _STRINGS:
            names[column], codes[column] = _encode(table.column(column))
            if column != "status" and (codes[column] < 0).any():
                raise ValueError(f"{column} has nulls")
        stat, stat_parts = _combine([(codes.pop(c), len(names[c])) for c in STAT_PARTS])
        universe, value = _value_codes(table.column("value"))
        if "full_marks" in table.column_names:
            marks, mark = _value_codes(table.column("full_marks"))
        else:
            marks, mark = np.empty(0), np.zeros(table.num_rows, np.int32)
        mark[mark == marks.size] = -1
        grade = table.column("grade")
        if grade.null_count:
            raise ValueError("grade has nulls")
        # An empty status is no status (plans.status); a row's status is read only when it
        # has no value (a value wins).
        status = codes["status"]
        if "" in names["status"]:
            status[status == names["status"].index("")] = -1
        rows = cls(
            names=names,
            stat_parts=stat_parts,
            universe=universe,
            marks=marks,
            stat=stat,
            klass=codes["class_id"],
            school=codes["school_id"],
            student=codes["student_id"],
            grade=np.asarray(grade.to_numpy(), dtype=np.int8),
            value=value,
            status=status,
            mark=mark,
        )
        counted = (value < universe.size) | (status >= 0)
        return rows if counted.all() else rows.take(np.flatnonzero(counted))

    def take(self, positions: Ints) -> _Rows:
        columns = ("stat", "klass", "school", "student", "grade", "value", "status", "mark")
        return replace(self, **{c: getattr(self, c)[positions] for c in columns})


def _encode(column: pa.ChunkedArray) -> tuple[list[str], Codes]:
    """A string column's distinct names and each row's code into them (-1: null)."""
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)
    column = column.unify_dictionaries()
    if column.num_chunks == 0:
        return [], np.empty(0, np.int32)
    names = [str(s) for s in column.chunk(0).dictionary.to_pylist()]
    parts = []
    for chunk in column.chunks:
        indices = chunk.indices if not chunk.indices.null_count else pc.fill_null(chunk.indices, -1)
        parts.append(indices.to_numpy(zero_copy_only=False))
    return names, np.concatenate(parts).astype(np.int32, copy=False)  # one writable copy


def _value_codes(column: pa.ChunkedArray) -> tuple[Floats, Codes]:
    """A numeric column's distinct finite values (ascending) and each row's code into them
    (len(values) for a null or a non-finite value). Arrow hashes them: no sort of the rows."""
    floats = pc.add(column.cast(pa.float64()), 0.0)  # -0.0 is 0.0, as np.unique has it
    distinct = np.asarray(pc.unique(floats).drop_null().to_numpy(), dtype=np.float64)
    distinct = np.sort(distinct[np.isfinite(distinct)])
    codes = pc.index_in(floats, value_set=pa.array(distinct))
    codes = pc.fill_null(codes, distinct.size).cast(pa.int32())
    return distinct, np.array(codes.to_numpy(), dtype=np.int32)


def _statistics(rows: _Rows, plans: Mapping[str, Plan]) -> tuple[list[StatKey], list[Metric]]:
    stats, metrics = [], []
    for parts in rows.stat_parts.tolist():
        stat = StatKey(*(rows.names[c][p] for c, p in zip(STAT_PARTS, parts, strict=True)))
        plan = plans.get(stat.template_id)
        metric = None if plan is None else plan.metric(stat.metric)
        if metric is None:
            raise ValueError(f"no plan measures {stat.template_id} {stat.metric}")
        stats.append(stat)
        metrics.append(metric)
    return stats, metrics


# --------------------------------------------------------------------------------- classes


@dataclass(frozen=True, slots=True, eq=False)
class ClassRows:
    """The rows that count, grouped by class group (group g's are [starts[g], starts[g + 1]))
    and ascending by value within it, statuses last: the student, the value's code into
    `universe` (len(universe) for a status), the status (-1: none; else an index into
    `DistrictStatistics.statuses`) and the class percentile (NaN for a status)."""

    starts: Ints
    student: Codes
    value: Codes
    status: Codes
    percentile: Floats
    universe: Floats

    def values(self, part: slice = slice(None)) -> Floats:
        """The values (NaN for a status)."""
        return np.append(self.universe, np.nan)[self.value[part]]


@dataclass(frozen=True, slots=True, eq=False)
class _Arranged:
    """The counted rows grouped by class group (a statistic × a class) and ascending by value
    within each, statuses last (value code len(universe)); and each group's statistic, class,
    school, grade and full marks."""

    stat: Ints
    klass: Ints
    school: Ints
    grade: Ints
    full_marks: Floats
    group: Codes
    value: Codes
    student: Codes
    status: Codes
    universe: Floats


def _arrange(rows: _Rows, metrics: Sequence[Metric]) -> _Arranged:
    n_classes, none = len(rows.names["class_id"]), rows.universe.size
    key = rows.stat.astype(np.int64)
    key *= n_classes
    key += rows.klass
    group, group_keys = _dense(key, len(metrics) * n_classes)
    del key
    n_groups = group_keys.size
    stat = group_keys // n_classes
    latest = _latest(group, rows.student, len(rows.names["student_id"]))
    if latest is not None:
        rows, group = rows.take(latest), group[latest]
    # Each group's school and grade: any of its rows', the same in all of them.
    any_row = np.zeros(n_groups, dtype=np.int64)
    any_row[group] = np.arange(group.size)
    school, grade = rows.school[any_row].astype(np.int64), rows.grade[any_row].astype(np.int64)
    if (rows.school != school[group]).any() or (rows.grade != grade[group]).any():
        raise ValueError("a class is in one school and one grade")
    default = np.array([m.full_marks for m in metrics], dtype=np.float64)[stat]
    full_marks = _usual(group, rows.mark, rows.marks, None, n_groups, default)
    (group_of_row, value), position = _sorted([(group, n_groups), (rows.value, none + 1)])
    del group
    valued = value < none
    status = np.full(value.size, -1, dtype=np.int32)
    status[~valued] = rows.status[position[~valued]]
    return _Arranged(
        stat=stat,
        klass=group_keys % n_classes,
        school=school,
        grade=grade,
        full_marks=full_marks,
        group=group_of_row.astype(np.int32),
        value=value.astype(np.int32),
        student=rows.student[position],
        status=status,
        universe=rows.universe,
    )


def _classes(rows: _Arranged, metrics: Sequence[Metric]) -> tuple[Level, ClassRows]:
    """Class groups' distributions and figures, and each counted row's class percentile."""
    group, value, none = rows.group, rows.value, rows.universe.size
    n_groups = rows.stat.size
    valued = value < none
    row_starts = _starts(group, n_groups)
    # Runs of one value in one group: the distinct values of the classes' distributions.
    boundary = np.ones(value.size, dtype=bool)
    boundary[1:] = (group[1:] != group[:-1]) | (value[1:] != value[:-1])
    run_start = np.flatnonzero(boundary).astype(np.int32)
    del boundary
    run_length = np.diff(run_start, append=np.int32(value.size))
    counted = valued[run_start]
    runs = run_start[counted]
    level = _level(
        rows.stat,
        rows.grade,
        rows.school,
        rows.klass,
        rows.full_marks,
        _starts(group[runs], n_groups),
        value[runs],
        run_length[counted],
        rows.universe,
        metrics,
    )
    del runs, counted

    # Each valued row's mid-rank percentile in its class: (2·below + equal)·50 / n, `below`
    # counted from the other end for a metric where lower is better.
    equal = np.repeat(run_length, run_length)
    below = np.repeat(run_start, run_length)
    del run_start, run_length
    below -= row_starts[group].astype(np.int32)
    count = level.figures.count[group].astype(np.int32)
    lower_is_better = np.array([not m.higher_is_better for m in metrics], dtype=bool)
    flip = lower_is_better[rows.stat][group]
    below[flip] = count[flip] - below[flip] - equal[flip]
    below *= 2
    below += equal
    del equal, flip
    with np.errstate(divide="ignore", invalid="ignore"):
        percentile = below * 50.0 / count
    percentile[~valued] = np.nan
    return level, ClassRows(
        starts=row_starts,
        student=rows.student,
        value=value,
        status=rows.status,
        percentile=percentile,
        universe=rows.universe,
    )


def _latest(group: Ints, student: Codes, n_students: int) -> Ints | None:
    """Of rows naming the same student in the same class group, the positions of the later
    ones — None when no student is named twice (the usual case, checked with one sort)."""
    width = max(int(n_students - 1).bit_length(), 1)
    key = group << width
    key |= student
    key.sort()
    if not (key[1:] == key[:-1]).any():
        return None
    ((key,), order) = _sorted([((group << width) | student, (int(group.max()) + 1) << width)])
    last = np.ones(key.size, dtype=bool)
    last[:-1] = key[1:] != key[:-1]
    return np.sort(order[last])


# --------------------------------------------------------------------------------- roll-ups


def _roll_up(parts: Level, metrics: Sequence[Metric], *, district: bool) -> Level:
    """Schools' grades from their classes (or the district's grades from its schools): the
    counts of each distinct value summed over the parts."""
    n_schools = int(parts.school.max()) + 1 if parts.size else 1
    n_grades = int(parts.grade.max()) + 1 if parts.size else 1
    key = parts.stat * n_grades + parts.grade
    if not district:
        key = key * n_schools + parts.school
    size = len(metrics) * n_grades * (1 if district else n_schools)
    parent_of_part, parent_keys = _dense(key, size)
    n_parents = parent_keys.size
    # The parts' runs ordered by (parent, value); equal neighbours summed.
    parent_of_run = np.repeat(parent_of_part, np.diff(parts.starts))
    universe = parts.universe
    (parent, value), position = _sorted([(parent_of_run, n_parents), (parts.codes, universe.size)])
    del parent_of_run
    counts = parts.counts[position]
    del position
    boundary = np.ones(parent.size, dtype=bool)
    boundary[1:] = (parent[1:] != parent[:-1]) | (value[1:] != value[:-1])
    run_start = np.flatnonzero(boundary)
    merged = np.add.reduceat(counts, run_start) if run_start.size else counts

    any_part = np.zeros(n_parents, dtype=np.int64)
    any_part[parent_of_part] = np.arange(parts.size)  # they share these
    stat, grade = parts.stat[any_part], parts.grade[any_part]
    school = np.full(n_parents, -1, np.int64) if district else parts.school[any_part]
    # The full marks most counted values are out of, over the parts' own (Statistics.roll_up).
    marks, mark = np.unique(parts.full_marks, return_inverse=True)
    full_marks = _usual(parent_of_part, mark, marks, parts.figures.count, n_parents, None)
    return _level(
        stat,
        grade,
        school,
        np.full(n_parents, -1, np.int64),
        full_marks,
        _starts(parent[run_start], n_parents),
        value[run_start].astype(np.int32),
        merged,
        universe,
        metrics,
    )


def _usual(
    group: Ints,
    mark: npt.NDArray[np.integer[Any]],
    marks: Floats,
    weight: Ints | None,
    n_groups: int,
    default: Floats | None,
) -> Floats:
    """Per group, the full marks of the highest total weight (each naming weighs 1 without
    `weight`; ties: the higher marks), as service._usual chooses; `mark` codes into `marks`
    (ascending), -1 for none. A group with no marks takes `default`; marks named with weight 0
    (a part with statuses only) still count, as in a Counter."""
    named = mark >= 0
    cells = group[named] * marks.size + mark[named]
    size = n_groups * marks.size
    named_times = np.bincount(cells, minlength=size)
    present = named_times > 0
    totals = (
        named_times if weight is None else np.bincount(cells, weights=weight[named], minlength=size)
    )
    score = np.where(present, totals, -1.0).reshape(n_groups, marks.size)
    chosen = np.full(n_groups, np.nan)
    if marks.size:
        # argmax takes the first of equal scores: look from the highest marks down.
        best = marks.size - 1 - np.argmax(score[:, ::-1], axis=1)
        chosen = np.where(score.max(axis=1) >= 0, marks[best], np.nan)
    if default is not None:
        chosen = np.where(np.isnan(chosen), default, chosen)
    if not (np.isfinite(chosen) & (chosen > 0)).all():
        raise ValueError("full marks must be positive numbers")
    return chosen


# ---------------------------------------------------------------------------------- figures


def _level(
    stat: Ints,
    grade: Ints,
    school: Ints,
    klass: Ints,
    full_marks: Floats,
    starts: Ints,
    codes: Codes,
    counts: Ints,
    universe: Floats,
    metrics: Sequence[Metric],
) -> Level:
    counts = counts.astype(np.int64)
    return Level(
        stat=stat.astype(np.int64),
        grade=grade.astype(np.int64),
        school=school.astype(np.int64),
        klass=klass.astype(np.int64),
        full_marks=full_marks,
        starts=starts,
        codes=codes,
        counts=counts,
        universe=universe,
        figures=_figures(starts, universe, codes, counts, full_marks, stat, metrics),
    )


_CHUNK: Final = 1 << 20  # distinct values summarised at once: bounds the temporaries


def _figures(
    starts: Ints,
    universe: Floats,
    codes: Codes,
    counts: Ints,
    full_marks: Floats,
    stat: Ints,
    metrics: Sequence[Metric],
) -> Figures:
    """`summary.summarize` of every group's distribution (group g of statistic stat[g]; its
    distinct values universe[codes[starts[g]:starts[g + 1]]]), a chunk of groups at a time."""
    n_groups = starts.size - 1
    parts = []
    first = 0
    while first < n_groups:
        end = int(np.searchsorted(starts, starts[first] + _CHUNK, side="right")) - 1
        end = min(max(end, first + 1), n_groups)
        runs = slice(starts[first], starts[end])
        parts.append(
            _chunk_figures(
                starts[first : end + 1] - starts[first],
                universe[codes[runs]],
                codes[runs],
                counts[runs],
                full_marks[first:end],
                stat[first:end],
                universe,
                metrics,
            )
        )
        first = end
    if not parts:
        parts.append(
            _chunk_figures(
                starts, universe[codes], codes, counts, full_marks, stat, universe, metrics
            )
        )
    return Figures(
        **{
            name: np.concatenate([getattr(p, name) for p in parts])
            for name in Figures.__dataclass_fields__
        }
    )


def _chunk_figures(
    starts: Ints,
    values: Floats,
    codes: Codes,
    counts: Ints,
    full_marks: Floats,
    stat: Ints,
    universe: Floats,
    metrics: Sequence[Metric],
) -> Figures:
    n_groups = starts.size - 1
    cumulative = np.concatenate([[0], np.cumsum(counts)])
    count = cumulative[starts[1:]] - cumulative[starts[:-1]]
    some = count > 0
    group = np.repeat(np.arange(n_groups), np.diff(starts))

    def per_group(weights: npt.NDArray[Any]) -> Floats:
        """Each group's sum of the runs' weights."""
        sums = np.zeros(n_groups)
        if weights.size:
            sums[some] = np.add.reduceat(weights, starts[:-1][some])
        return sums

    def order_statistic(k: Ints) -> Floats:
        """The k-th smallest value (0-based) of each group with values."""
        at = np.searchsorted(cumulative, cumulative[starts[:-1]][some] + k[some], side="right")
        found = np.full(n_groups, np.nan)
        found[some] = values[at - 1]
        return found

    with np.errstate(divide="ignore", invalid="ignore"):
        mean = per_group(values * counts) / count
        deviation = values - mean[group]
        deviation *= deviation
        deviation *= counts
        std = np.sqrt(per_group(deviation) / (count - 1))
    std[count < 2] = np.nan
    quartiles = [_quantile(order_statistic, count, p) for p in _QUARTILES]

    # Rates: each run's value against its group's full marks, compared as shares (as
    # summary._at_least_share does).
    marks = full_marks[group]
    share = values / marks

    def at_least(shares: Sequence[float | None]) -> Ints:
        """How many values are at or above each group's share of full marks (None: none)."""
        bar = np.array([np.nan if s is None else s for s in shares], dtype=np.float64)[stat]
        return np.rint(per_group(counts * (share >= bar[group]))).astype(np.int64)

    outside = (values < 0) | (values > marks)
    return Figures(
        count=count.astype(np.int64),
        mean=mean,
        median=quartiles[1],
        q1=quartiles[0],
        q3=quartiles[2],
        min=order_statistic(np.zeros(n_groups, np.int64)),
        max=order_statistic(count - 1),
        std=std,
        histogram=_histogram(group, universe, codes, counts, full_marks),
        out_of_range=np.rint(per_group(counts * outside)).astype(np.int64),
        pass_count=at_least([m.pass_share for m in metrics]),
        excellent_count=at_least([m.excellent_share for m in metrics]),
        good_count=at_least([m.good_share for m in metrics]),
    )


def _quantile(order_statistic: Callable[[Ints], Floats], count: Ints, p: float) -> Floats:
    """numpy's `quantile(method="linear")` (Hyndman & Fan type 7), step for step so that the
    figure is the same double: h = (n − 1)·p, then numpy's two-sided lerp."""
    h = (count - 1) * p
    previous = np.floor(h)
    top = h >= count - 1  # numpy takes the last value
    below = np.where(top, count - 1, previous).astype(np.int64)
    above = np.where(top, count - 1, previous + 1).astype(np.int64)
    a, b = order_statistic(np.maximum(below, 0)), order_statistic(np.maximum(above, 0))
    gamma = h - previous
    difference = b - a
    lerp = np.where(gamma >= 0.5, b - difference * (1 - gamma), a + difference * gamma)
    result: Floats = np.where(top, b, lerp)
    return result


def _histogram(
    group: Ints, universe: Floats, codes: Codes, counts: Ints, full_marks: Floats
) -> Ints:
    """Each group's histogram as `summary.histogram` counts it: the bin of each (full marks,
    value) pair is searched once among the published edges; within a group the bins ascend
    with the values, so equal (group, bin) neighbours are summed."""
    marks, mark = np.unique(full_marks, return_inverse=True)
    bin_of = np.empty((marks.size, universe.size), dtype=np.int64)
    for m, full in enumerate(marks):
        found = np.searchsorted(_edges(float(full)), universe, side="right") - 1
        bin_of[m] = np.clip(found, 0, _BINS - 1)
    key = group * _BINS + bin_of[mark[group], codes]
    histogram = np.zeros(full_marks.size * _BINS, dtype=np.int64)
    if key.size:
        boundary = np.ones(key.size, dtype=bool)
        boundary[1:] = key[1:] != key[:-1]
        start = np.flatnonzero(boundary)
        histogram[key[start]] = np.add.reduceat(counts, start)
    return histogram.reshape(full_marks.size, _BINS)


# ---------------------------------------------------------------------------------- sorting


def _sorted(keys: Sequence[tuple[npt.NDArray[np.integer[Any]], int]]) -> tuple[list[Ints], Ints]:
    """The keys sorted together (most significant first; each is (codes, how many codes
    there are)), and the rows' positions in that order (stable). numpy sorts integers with
    vector instructions but argsorts them ~25× slower, so the codes and the position are packed
    into one int64, sorted, and unpacked."""
    n = keys[0][0].size
    widths = [max(int(size - 1).bit_length(), 1) for _, size in keys]
    position_bits = max(int(n - 1).bit_length(), 1)
    if sum(widths) + position_bits > 63:
        order = np.lexsort([codes for codes, _ in reversed(keys)])
        return [codes[order].astype(np.int64) for codes, _ in keys], order.astype(np.int64)
    packed = np.zeros(n, dtype=np.int64)
    for (codes, _), width in zip(keys, widths, strict=True):
        packed <<= width
        packed |= codes
    packed <<= position_bits
    packed |= np.arange(n, dtype=np.int64)
    packed.sort()
    unpacked = []
    shift = position_bits
    for width in reversed(widths):
        unpacked.append((packed >> shift) & ((1 << width) - 1))
        shift += width
    packed &= (1 << position_bits) - 1
    return unpacked[::-1], packed


def _dense(key: Ints, size: int) -> tuple[Ints, Ints]:
    """Codes 0..k−1 numbering the distinct keys (in ascending order), and those keys."""
    if size <= max(4 * key.size, 1 << 20):
        present = np.zeros(size, dtype=bool)
        present[key] = True
        remap = np.cumsum(present) - 1
        return remap[key], np.flatnonzero(present)
    distinct = np.unique(key)
    return np.searchsorted(distinct, key).astype(np.int64), distinct.astype(np.int64)


def _combine(parts: Sequence[tuple[Codes, int]]) -> tuple[Codes, Ints]:
    """Each row's code among the distinct combinations of its parts' codes, and the codes of
    each combination's parts."""
    key = np.zeros(parts[0][0].size, dtype=np.int64)
    size = 1
    for codes, n in parts:
        key *= n
        key += codes
        size *= n
    code, distinct = _dense(key, size)
    decoded = np.empty((distinct.size, len(parts)), dtype=np.int64)
    rest = distinct.copy()
    for i in range(len(parts) - 1, -1, -1):
        n = parts[i][1]
        decoded[:, i] = rest % n
        rest //= n
    return code.astype(np.int32), decoded


def _starts(sorted_group: npt.NDArray[np.integer[Any]], n_groups: int) -> Ints:
    """Offsets of each group's rows in rows sorted by group: group g is [s[g], s[g + 1])."""
    return np.concatenate([[0], np.cumsum(np.bincount(sorted_group, minlength=n_groups))])

"""The full recompute (shared/statistics/batch.py) gives what the statistics function gives,
class by class: every class statistic equal to `service.class_statistic` of the class's
records, every school and district grade equal to the function's merge of its parts
(`Distribution.merge` and its summary) — on a random district with ties, statuses, blanks,
several full marks, decimals and a metric where lower is better."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import numpy as np
import pyarrow as pa
import pytest

from shared.domain.models import Provenance, Record, RecordValue, SchoolClass, record_id_for
from shared.statistics import batch
from shared.statistics.batch import DistrictStatistics, recompute
from shared.statistics.distribution import Distribution
from shared.statistics.model import ClassStatistic, RollUp, StatKey
from shared.statistics.plans import FITNESS, PLANS, Metric, Plan
from shared.statistics.ranks import percentile_ranks
from shared.statistics.service import class_statistic, entries_by_statistic, merged
from shared.statistics.summary import Summary
from tests.statistics_world import ACADEMIC

NOW = datetime(2024, 11, 20, 8, 0, tzinfo=UTC)
TERMS = ("2024-2025-1", "2024-2025-2")
# A timed run: the fastest time ranks highest.
SPRINT = Plan(
    template_id="sprint-test",
    assessment=(),
    metrics=(Metric("sprint_s", "50米跑", unit="秒", higher_is_better=False, full_marks=20.0),),
)
TEST_PLANS = {**PLANS, SPRINT.template_id: SPRINT}
EXAMS = (
    ("数学", "期中考试", "2024-11-05"),
    ("语文", "期中考试", "2024-11-05"),
    ("英语", "单元测验", "2024-10-10"),
)
FITNESS_METRICS = ("total_score", "bmi_score", "sit_ups_score")


@dataclass
class District:
    """A generated district: its classes, their records (what the function reads) and the
    same values as the full recompute's table rows."""

    classes: list[SchoolClass]
    records: dict[str, list[Record]]  # class id → records
    rows: list[dict[str, Any]]

    def table(self) -> pa.Table:
        return pa.Table.from_pylist(self.rows)


def score(rng: random.Random, full_marks: float) -> RecordValue:
    """Half points, bunched so that classmates tie; now and then a status or a blank."""
    roll = rng.random()
    if roll < 0.05:
        return "缺考"
    if roll < 0.07:
        return "免考"
    if roll < 0.09:
        return None  # blank: no entry
    if roll < 0.10:
        return ""  # an empty status is no status
    if roll < 0.40:
        return rng.choice([full_marks, 0.6 * full_marks, 0.85 * full_marks, 88.5])
    return rng.randrange(0, int(2 * full_marks) + 1) / 2


def generate(seed: int = 12) -> District:
    rng = random.Random(seed)
    district = District(classes=[], records=defaultdict(list), rows=[])
    n = 0
    for school in ("sA", "sB", "sC", "sD"):
        for grade in (7, 8):
            for c in range(rng.randint(1, 3)):
                klass = SchoolClass(
                    id=f"{school}-{grade}-{c}",
                    school_id=school,
                    grade=grade,
                    name=f"{grade}({c})班",
                )
                district.classes.append(klass)
                # One class of a single student, one where nobody sat the exams.
                size = 1 if (school, grade, c) == ("sB", 8, 0) else rng.randint(3, 35)
                everyone_away = (school, grade, c) == ("sC", 7, 0)
                for _ in range(size):
                    n += 1
                    student = f"st{n:04d}"
                    add_scores(district, rng, klass, student, away=everyone_away)
                    add_fitness(district, rng, klass, student)
    return district


def add_scores(
    district: District, rng: random.Random, klass: SchoolClass, student: str, *, away: bool
) -> None:
    for term in TERMS:
        for exam in EXAMS:
            # Several full marks: 语文 out of 150 in school sB; a few rows out of 120; some
            # rows name none (the metric's 100).
            full: float | None = 150.0 if exam[0] == "语文" and klass.school_id == "sB" else 100.0
            roll = rng.random()
            full = 120.0 if roll < 0.1 else None if roll < 0.2 else full
            value = "缺考" if away else score(rng, full or 100.0)
            key = dict(zip(("subject", "assessment_type", "assessment_date"), exam, strict=True))
            values: dict[str, RecordValue] = {"score": value}
            if full is not None:
                values["full_marks"] = full
            district.records[klass.id].append(record(ACADEMIC, term, klass, student, key, values))
            district.rows.append(
                row(ACADEMIC, term, "~".join(exam), "score", klass, student, value, full)
            )


def add_fitness(district: District, rng: random.Random, klass: SchoolClass, student: str) -> None:
    term = TERMS[0]
    values: dict[str, RecordValue] = {}
    for metric in FITNESS_METRICS:
        # Decimals (the weighted total), integers, the odd status.
        value: RecordValue = (
            round(rng.uniform(40, 105), 2) if metric == "total_score" else rng.randint(50, 100)
        )
        if rng.random() < 0.05:
            value = "免测"
        values[metric] = value
        district.rows.append(row(FITNESS.template_id, term, "-", metric, klass, student, value))
    key = {"student_no": student}
    district.records[klass.id].append(
        record(FITNESS.template_id, term, klass, student, key, values)
    )
    seconds: RecordValue = round(rng.uniform(7.0, 11.0), 1) if rng.random() > 0.05 else "缺测"
    district.records[klass.id].append(
        record(SPRINT.template_id, term, klass, student, key, {"sprint_s": seconds})
    )
    district.rows.append(row(SPRINT.template_id, term, "-", "sprint_s", klass, student, seconds))


def record(
    template_id: str,
    term: str,
    klass: SchoolClass,
    student: str,
    key: dict[str, str],
    values: dict[str, RecordValue],
) -> Record:
    key = {"student_no": student, **key}
    return Record(
        id=record_id_for(template_id, term, key),
        student_id=student,
        school_id=klass.school_id,
        class_id=klass.id,
        template_id=template_id,
        template_version=1,
        term=term,
        natural_key=key,
        values=values,
        provenance=Provenance(
            submission_id="sub1",
            uploaded_by="T1",
            uploaded_at=NOW,
            source_key="uploads/test",
            source_row=2,
        ),
    )


def row(
    template_id: str,
    term: str,
    assessment: str,
    metric: str,
    klass: SchoolClass,
    student: str,
    value: RecordValue,
    full_marks: float | None = None,
) -> dict[str, Any]:
    number = isinstance(value, float | int) and not isinstance(value, bool)
    return {
        "template_id": template_id,
        "term": term,
        "assessment": assessment,
        "metric": metric,
        "school_id": klass.school_id,
        "class_id": klass.id,
        "grade": klass.grade,
        "student_id": student,
        "value": float(cast(float, value)) if number else None,
        "status": value if isinstance(value, str) else None,
        "full_marks": full_marks,
    }


def per_class(district: District) -> dict[tuple[StatKey, str], ClassStatistic]:
    """What the statistics function computes for each class, from its records."""
    found = {}
    for klass in district.classes:
        by_template: dict[tuple[str, str], list[Record]] = defaultdict(list)
        for r in district.records[klass.id]:
            by_template[(r.template_id, r.term)].append(r)
        for (template_id, term), records in by_template.items():
            plan = TEST_PLANS[template_id]
            for stat, entries in entries_by_statistic(plan, term, records).items():
                found[(stat, klass.id)] = class_statistic(plan, stat, klass, entries, NOW)
    return found


def rolled_up(
    classes: dict[tuple[StatKey, str], ClassStatistic],
) -> Iterator[tuple[RollUp, RollUp | None]]:
    """The function's merge of each school grade from its classes and each district grade
    from its schools (`merged`, the pure part of `Statistics.roll_up`)."""
    schools: dict[tuple[StatKey, int, str], list[ClassStatistic]] = defaultdict(list)
    for statistic in classes.values():
        schools[(statistic.stat, statistic.grade, statistic.school_id)].append(statistic)
    district: dict[tuple[StatKey, int], list[RollUp]] = defaultdict(list)
    for (stat, grade, school), parts in sorted(schools.items()):
        plan = TEST_PLANS[stat.template_id]
        school_up = merged(
            plan, stat, grade, school, [(p.distribution, p.full_marks) for p in parts], 0, NOW
        )
        district[(stat, grade)].append(school_up)
        yield school_up, None
    for (stat, grade), ups in district.items():
        plan = TEST_PLANS[stat.template_id]
        parts = [(u.distribution, u.full_marks) for u in ups]
        yield merged(plan, stat, grade, None, parts, 0, NOW), None


def same_summary(got: Summary, expected: Summary) -> None:
    """Identical, but for the mean and standard deviation, which may differ in the last bits
    (numpy sums pairwise; the batch per distinct value)."""
    loose = {"mean": None, "std": None}
    assert got.model_copy(update=loose) == expected.model_copy(update=loose)
    for name in ("mean", "std"):
        a, b = getattr(got, name), getattr(expected, name)
        assert (a is None) == (b is None)
        if a is not None:
            assert a == pytest.approx(b, rel=1e-12, abs=1e-12)


@pytest.fixture(scope="module")
def district() -> District:
    return generate()


@pytest.fixture(scope="module")
def result(district: District) -> DistrictStatistics:
    return recompute(district.table(), TEST_PLANS)


def test_every_class_statistic_is_the_one_the_function_computes(
    district: District, result: DistrictStatistics
) -> None:
    expected = per_class(district)

    got = {(s.stat, s.class_id): s for s in result.class_statistics(NOW)}

    assert got.keys() == expected.keys()
    for key, statistic in expected.items():
        mine = got[key]
        # Values, statuses, percentiles (exactly), distribution, full marks, digest …
        assert mine.model_copy(update={"summary": None}) == statistic.model_copy(
            update={"summary": None}
        ), key
        same_summary(mine.summary, statistic.summary)
    # The district has what the test meant it to have.
    stats = {s.stat for s in expected.values()}
    assert len(stats) == 2 * len(EXAMS) + len(FITNESS_METRICS) + 1
    assert {s.full_marks for s in expected.values()} >= {100.0, 120.0, 150.0}
    assert any(s.statuses and not s.values for s in expected.values())
    assert any(len(set(s.values.values())) < len(s.values) for s in expected.values())


def test_every_school_and_district_grade_is_the_functions_merge_of_its_parts(
    district: District, result: DistrictStatistics
) -> None:
    expected = [up for up, _ in rolled_up(per_class(district))]

    got = {(u.stat, u.grade, u.school_id): u for u in result.roll_ups(epoch=0, now=NOW)}

    assert len(got) == len(expected)
    for up in expected:
        mine = got[(up.stat, up.grade, up.school_id)]
        assert mine.model_copy(update={"summary": None}) == up.model_copy(update={"summary": None})
        same_summary(mine.summary, up.summary)
        assert result.roll_up(up.stat, up.grade, up.school_id, epoch=0, now=NOW) == mine
    assert any(up.school_id is None and up.summary.count > 50 for up in expected)


def test_class_percentiles_rank_ties_equal_and_lower_is_better_the_other_way(
    result: DistrictStatistics,
) -> None:
    table = result.percentiles().to_pylist()
    sprint = result.stats.index(StatKey(SPRINT.template_id, TERMS[0], "-", "sprint_s"))
    by_class: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for r in table:
        by_class[(r["stat"], r["class_id"])].append(r)

    for (stat, _), rows in by_class.items():
        valued = [r for r in rows if r["value"] is not None]
        higher = stat != sprint
        ranks = percentile_ranks([r["value"] for r in valued], higher_is_better=higher)
        assert [r["class_percentile"] for r in valued] == list(ranks)
        assert all(r["class_percentile"] is None for r in rows if r["status"] is not None)


def test_the_later_of_two_rows_of_a_student_counts_and_a_value_beats_a_status() -> None:
    klass = SchoolClass(id="c1", school_id="s1", grade=7, name="7(1)班")
    exam = "数学~期中考试~2024-11-05"
    named = (
        ("a", 50.0, 150.0),
        ("a", 55.0, 150.0),
        ("b", 70.0, 100.0),
        ("a", 90.0, 100.0),
        ("c", "缺考", None),
        ("c", 60.0, None),
        ("d", None, None),
    )
    rows = [row(ACADEMIC, TERMS[0], exam, "score", klass, s, v, f) for s, v, f in named]
    rows[-1]["value"] = float("nan")  # a non-value with no status adds nothing
    rows.append(row(ACADEMIC, TERMS[0], exam, "score", klass, "e", 75.0) | {"status": "缺考"})

    got = recompute(pa.Table.from_pylist(rows)).class_statistic(
        StatKey(ACADEMIC, TERMS[0], exam, "score"), "c1", NOW
    )

    assert got.values == {"a": 90.0, "b": 70.0, "c": 60.0, "e": 75.0}
    assert got.full_marks == 100.0  # a's earlier rows, out of 150, count no more
    assert got.statuses == {}
    assert got.distribution == Distribution.of(np.array([60.0, 70.0, 75.0, 90.0]))


def test_a_table_of_statistics_no_plan_measures_is_refused() -> None:
    klass = SchoolClass(id="c1", school_id="s1", grade=7, name="7(1)班")
    table = pa.Table.from_pylist([row("quality-record", TERMS[0], "-", "x", klass, "a", 1.0)])

    with pytest.raises(ValueError, match="no plan measures"):
        recompute(table)


def test_summarising_a_few_groups_at_a_time_changes_no_figure(
    district: District, result: DistrictStatistics, monkeypatch: pytest.MonkeyPatch
) -> None:
    # At district scale the figures are computed a chunk of groups at a time; here a chunk
    # is a handful of distinct values, so every level is cut many times.
    monkeypatch.setattr(batch, "_CHUNK", 7)

    chunked = recompute(district.table(), TEST_PLANS)

    assert list(chunked.class_statistics(NOW)) == list(result.class_statistics(NOW))
    assert list(chunked.roll_ups(epoch=0, now=NOW)) == list(result.roll_ups(epoch=0, now=NOW))

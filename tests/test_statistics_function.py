"""The statistics function: a class's figures recomputed from its current records; the school's
and the district's grades rolled up exactly; duplicates, re-uploads, corrections and races
converge (docs/statistics.md)."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator

import numpy as np
import pytest

from shared.db.statistics import StatisticsRepository
from shared.events import RecordChanged
from shared.statistics import percentile_ranks, summarize
from shared.statistics.model import StatKey
from shared.statistics.service import IndexBehind
from tests.api_world import NOW, TERM, World, api_world
from tests.progress_world import function_environment
from tests.statistics_world import (
    ACADEMIC,
    MATHS_MIDTERM,
    invoke,
    put_scores,
    school_class,
    score_record,
    statistics,
    validated,
)

MATHS = StatKey(ACADEMIC, TERM, "~".join(MATHS_MIDTERM), "score")


@pytest.fixture
def world() -> Iterator[World]:
    with api_world() as w:
        yield w


def test_a_class_gets_its_figures_each_student_their_place_and_the_grades_roll_up(
    world: World,
) -> None:
    a1 = world.repos.directory.get_class("A1")
    put_scores(world, a1, {"S1": 95.0, "S1b": 70.0, "x1": 70.0, "x2": "缺考"})

    done = statistics(world).recompute_class("A1", ACADEMIC, TERM)

    assert done.changed == [MATHS]
    assert done.attempts == 1
    repo = world.repos.statistics
    statistic = repo.get_class_statistics([(MATHS, 7, "A", "A1")])[MATHS]
    assert statistic.values == {"S1": 95.0, "S1b": 70.0, "x1": 70.0}
    assert statistic.statuses == {"x2": "缺考"}
    expected = percentile_ranks([95.0, 70.0, 70.0])
    assert statistic.percentiles == {"S1": expected[0], "S1b": expected[1], "x1": expected[2]}
    assert statistic.summary == summarize([95.0, 70.0, 70.0], full_marks=100)
    # Every student with a value or a status has an insight; the absent one's place is None.
    insights = {i.student_id: i for s in ("S1", "S1b", "x1", "x2") for i in repo.list_insights(s)}
    assert insights["S1"].class_percentile == pytest.approx(100 * (2 + 0.5) / 3)
    assert insights["x2"].status == "缺考"
    assert insights["x2"].class_percentile is None
    assert insights["S1"].info.label == "数学 · 期中考试 · 2024-11-05"
    # School A's grade 7 is A1 alone so far (A2's seeded record is not computed yet).
    ups = repo.get_roll_ups([(MATHS, 7, "A"), (MATHS, 7, None)])
    assert ups[(MATHS, 7, "A")].distribution.count == 3
    assert ups[(MATHS, 7, None)].summary == statistic.summary
    # The catalog names the statistic for the pages' pickers.
    assert [i.key for i in repo.list_infos(ACADEMIC, TERM)] == [MATHS.assessment]


def test_grade_and_district_roll_ups_equal_an_exact_computation_over_every_student(
    world: World,
) -> None:
    rng = random.Random(7)
    everyone: list[float] = []
    by_school: dict[str, list[float]] = {}
    placed: dict[str, float] = {}
    for school in ("A", "B", "C"):
        for c in range(3):
            klass = school_class(world, f"{school}9{c}", school=school, grade=8)
            scores = {f"{klass.id}-{n}": rng.randrange(0, 301) / 2 for n in range(25)}
            put_scores(world, klass, scores)
            statistics(world).recompute_class(klass.id, ACADEMIC, TERM)
            everyone.extend(scores.values())
            by_school.setdefault(school, []).extend(scores.values())
            placed |= scores
    repo = world.repos.statistics
    district = repo.get_roll_ups([(MATHS, 8, None)])[(MATHS, 8, None)]
    assert district.summary == summarize(everyone, full_marks=100)
    schools = {r.school_id: r for r in repo.list_school_roll_ups(MATHS, 8)}
    for school, values in by_school.items():
        assert schools[school].summary == summarize(values, full_marks=100)
    # A student's district percentile read from the merged distribution is the exact one.
    ranks = percentile_ranks(np.array(list(placed.values())))
    for (student_id, value), rank in list(zip(placed.items(), ranks, strict=True))[::17]:
        assert district.distribution.percentile(value) == rank, student_id


def test_recomputing_again_and_duplicate_events_change_nothing(world: World) -> None:
    a1 = world.repos.directory.get_class("A1")
    put_scores(world, a1, {"S1": 95.0, "S1b": 60.0})
    first = statistics(world).recompute_class("A1", ACADEMIC, TERM)
    before = world.repos.statistics.get_roll_ups([(MATHS, 7, None)])[(MATHS, 7, None)]

    again = statistics(world).recompute_class("A1", ACADEMIC, TERM)

    assert first.changed == [MATHS]
    assert again.changed == []
    assert again.removed == []
    after = world.repos.statistics.get_roll_ups([(MATHS, 7, None)])[(MATHS, 7, None)]
    assert after.epoch == before.epoch  # nothing changed: not even a roll-up was written


def test_a_reupload_replaces_values_and_a_student_left_out_loses_their_insight(
    world: World,
) -> None:
    a1 = world.repos.directory.get_class("A1")
    put_scores(world, a1, {"S1": 95.0, "S1b": 60.0, "x1": 50.0})
    statistics(world).recompute_class("A1", ACADEMIC, TERM)
    # The new upload no longer has x1 (their record deleted with the old generation).
    world.repos.records.put_records([score_record(world, "S1", a1, 80.0)])
    gone = score_record(world, "x1", a1, 50.0)
    world.repos.records._table.delete(f"RECORD#{gone.id}", f"GEN#{gone.generation}")

    done = statistics(world).recompute_class("A1", ACADEMIC, TERM)

    assert done.changed == [MATHS]
    repo = world.repos.statistics
    statistic = repo.get_class_statistics([(MATHS, 7, "A", "A1")])[MATHS]
    assert statistic.values == {"S1": 80.0, "S1b": 60.0}
    assert repo.list_insights("x1") == []
    assert repo.get_roll_ups([(MATHS, 7, None)])[(MATHS, 7, None)].distribution.count == 2


def test_an_assessment_no_longer_in_the_class_is_removed_everywhere(world: World) -> None:
    a1 = world.repos.directory.get_class("A1")
    quiz = ("数学", "单元测验", "2024-10-10")
    records = put_scores(world, a1, {"S1": 40.0}, assessment=quiz)
    statistics(world).recompute_class("A1", ACADEMIC, TERM)
    quiz_stat = StatKey(ACADEMIC, TERM, "~".join(quiz), "score")
    assert world.repos.statistics.get_class_statistics([(quiz_stat, 7, "A", "A1")])
    world.repos.records._table.delete(f"RECORD#{records[0].id}", f"GEN#{records[0].generation}")

    done = statistics(world).recompute_class("A1", ACADEMIC, TERM)

    assert done.removed == [quiz_stat]
    repo = world.repos.statistics
    assert repo.get_class_statistics([(quiz_stat, 7, "A", "A1")]) == {}
    assert all(i.info.key != quiz_stat.assessment for i in repo.list_insights("S1"))
    assert repo.get_roll_ups([(quiz_stat, 7, None)])[(quiz_stat, 7, None)].distribution.count == 0


class _Racing(StatisticsRepository):
    """Another worker recomputes the class right after this one read the class's index."""

    def __init__(self, inner: StatisticsRepository, meanwhile: object) -> None:
        self.__dict__.update(inner.__dict__)
        self._meanwhile = meanwhile
        self.reads = 0

    def get_class_index(self, class_id: str, template_id: str, term: str):  # type: ignore[no-untyped-def]
        index = super().get_class_index(class_id, template_id, term)
        self.reads += 1
        if self.reads == 1:
            self._meanwhile()  # type: ignore[operator]
        return index


def test_a_worker_that_lost_the_race_reads_again_and_the_newest_values_win(
    world: World,
) -> None:
    a1 = world.repos.directory.get_class("A1")
    put_scores(world, a1, {"S1": 95.0, "S1b": 60.0})
    statistics(world).recompute_class("A1", ACADEMIC, TERM)

    def meanwhile() -> None:  # a correction lands and its worker finishes first
        world.repos.records.put_records([score_record(world, "S1b", a1, 99.0)])
        statistics(world).recompute_class("A1", ACADEMIC, TERM)

    racing = _Racing(world.repos.statistics, meanwhile)
    slow = dataclasses.replace(world.repos, statistics=racing)
    done = statistics(slow).recompute_class("A1", ACADEMIC, TERM)

    assert done.attempts == 2  # its index write lost; it read again
    statistic = world.repos.statistics.get_class_statistics([(MATHS, 7, "A", "A1")])[MATHS]
    assert statistic.values == {"S1": 95.0, "S1b": 99.0}


def test_a_roll_up_of_an_older_epoch_never_overwrites_a_newer_one(world: World) -> None:
    a1 = world.repos.directory.get_class("A1")
    put_scores(world, a1, {"S1": 95.0})
    statistics(world).recompute_class("A1", ACADEMIC, TERM)
    repo = world.repos.statistics
    newest = repo.get_roll_ups([(MATHS, 7, None)])[(MATHS, 7, None)]
    stale = newest.model_copy(update={"epoch": newest.epoch - 1, "full_marks": 150.0})

    assert repo.put_roll_up(stale) is False
    assert repo.get_roll_ups([(MATHS, 7, None)])[(MATHS, 7, None)].full_marks == 100.0


def test_the_handler_recomputes_on_an_accepted_upload_and_on_a_changed_record(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.statistics import app as statistics_app

    function_environment(monkeypatch)
    statistics_app.application.cache_clear()
    uploaded = validated(submission_id="sub-seed", class_id="A2", replaced={"数学": None})
    # Twice, and a body that is no event: the duplicate converges, the stranger is dropped.
    assert invoke(uploaded, uploaded, "not json") == {"batchItemFailures": []}
    repo = world.repos.statistics
    assert repo.get_class_statistics([(MATHS, 7, "A", "A2")])[MATHS].values == {"S2": 88.0}

    a2 = world.repos.directory.get_class("A2")
    world.repos.records.put_records([score_record(world, "S2", a2, 61.0)])
    changed = RecordChanged(
        occurred_at=NOW,
        school_id="A",
        class_id="A2",
        record_id="0" * 32,
        template_id=ACADEMIC,
        term=TERM,
        subject="数学",
        change="corrected",
    )
    assert invoke(changed) == {"batchItemFailures": []}
    assert repo.get_class_statistics([(MATHS, 7, "A", "A2")])[MATHS].values == {"S2": 61.0}
    statistics_app.application.cache_clear()


def test_a_rejected_upload_and_another_template_compute_nothing(world: World) -> None:
    rejected = validated(status="rejected", subjects=[], rows=3, accepted=0, rejected=3)
    assert statistics(world).handle(rejected) is None
    quality = rejected.model_copy(update={"template_id": "quality-record", "accepted": 3})
    assert statistics(world).handle(quality) is None
    assert world.repos.statistics.get_class_index("A1", ACADEMIC, TERM).version == 0


def test_an_upload_the_class_shows_but_the_index_does_not_yet_is_retried(world: World) -> None:
    a1 = world.repos.directory.get_class("A1")
    record = score_record(world, "S1", a1, 77.0).model_copy(update={"task_id": "task9"})
    world.repos.records.flip_generation(
        "task9", "A1", record.generation, created_at=NOW, subjects=("数学",)
    )
    event = validated(submission_id=record.generation, task_id="task9")
    # The pointer shows the upload; its records are not there yet (the index lags).
    with pytest.raises(IndexBehind):
        statistics(world).handle(event)

    world.repos.records.put_records([record])
    done = statistics(world).handle(event)

    assert done is not None
    statistic = world.repos.statistics.get_class_statistics([(MATHS, 7, "A", "A1")])[MATHS]
    assert statistic.values["S1"] == 77.0


def test_fitness_totals_give_the_standard_s_rates_and_a_prompt_for_the_one_below_60(
    world: World,
) -> None:
    from shared.domain.models import Provenance, Record, record_id_for

    a1 = world.repos.directory.get_class("A1")
    totals = {"S1": 95.0, "S1b": 85.0, "f1": 75.0, "f2": 55.0, "f3": 81.0}
    records = []
    for student_id, total in totals.items():
        key = {"student_no": f"no-{student_id}", "test_date": "2024-10-20"}
        records.append(
            Record(
                id=record_id_for("fitness-test", TERM, key),
                student_id=student_id,
                school_id="A",
                class_id=a1.id,
                template_id="fitness-test",
                template_version=1,
                term=TERM,
                natural_key=key,
                values={"total_score": total, "fitness_grade": "及格"},
                provenance=Provenance(
                    submission_id="sub-fit",
                    uploaded_by="T1",
                    uploaded_at=NOW,
                    source_key="uploads/fitness",
                    source_row=2,
                ),
            )
        )
    world.repos.records.put_records(records)

    done = statistics(world).recompute_class("A1", "fitness-test", TERM)

    total = StatKey("fitness-test", TERM, "-", "total_score")
    assert done.changed == [total]
    summary = world.repos.statistics.get_class_statistics([(total, 7, "A", "A1")])[total].summary
    assert summary.pass_rate == 4 / 5  # 及格率: ≥ 60
    assert summary.good_rate == 3 / 5  # 优良率: ≥ 80
    assert summary.excellent_rate == 1 / 5  # 优秀: ≥ 90
    warnings = world.repos.statistics.list_class_warnings("A1", "fitness-test", TERM)
    assert [(w.kind, w.student_id) for w in warnings if w.kind == "fitness_fail"] == [
        ("fitness_fail", "f2")
    ]


def test_a_teacher_s_change_through_the_api_reaches_the_function_and_moves_the_figures(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.statistics import app as statistics_app
    from growth.local.provision import Names, ProvisionedQueue, create_rule
    from shared.aws import AwsClients
    from shared.events import parse
    from shared.resources import RULES, STATISTICS_EVENTS
    from shared.settings import AwsSettings
    from tests.api_world import SETTINGS

    function_environment(monkeypatch)
    statistics_app.application.cache_clear()
    statistics(world).recompute_class("A1", ACADEMIC, TERM)
    clients = AwsClients(AwsSettings(region="cn-north-1"))
    url = clients.sqs.create_queue(QueueName="statistics")["QueueUrl"]
    arn = clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    (rule,) = [r for r in RULES if r.queue is STATISTICS_EVENTS]
    names = Names("t")
    assert names.event_bus == SETTINGS.event_bus  # the bus the API world publishes to
    create_rule(clients, names, rule, ProvisionedQueue(STATISTICS_EVENTS, url, arn, "", ""))

    response = world.call(
        "T1",
        "POST",
        f"/v1/records/{world.records['S1']}/changes",
        {"values": {"score": 42}, "reason": "阅卷时漏加一题"},
    )
    assert response.status_code == 201, response.json_body

    (message,) = clients.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    event = parse(message["Body"])
    assert isinstance(event, RecordChanged)
    assert (event.class_id, event.template_id, event.change) == ("A1", ACADEMIC, "changed")
    assert invoke(message["Body"]) == {"batchItemFailures": []}
    statistic = world.repos.statistics.get_class_statistics([(MATHS, 7, "A", "A1")])[MATHS]
    assert statistic.values["S1"] == 42.0
    statistics_app.application.cache_clear()

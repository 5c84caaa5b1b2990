"""Keeping statistics current: what the statistics function does with each event.

An accepted upload (SubmissionValidated) or a changed record (RecordChanged) names a class, a
template and a term; the class's statistics of that template and term are recomputed from its
current records — never incremented — so duplicates, redeliveries, reordered events,
re-uploads and corrections all converge on the same figures.

For each statistic whose values changed (a digest of them, kept in the class's index): the
class's item (values, statuses, class percentiles, distribution, summary), its students'
insights, then the school's grade and the district's grade (docs/statistics.md, Roll-up).
The index is written last, on condition of the version read first: a worker that lost the race
to another recomputing the same class recomputes again, and rewrites what it wrote before, so
the last word is always from a read after every other write. A crash before the index is
written leaves the old digests there, so the redelivery redoes every step.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Final

import numpy as np

from shared.db import keys
from shared.db.dynamo import MAX_PAGE_SIZE, every_page
from shared.db.statistics import ClassIndex, IndexEntry
from shared.domain.models import Record, SchoolClass
from shared.error_codes import Entity
from shared.events import Event, RecordChanged, SubmissionValidated
from shared.exceptions import Conflict, NotFound
from shared.statistics.distribution import Distribution
from shared.statistics.model import ClassStatistic, Insight, RollUp, StatKey, describe
from shared.statistics.plans import PLANS, Plan, number, status
from shared.statistics.ranks import percentile_ranks
from shared.statistics.summary import Summary
from shared.statistics.warnings import warnings_for

if TYPE_CHECKING:
    from shared.db.repositories import Repositories

log = logging.getLogger(__name__)

_ATTEMPTS: Final = 5


@dataclass(frozen=True, slots=True)
class Entry:
    """One student's value (or status) in one statistic, with the full marks it is out of."""

    value: float | None
    status: str | None
    full_marks: float | None


@dataclass(frozen=True, slots=True)
class Upload:
    """The upload an event announced: its task, its id (the generation) and its subjects."""

    task_id: str
    submission_id: str
    subjects: tuple[str, ...]


class IndexBehind(RuntimeError):
    """The records index does not show an upload's records yet: retried by the queue."""


@dataclass(slots=True)
class Recomputed:
    """What one recompute of a class changed (for tests, logs and the benchmark)."""

    statistics: int = 0
    changed: list[StatKey] = field(default_factory=list)
    removed: list[StatKey] = field(default_factory=list)
    attempts: int = 0


class Statistics:
    """The statistics use case over the repositories and a clock."""

    def __init__(self, repos: Repositories, now: Callable[[], datetime]) -> None:
        self._repos = repos
        self._now = now

    def handle(self, event: Event) -> Recomputed | None:
        match event:
            case SubmissionValidated(class_id=str(class_id)) if event.template_id in PLANS:
                if event.accepted == 0 and not any(event.replaced.values()):
                    return None  # nothing was shown or replaced: no value changed
                shown = Upload(event.task_id, event.submission_id, tuple(event.subjects))
                return self.recompute_class(class_id, event.template_id, event.term, shown)
            case RecordChanged() if event.template_id in PLANS:
                return self.recompute_class(event.class_id, event.template_id, event.term)
        return None

    def recompute_class(
        self, class_id: str, template_id: str, term: str, upload: Upload | None = None
    ) -> Recomputed:
        """Bring a class's statistics of a template and term, its students' insights and the
        grade roll-ups they feed up to date with the class's current records. With the
        `upload` an event announced: if the class still shows it but the records index does
        not have its records yet, IndexBehind (the queue redelivers in a moment)."""
        plan = PLANS[template_id]
        try:
            school_class = self._repos.directory.get_class(class_id)
        except NotFound:
            return Recomputed()  # a class that is gone has nothing to show
        dirty: set[StatKey] = set()
        for attempt in range(1, _ATTEMPTS + 1):
            index = self._repos.statistics.get_class_index(class_id, template_id, term)
            records = every_page(
                lambda start: self._repos.records.list_class_records(
                    class_id, template_id, term, limit=MAX_PAGE_SIZE, start_key=start
                )
            )
            if upload is not None:
                self._check_index(class_id, upload, records)
            now = self._now()
            fresh = {
                stat: class_statistic(plan, stat, school_class, entries, now)
                for stat, entries in entries_by_statistic(plan, term, records).items()
            }
            before = {_stat_of(template_id, term, name): e for name, e in index.statistics.items()}
            changed = {
                stat
                for stat, statistic in fresh.items()
                if (stat not in before or before[stat].digest != statistic.digest)
            }
            removed = {stat for stat in before if stat not in fresh}
            self._write(plan, school_class, fresh, changed | (dirty & fresh.keys()), removed)
            self._warn(plan, school_class, term, fresh)
            dirty |= changed | removed
            written = ClassIndex(
                version=index.version + 1,
                statistics={
                    stat.name: IndexEntry(grade=school_class.grade, digest=s.digest)
                    for stat, s in fresh.items()
                },
            )
            if self._repos.statistics.put_class_index(
                class_id, template_id, term, written, read=index.version
            ):
                return Recomputed(
                    statistics=len(fresh),
                    changed=sorted(changed),
                    removed=sorted(removed),
                    attempts=attempt,
                )
            log.info("class recomputed meanwhile; reading again", extra={"class_id": class_id})
        raise Conflict.changed_meanwhile(Entity.STATISTIC)

    def _check_index(self, class_id: str, upload: Upload, records: Iterable[Record]) -> None:
        """The records index is eventually consistent: an upload the class shows (its pointer
        is read strongly) must have its records in what was read, or the figures would be the
        previous upload's."""
        read = {(r.subject, r.generation) for r in records}
        for subject in upload.subjects or (None,):
            shown = self._repos.records.current_generation(upload.task_id, class_id, subject)
            if shown == upload.submission_id and (subject, shown) not in read:
                raise IndexBehind(upload.submission_id)

    # ------------------------------------------------------------------------------- writes

    def _write(
        self,
        plan: Plan,
        school_class: SchoolClass,
        fresh: Mapping[StatKey, ClassStatistic],
        changed: set[StatKey],
        removed: set[StatKey],
    ) -> None:
        repo = self._repos.statistics
        grade, school_id, class_id = school_class.grade, school_class.school_id, school_class.id
        touched = sorted(changed | removed)
        if not touched:
            return
        previous = repo.get_class_statistics(
            [(stat, grade, school_id, class_id) for stat in touched], consistent=True
        )
        repo.put_infos([describe(plan, stat) for stat in sorted(changed)])
        for stat in touched:
            statistic = fresh.get(stat)
            had = previous.get(stat)
            had_students = set() if had is None else {*had.values, *had.statuses}
            if statistic is None:
                repo.delete_class_statistic(stat, grade, school_id, class_id)
                repo.delete_insights(stat, had_students)
            else:
                repo.put_class_statistic(statistic)
                insights = insights_of(plan, statistic)
                repo.put_insights(insights)
                repo.delete_insights(stat, had_students - {i.student_id for i in insights})
            self.roll_up(plan, stat, grade, school_id)

    def _warn(
        self,
        plan: Plan,
        school_class: SchoolClass,
        term: str,
        fresh: Mapping[StatKey, ClassStatistic],
    ) -> None:
        """The class's early warnings of the template and term, recomputed with its figures."""
        directory = self._repos.directory
        roster = [
            s.id
            for s in every_page(
                lambda start: directory.list_class_students(
                    school_class.id, limit=MAX_PAGE_SIZE, start_key=start
                )
            )
        ]
        rules = self._repos.statistics.get_warning_rules()
        found = warnings_for(plan, fresh, roster, rules, self._now())
        self._repos.statistics.replace_class_warnings(
            school_class.id, plan.template_id, term, found
        )

    def roll_up(self, plan: Plan, stat: StatKey, grade: int, school_id: str) -> None:
        """The school's grade from its classes, then the district's grade from its schools;
        each written only if no later epoch's merge is there (shared/db/statistics.py)."""
        repo = self._repos.statistics
        metric = plan.metric(stat.metric)
        assert metric is not None
        epoch = repo.next_epoch(stat, keys.school_stats_sk(grade, school_id))
        parts = repo.list_parts(stat, keys.class_stats_prefix(grade, school_id), consistent=True)
        repo.put_roll_up(merged(plan, stat, grade, school_id, parts, epoch, self._now()))
        epoch = repo.next_epoch(stat, keys.district_stats_sk(grade))
        parts = repo.list_parts(stat, keys.school_stats_prefix(grade), consistent=True)
        repo.put_roll_up(merged(plan, stat, grade, None, parts, epoch, self._now()))


# ---------------------------------------------------------------------------- pure parts


def entries_by_statistic(
    plan: Plan, term: str, records: Iterable[Record]
) -> dict[StatKey, dict[str, Entry]]:
    """Each statistic's entries (student → value or status) in a class's records. A record
    whose assessment is incomplete, or whose metric is blank, adds nothing."""
    grouped: dict[StatKey, dict[str, Entry]] = defaultdict(dict)
    for record in records:
        # A record's natural key (学科, 考核类型, 考核日期 …) is kept apart from its values.
        fields = {**record.natural_key, **record.values}
        assessment = plan.assessment_of(fields)
        if assessment is None:
            continue
        for metric in plan.metrics:
            raw = fields.get(metric.key)
            value = number(raw)
            word = None if value is not None else status(raw)
            if value is None and word is None:
                continue
            full = number(fields.get(metric.full_marks_key)) if metric.full_marks_key else None
            stat = StatKey(plan.template_id, term, assessment, metric.key)
            grouped[stat][record.student_id] = Entry(value, word, full)
    return dict(grouped)


def class_statistic(
    plan: Plan,
    stat: StatKey,
    school_class: SchoolClass,
    entries: Mapping[str, Entry],
    now: datetime,
) -> ClassStatistic:
    metric = plan.metric(stat.metric)
    assert metric is not None
    values = {s: e.value for s, e in sorted(entries.items()) if e.value is not None}
    statuses = {s: e.status for s, e in sorted(entries.items()) if e.status is not None}
    scores = np.array(list(values.values()), dtype=np.float64)
    ranks = percentile_ranks(scores, higher_is_better=metric.higher_is_better)
    marks = Counter(e.full_marks for e in entries.values() if e.full_marks is not None)
    full_marks = _usual(marks, metric.full_marks)
    distribution = Distribution.of(scores)
    digest_source = json.dumps(
        {"values": values, "statuses": statuses, "full_marks": full_marks}, sort_keys=True
    )
    return ClassStatistic(
        stat=stat,
        school_id=school_class.school_id,
        class_id=school_class.id,
        grade=school_class.grade,
        full_marks=full_marks,
        values=values,
        statuses=statuses,
        percentiles={s: float(r) for s, r in zip(values, ranks, strict=True)},
        distribution=distribution,
        summary=_summary(plan, stat, distribution, full_marks),
        digest=hashlib.sha256(digest_source.encode()).hexdigest()[:32],
        computed_at=now,
    )


def merged(
    plan: Plan,
    stat: StatKey,
    grade: int,
    school_id: str | None,
    parts: Iterable[tuple[Distribution, float]],
    epoch: int,
    now: datetime,
) -> RollUp:
    """A grade's roll-up (of a school: `school_id`; of the district: None) from its parts'
    distributions and full marks: the counts summed, out of the full marks most values are."""
    parts = list(parts)
    distribution = Distribution.merge(d for d, _ in parts)
    marks = Counter[float]()
    for d, full in parts:
        marks[full] += d.count
    full_marks = _usual(marks, _metric_full_marks(plan, stat))
    return RollUp(
        stat=stat,
        grade=grade,
        school_id=school_id,
        full_marks=full_marks,
        distribution=distribution,
        summary=_summary(plan, stat, distribution, full_marks),
        epoch=epoch,
        computed_at=now,
    )


def insights_of(plan: Plan, statistic: ClassStatistic) -> list[Insight]:
    info = describe(plan, statistic.stat)
    count = statistic.distribution.count
    return [
        Insight(
            student_id=student_id,
            info=info,
            school_id=statistic.school_id,
            class_id=statistic.class_id,
            grade=statistic.grade,
            value=statistic.values.get(student_id),
            status=statistic.statuses.get(student_id),
            class_percentile=statistic.percentiles.get(student_id),
            class_count=count,
            computed_at=statistic.computed_at,
        )
        for student_id in sorted({*statistic.values, *statistic.statuses})
    ]


def _summary(plan: Plan, stat: StatKey, distribution: Distribution, full_marks: float) -> Summary:
    metric = plan.metric(stat.metric)
    assert metric is not None
    return distribution.summary(
        full_marks=full_marks,
        pass_share=metric.pass_share,
        excellent_share=metric.excellent_share,
        good_share=metric.good_share,
    )


def _metric_full_marks(plan: Plan, stat: StatKey) -> float:
    metric = plan.metric(stat.metric)
    assert metric is not None
    return metric.full_marks


def _usual(marks: Counter[float], default: float) -> float:
    """The full marks most values are out of (ties: the higher), or the metric's default."""
    if not marks:
        return default
    return max(marks.items(), key=lambda item: (item[1], item[0]))[0]


def _stat_of(template_id: str, term: str, name: str) -> StatKey:
    assessment, metric = name.rsplit("#", 1)
    return StatKey(template_id, term, assessment, metric)

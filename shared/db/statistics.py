"""Statistics aggregates (directory table), written by the statistics function and read by the
API: each page one Query (or one GetItem), plus one BatchGetItem of the roll-ups it compares
against.

    STATS#tpl#term#assessment#metric / C#G07#sch#cls   a class: values, percentiles, summary
    STATS#tpl#term#assessment#metric / S#G07#sch       a school's grade: merged distribution
    STATS#tpl#term#assessment#metric / D#G07#          the district's grade
    STATS#tpl#term#assessment#metric / N#S#G07#sch     epoch counter of a roll-up's writes
    STATS#CLASS#cls#tpl#term / INDEX                   the statistics a class's records make
    STATS#CATALOG#tpl#term / assessment#metric         what statistics a term has
    INSIGHTS#student / tpl#term#assessment#metric      a student's value and class percentile
    WARNINGS#CLASS#cls / tpl#term#kind#…#student       a class's early warnings
    DISTRICT#STATISTICS / WARNING_RULES                the district's warning rules

A roll-up (a grade of a school from its classes, of the district from its schools) is written
by whichever worker changed one of its parts, so several may write it at once. Each takes a
number from the roll-up's epoch counter *after* writing its part, then reads the parts
(strongly) and puts the merge on condition that the stored epoch is lower than its own. The
worker with the highest epoch read after every part written before any epoch was taken, so
its merge is complete; a worker holding a lower epoch never overwrites it (docs/statistics.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import ClientError

from shared.db import keys
from shared.db.codec import Item, from_item, to_item
from shared.db.dynamo import Table, storage_errors
from shared.error_codes import Entity
from shared.statistics.distribution import Distribution
from shared.statistics.model import ClassStatistic, Insight, RollUp, StatisticInfo, StatKey
from shared.statistics.summary import Summary
from shared.statistics.warnings import EarlyWarning, WarningRules

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

CLASS_STATISTIC: Final = "class_statistic"
ROLL_UP: Final = "statistic_roll_up"
INSIGHT: Final = "insight"
STATISTIC_INFO: Final = "statistic_info"
STATS_INDEX: Final = "class_statistics_index"
EARLY_WARNING: Final = "early_warning"
WARNING_RULES: Final = "warning_rules"


@dataclass(frozen=True, slots=True)
class IndexEntry:
    grade: int
    digest: str


@dataclass(frozen=True, slots=True)
class ClassIndex:
    """A class's statistics of a template and term (by `StatKey.name`), and the version that
    orders the class's recomputes."""

    version: int
    statistics: dict[str, IndexEntry]


def _binary(value: Any) -> bytes:
    return bytes(getattr(value, "value", value))


class StatisticsRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._table = Table(client, table_name)

    def _put_if(self, item: Item, condition: str, **values: Any) -> bool:
        """Put `item` if `condition` holds; whether it did (a failed condition is no error
        here: the caller knows what a lost race means)."""
        try:
            self._table.put(item, condition, **values)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            with storage_errors(Entity.STATISTIC):
                raise
        return True

    # ----------------------------------------------------------------------------- classes

    def get_class_index(self, class_id: str, template_id: str, term: str) -> ClassIndex:
        """The statistics a class's records made when last computed (read strongly)."""
        key = keys.class_stats_index(class_id, template_id, term)
        with storage_errors(Entity.STATISTIC):
            item = self._table.get(key.pk, key.sk, consistent=True)
        if item is None:
            return ClassIndex(version=0, statistics={})
        plain = from_item(item)
        return ClassIndex(
            version=plain["version"],
            statistics={
                name: IndexEntry(grade=entry["grade"], digest=entry["digest"])
                for name, entry in plain.get("statistics", {}).items()
            },
        )

    def put_class_index(
        self, class_id: str, template_id: str, term: str, index: ClassIndex, *, read: int
    ) -> bool:
        """Store the class's index if it is still the version `read` was; whether it was (a
        worker that lost the race recomputes: docs/statistics.md)."""
        key = keys.class_stats_index(class_id, template_id, term)
        item = {
            **key._asdict(),
            "item_type": STATS_INDEX,
            "version": index.version,
            "statistics": {
                name: {"grade": e.grade, "digest": e.digest} for name, e in index.statistics.items()
            },
        }
        return self._put_if(
            to_item(item), "attribute_not_exists(pk) OR #version = :read", read=read
        )

    def get_class_statistics(
        self, stats: Iterable[tuple[StatKey, int, str, str]], *, consistent: bool = False
    ) -> dict[StatKey, ClassStatistic]:
        """Class statistics by (stat, grade, school, class); absent ones are left out."""
        wanted = {
            (stat.partition, keys.class_stats_sk(grade, school_id, class_id)): stat
            for stat, grade, school_id, class_id in stats
        }
        with storage_errors(Entity.STATISTIC):
            items = self._table.batch_get(list(wanted), consistent=consistent)
        found = {}
        for item in items:
            stat = wanted[(item["pk"]["S"], item["sk"]["S"])]
            found[stat] = _class_statistic(stat, item)
        return found

    def put_class_statistic(self, statistic: ClassStatistic) -> None:
        with storage_errors(Entity.STATISTIC):
            self._table.put(_class_item(statistic))

    def delete_class_statistic(
        self, stat: StatKey, grade: int, school_id: str, class_id: str
    ) -> None:
        with storage_errors(Entity.STATISTIC):
            self._table.delete(stat.partition, keys.class_stats_sk(grade, school_id, class_id))

    def list_school_grade_classes(
        self, stat: StatKey, grade: int, school_id: str, *, consistent: bool = False
    ) -> list[ClassStatistic]:
        with storage_errors(Entity.STATISTIC):
            items = self._table.query_all(
                stat.partition,
                prefix=keys.class_stats_prefix(grade, school_id),
                consistent=consistent,
            )
        return [_class_statistic(stat, i) for i in items]

    # ----------------------------------------------------------------------------- roll-ups

    def next_epoch(self, stat: StatKey, roll_up_sk: str) -> int:
        """A number from the roll-up's counter, higher than every one taken before."""
        with storage_errors(Entity.STATISTIC):
            item = self._table.update(
                stat.partition,
                keys.epoch_sk(roll_up_sk),
                "ADD #epoch :one",
                names={"#epoch": "epoch"},
                values={":one": 1},
                return_new=True,
            )
        assert item is not None
        return int(item["epoch"]["N"])

    def put_roll_up(self, roll_up: RollUp) -> bool:
        """Write a roll-up unless one of a later epoch is there; whether it was written."""
        return self._put_if(
            _roll_up_item(roll_up),
            "attribute_not_exists(pk) OR #epoch < :epoch",
            epoch=roll_up.epoch,
        )

    def list_parts(
        self, stat: StatKey, prefix: str, *, consistent: bool = False
    ) -> list[tuple[Distribution, float]]:
        """The distributions and full marks of the items a roll-up merges (a school grade's
        classes: `class_stats_prefix`; a district grade's schools: `school_stats_prefix`),
        reading those two attributes only: the district's merge reads ~200 items for each
        statistic an upload changed, and decoding whole items was most of its time."""
        with storage_errors(Entity.STATISTIC):
            items = self._table.query_all(
                stat.partition,
                prefix=prefix,
                consistent=consistent,
                projection=("distribution", "full_marks"),
            )
        return [roll_up_part(i) for i in items]

    def list_school_roll_ups(
        self, stat: StatKey, grade: int, *, consistent: bool = False
    ) -> list[RollUp]:
        """Every school's roll-up of a grade (the district's comparison)."""
        with storage_errors(Entity.STATISTIC):
            items = self._table.query_all(
                stat.partition, prefix=keys.school_stats_prefix(grade), consistent=consistent
            )
        return [_roll_up(stat, i) for i in items]

    def list_district_roll_ups(self, stat: StatKey) -> list[RollUp]:
        """The district's roll-up of every grade that has the statistic."""
        with storage_errors(Entity.STATISTIC):
            items = self._table.query_all(stat.partition, prefix=keys.DISTRICT_STATS_PREFIX)
        return [_roll_up(stat, i) for i in items]

    def get_roll_ups(
        self, wanted: Iterable[tuple[StatKey, int, str | None]]
    ) -> dict[tuple[StatKey, int, str | None], RollUp]:
        """Roll-ups by (stat, grade, school or None for the district's): one BatchGetItem."""
        by_key = {
            (
                stat.partition,
                keys.school_stats_sk(grade, school)
                if school is not None
                else keys.district_stats_sk(grade),
            ): (stat, grade, school)
            for stat, grade, school in wanted
        }
        with storage_errors(Entity.STATISTIC):
            items = self._table.batch_get(list(by_key))
        found = {}
        for item in items:
            place = by_key[(item["pk"]["S"], item["sk"]["S"])]
            found[place] = _roll_up(place[0], item)
        return found

    # ----------------------------------------------------------------------------- catalog

    def put_infos(self, infos: Sequence[StatisticInfo]) -> None:
        items = [
            to_item(
                {
                    "pk": keys.stats_catalog(info.template_id, info.term),
                    "sk": keys.stats_catalog_sk(info.key, info.metric),
                    "item_type": STATISTIC_INFO,
                    **info.model_dump(mode="json", exclude_none=True),
                }
            )
            for info in infos
        ]
        with storage_errors(Entity.STATISTIC):
            self._table.batch_put(items)

    def list_infos(self, template_id: str, term: str) -> list[StatisticInfo]:
        with storage_errors(Entity.STATISTIC):
            items = self._table.query_all(keys.stats_catalog(template_id, term))
        return [_info(i) for i in items]

    # ----------------------------------------------------------------------------- insights

    def put_insights(self, insights: Sequence[Insight]) -> None:
        with storage_errors(Entity.STUDENT):
            self._table.batch_put([_insight_item(i) for i in insights])

    def delete_insights(self, stat: StatKey, student_ids: Iterable[str]) -> None:
        sk = keys.insight_sk(*stat)
        with storage_errors(Entity.STUDENT):
            self._table.batch_delete([(keys.insights_partition(s), sk) for s in student_ids])

    def list_insights(self, student_id: str, template_id: str | None = None) -> list[Insight]:
        """A student's insights (of one template), by term and statistic."""
        prefix = f"{template_id}#" if template_id else None
        with storage_errors(Entity.STUDENT):
            items = self._table.query_all(keys.insights_partition(student_id), prefix=prefix)
        return [_insight(i) for i in items]

    # ----------------------------------------------------------------------------- warnings

    def get_warning_rules(self) -> WarningRules:
        """The district's warning rules (the defaults until it sets its own)."""
        key = keys.warning_rules()
        with storage_errors(Entity.WARNING_RULES):
            item = self._table.get(key.pk, key.sk)
        if item is None:
            return WarningRules()
        plain = {k: v for k, v in from_item(item).items() if k not in {"pk", "sk", "item_type"}}
        return WarningRules.model_validate(plain)

    def put_warning_rules(self, rules: WarningRules) -> None:
        key = keys.warning_rules()
        item = {**key._asdict(), "item_type": WARNING_RULES, **rules.model_dump()}
        with storage_errors(Entity.WARNING_RULES):
            self._table.put(to_item(item))

    def list_class_warnings(self, class_id: str, template_id: str, term: str) -> list[EarlyWarning]:
        with storage_errors(Entity.STATISTIC):
            items = self._table.query_all(
                keys.class_warnings(class_id), prefix=keys.warning_prefix(template_id, term)
            )
        return [_warning(i) for i in items]

    def replace_class_warnings(
        self, class_id: str, template_id: str, term: str, warnings: Sequence[EarlyWarning]
    ) -> int:
        """Make a class's warnings of a template and term exactly `warnings`: new and changed
        ones put, withdrawn ones deleted, unchanged ones left alone. Returns the writes made."""
        partition = keys.class_warnings(class_id)
        prefix = keys.warning_prefix(template_id, term)
        with storage_errors(Entity.STATISTIC):
            existing = {
                i["sk"]["S"]: _warning(i)
                for i in self._table.query_all(partition, prefix=prefix, consistent=True)
            }
        wanted = {f"{prefix}{w.key}": w for w in warnings}
        puts = [
            _warning_item(partition, sk, w)
            for sk, w in wanted.items()
            if sk not in existing or _same_warning(existing[sk], w) is False
        ]
        deletes = [(partition, sk) for sk in existing if sk not in wanted]
        with storage_errors(Entity.STATISTIC):
            self._table.batch_put(puts)
            self._table.batch_delete(deletes)
        return len(puts) + len(deletes)


# ------------------------------------------------------------------------------- items


def roll_up_part(item: Item) -> tuple[Distribution, float]:
    """A roll-up's part as `list_parts` reads it: its distribution and full marks only."""
    return Distribution.from_bytes(_binary(item["distribution"]["B"])), float(
        item["full_marks"]["N"]
    )


def _same_warning(a: EarlyWarning, b: EarlyWarning) -> bool:
    return a.model_dump(exclude={"computed_at"}) == b.model_dump(exclude={"computed_at"})


def _warning_item(partition: str, sk: str, w: EarlyWarning) -> Item:
    return to_item(
        {
            "pk": partition,
            "sk": sk,
            "item_type": EARLY_WARNING,
            **w.model_dump(mode="json"),
        }
    )


def _warning(item: Item) -> EarlyWarning:
    plain = {k: v for k, v in from_item(item).items() if k not in {"pk", "sk", "item_type"}}
    return EarlyWarning.model_validate(plain)


def _summary_attributes(summary: Summary) -> dict[str, Any]:
    return {"summary": summary.model_dump_json()}


def _class_item(s: ClassStatistic) -> Item:
    attributes: dict[str, Any] = {
        "pk": s.stat.partition,
        "sk": keys.class_stats_sk(s.grade, s.school_id, s.class_id),
        "item_type": CLASS_STATISTIC,
        "school_id": s.school_id,
        "class_id": s.class_id,
        "grade": s.grade,
        "full_marks": s.full_marks,
        "values": s.values,
        "statuses": s.statuses,
        "percentiles": s.percentiles,
        "distribution": s.distribution.to_bytes(),
        "digest": s.digest,
        "computed_at": s.computed_at.isoformat(),
        **_summary_attributes(s.summary),
    }
    return to_item(attributes)


def _class_statistic(stat: StatKey, item: Item) -> ClassStatistic:
    raw = item["distribution"]["B"]
    plain = from_item({k: v for k, v in item.items() if k != "distribution"})
    return ClassStatistic(
        stat=stat,
        school_id=plain["school_id"],
        class_id=plain["class_id"],
        grade=plain["grade"],
        full_marks=float(plain["full_marks"]),
        values={k: float(v) for k, v in plain.get("values", {}).items()},
        statuses=dict(plain.get("statuses", {})),
        percentiles={k: float(v) for k, v in plain.get("percentiles", {}).items()},
        distribution=Distribution.from_bytes(_binary(raw)),
        summary=Summary.model_validate_json(plain["summary"]),
        digest=plain["digest"],
        computed_at=datetime.fromisoformat(plain["computed_at"]),
    )


def _roll_up_item(r: RollUp) -> Item:
    sk = (
        keys.school_stats_sk(r.grade, r.school_id)
        if r.school_id is not None
        else keys.district_stats_sk(r.grade)
    )
    attributes: dict[str, Any] = {
        "pk": r.stat.partition,
        "sk": sk,
        "item_type": ROLL_UP,
        "grade": r.grade,
        "full_marks": r.full_marks,
        "distribution": r.distribution.to_bytes(),
        "epoch": r.epoch,
        "computed_at": r.computed_at.isoformat(),
        **_summary_attributes(r.summary),
    }
    if r.school_id is not None:
        attributes["school_id"] = r.school_id
    return to_item(attributes)


def _roll_up(stat: StatKey, item: Item) -> RollUp:
    raw = item["distribution"]["B"]
    plain = from_item({k: v for k, v in item.items() if k != "distribution"})
    return RollUp(
        stat=stat,
        grade=plain["grade"],
        school_id=plain.get("school_id"),
        full_marks=float(plain["full_marks"]),
        distribution=Distribution.from_bytes(_binary(raw)),
        summary=Summary.model_validate_json(plain["summary"]),
        epoch=plain["epoch"],
        computed_at=datetime.fromisoformat(plain["computed_at"]),
    )


def _info(item: Item) -> StatisticInfo:
    plain = {k: v for k, v in from_item(item).items() if k not in {"pk", "sk", "item_type"}}
    return StatisticInfo.model_validate(plain)


def _insight_item(i: Insight) -> Item:
    stat = i.info.stat
    attributes: dict[str, Any] = {
        "pk": keys.insights_partition(i.student_id),
        "sk": keys.insight_sk(*stat),
        "item_type": INSIGHT,
        "student_id": i.student_id,
        "info": i.info.model_dump(mode="json", exclude_none=True),
        "school_id": i.school_id,
        "class_id": i.class_id,
        "grade": i.grade,
        "class_count": i.class_count,
        "computed_at": i.computed_at.isoformat(),
    }
    for name in ("value", "status", "class_percentile"):
        if getattr(i, name) is not None:
            attributes[name] = getattr(i, name)
    return to_item(attributes)


def _insight(item: Item) -> Insight:
    plain = from_item(item)
    return Insight(
        student_id=plain["student_id"],
        info=StatisticInfo.model_validate(plain["info"]),
        school_id=plain["school_id"],
        class_id=plain["class_id"],
        grade=plain["grade"],
        value=None if plain.get("value") is None else float(plain["value"]),
        status=plain.get("status"),
        class_percentile=(
            None if plain.get("class_percentile") is None else float(plain["class_percentile"])
        ),
        class_count=plain["class_count"],
        computed_at=datetime.fromisoformat(plain["computed_at"]),
    )

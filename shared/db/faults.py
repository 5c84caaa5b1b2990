"""Fault reports (报修), their monthly times and the one-day markers (directory table;
`shared.operations.faults` holds the rules):

    FAULT#<id> / FAULT                        the report (gsi1: its reporter's, newest first;
                                              gsi2: the open or the closed, by state, then
                                              creation)
    FAULTS#MONTH#<yyyy-mm> / <created>#<id>   its times, in the month it was made (figures)
    FAULTS#AWAITING / <due>#<id>              while it has no first response, by its deadline
    FAULTS#NUMBERS / YEAR#<yyyy>              the year's counter of report numbers

A report moves by a Put conditional on the revision read, with its times and its marker in the
same transaction: a first response deletes the marker as it is stored, so the overdue check
never alarms about a report answered. Numbers come from an atomic counter (UpdateItem ADD); a
report whose creation then fails leaves a gap in its year's numbers, never a duplicate.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from shared.db import keys
from shared.db.codec import Item, model_item, to_model
from shared.db.dynamo import (
    DEFAULT_PAGE_SIZE,
    Page,
    Table,
    every_page,
    find_model,
    query_models,
    storage_errors,
    transact_delete,
    transact_put,
)
from shared.error_codes import Entity
from shared.exceptions import Conflict, NotFound
from shared.operations.faults import (
    CLOSED,
    AwaitingResponse,
    FaultReport,
    FaultState,
    FaultTimes,
    month_of,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

NOT_EXISTS = "attribute_not_exists(pk)"
Start = Mapping[str, Any] | None


class FaultReportRepository:
    """Reports with their times and markers, and the numbers' counters."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._table = Table(client, table_name)

    def next_number(self, year: int) -> int:
        """The next number of a year's counter (1 for its first report): atomic, so two
        reports made at once never share one."""
        key = keys.fault_numbers(year)
        with storage_errors(Entity.FAULT_REPORT):
            item = self._table.update(
                key.pk,
                key.sk,
                "SET #type = :type ADD #n :one",
                names={"#type": "item_type", "#n": "count"},
                values={":type": keys.FAULT_NUMBERS, ":one": 1},
                return_new=True,
            )
        assert item is not None
        return int(item["count"]["N"])

    def create_report(self, report: FaultReport) -> None:
        """Store a new report with its times and its marker (Conflict ALREADY_EXISTS for a
        known id)."""
        if report.revision != 1 or report.first_response_at is not None:
            raise ValueError("a report starts at revision 1, unanswered")
        taken = Conflict.already_exists(Entity.FAULT_REPORT)
        actions = [
            transact_put(self._table.name, _report_item(report), NOT_EXISTS),
            transact_put(self._table.name, _times_item(report.times)),
            transact_put(self._table.name, _awaiting_item(report)),
        ]
        with storage_errors(Entity.FAULT_REPORT, on_condition=lambda _: taken):
            self._table.transact(actions)

    def get_report(self, report_id: str) -> FaultReport:
        """A report by id, strongly consistent (read before a step); NotFound if none."""
        found = find_model(
            self._table,
            FaultReport,
            keys.fault_report(report_id),
            Entity.FAULT_REPORT,
            consistent=True,
        )
        if found is None:
            raise NotFound(Entity.FAULT_REPORT)
        return found

    def save_report(self, before: FaultReport, after: FaultReport) -> FaultReport:
        """Store `after` (a step of `before`) on condition that the stored report is still at
        `before`'s revision, with its times when they changed and its marker deleted on its
        first response. Conflict CONCURRENT_CHANGE if it moved meanwhile."""
        if before.id != after.id or after.revision != before.revision + 1:
            raise ValueError("a report moves one revision at a time")
        condition = "#revision = :revision"
        actions = [
            transact_put(self._table.name, _report_item(after), condition, revision=before.revision)
        ]
        if after.times != before.times:
            actions.append(transact_put(self._table.name, _times_item(after.times)))
        if before.first_response_at is None and after.first_response_at is not None:
            marker = keys.fault_awaiting(before.response_due_at, before.id)
            actions.append(transact_delete(self._table.name, marker._asdict()))
        changed = Conflict.changed_meanwhile(Entity.FAULT_REPORT)
        with storage_errors(Entity.FAULT_REPORT, on_condition=lambda _: changed):
            if len(actions) == 1:
                self._table.put(_report_item(after), condition, revision=before.revision)
            else:
                self._table.transact(actions)
        return after

    def list_reporter_reports(
        self, user_id: str, *, limit: int = DEFAULT_PAGE_SIZE, start_key: Start = None
    ) -> Page[FaultReport]:
        """The reports a person made, newest first."""
        return query_models(
            self._table,
            FaultReport,
            Entity.FAULT_REPORT,
            keys.reporter_faults(user_id),
            index="gsi1",
            newest_first=True,
            limit=limit,
            start_key=start_key,
        )

    def list_queue(
        self,
        state: FaultState | None = None,
        *,
        owner_id: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        start_key: Start = None,
    ) -> Page[FaultReport]:
        """The operators' queue: every open report (None: received first, then in progress,
        each the longest waiting first), or the reports in one state (an open state the
        longest waiting first, a closed one the newest first); of one owner, if given."""
        closed = state in CLOSED
        return query_models(
            self._table,
            FaultReport,
            Entity.FAULT_REPORT,
            keys.fault_queue(not closed),
            index="gsi2",
            prefix=_queue_prefix(state) if state is not None else None,
            filters={"owner_id": owner_id} if owner_id is not None else None,
            newest_first=closed,
            limit=limit,
            start_key=start_key,
        )

    def list_month_times(self, month: str) -> list[FaultTimes]:
        """The times of every report made in a month (Asia/Shanghai `YYYY-MM`), oldest first:
        a district's month is tens of reports, read in one Query (pages if ever more)."""
        with storage_errors(Entity.FAULT_REPORT):
            items = self._table.query_all(keys.fault_month(month))
        return [to_model(FaultTimes, item) for item in items]

    def list_awaiting(self, until: datetime) -> list[AwaitingResponse]:
        """The reports with no first response whose deadline is at or before `until`, the
        earliest due first: one Query of the markers (pages if ever more)."""

        def page(start: dict[str, Any] | None) -> Page[AwaitingResponse]:
            with storage_errors(Entity.FAULT_REPORT):
                found = self._table.query(
                    keys.FAULTS_AWAITING,
                    between=("0", f"{keys.stamp(until)}#~"),
                    limit=DEFAULT_PAGE_SIZE,
                    start_key=start,
                )
            return Page([to_model(AwaitingResponse, i) for i in found.items], found.next_key)

        return every_page(page)


# The queue's order: what awaits a first response before what is in hand.
_QUEUE_ORDER: Final = {
    FaultState.RECEIVED: 1,
    FaultState.IN_PROGRESS: 2,
    FaultState.RESOLVED: 3,
    FaultState.CANNOT_REPRODUCE: 4,
}


def _queue_prefix(state: FaultState) -> str:
    return f"{_QUEUE_ORDER[state]}#{state.value}#"


def _report_item(report: FaultReport) -> Item:
    created = f"{keys.stamp(report.created_at)}#{report.id}"
    return model_item(
        keys.fault_report(report.id),
        keys.FAULT_REPORT,
        report,
        gsi1pk=keys.reporter_faults(report.reporter_id),
        gsi1sk=created,
        gsi2pk=keys.fault_queue(report.state not in CLOSED),
        gsi2sk=f"{_queue_prefix(report.state)}{created}",
    )


def _times_item(times: FaultTimes) -> Item:
    key = keys.fault_times(month_of(times.created_at), times.created_at, times.report_id)
    return model_item(key, keys.FAULT_TIMES, times)


def _awaiting_item(report: FaultReport) -> Item:
    marker = AwaitingResponse(
        report_id=report.id,
        number=report.number,
        created_at=report.created_at,
        response_due_at=report.response_due_at,
    )
    return model_item(
        keys.fault_awaiting(report.response_due_at, report.id), keys.FAULT_AWAITING, marker
    )

"""The data layer's front door: every repository, built over one injected DynamoDB client.

    clients = AwsClients(AwsSettings())               # the composition root, once
    repos = Repositories.build(clients.dynamodb, table_settings())
    repos.directory.get_user(subject)

Each read serves one access pattern of docs/api-architecture.md with one GetItem or one Query
(`CollectionRepository.list_school_tasks` adds one BatchGetItem); nothing scans. Lists return
a `Page` whose `next_key` the API seals into a signed page token. Errors are domain
exceptions: NotFound, Conflict (ALREADY_EXISTS, STUDENT_NO_TAKEN, STATE_CONFLICT,
CONCURRENT_CHANGE), Unavailable, InvalidInput (PAGE_TOKEN_INVALID for a foreign start key).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.db.audit import AUDIT_RETENTION, AuditRepository
from shared.db.changes import ChangeLogRepository
from shared.db.collection import CollectionRepository
from shared.db.directory import DirectoryRepository
from shared.db.dynamo import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page
from shared.db.faults import FaultReportRepository
from shared.db.heartbeats import HeartbeatRepository
from shared.db.import_runs import ImportCheckpointRepository
from shared.db.ledger import NotificationLedger
from shared.db.progress import ProgressRepository
from shared.db.quality_entries import QualityEntryRepository
from shared.db.records import CorrectionRepository, RecordRepository
from shared.db.reminders import ReminderConfigRepository
from shared.db.roster_jobs import RosterJobRepository
from shared.db.statistics import StatisticsRepository
from shared.db.surveys import SurveyRepository

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from shared.settings import TableSettings


@dataclass(frozen=True, slots=True)
class Repositories:
    directory: DirectoryRepository
    collection: CollectionRepository
    records: RecordRepository
    corrections: CorrectionRepository
    audit: AuditRepository
    progress: ProgressRepository
    reminders: ReminderConfigRepository
    ledger: NotificationLedger
    statistics: StatisticsRepository
    changes: ChangeLogRepository
    roster_jobs: RosterJobRepository
    quality: QualityEntryRepository
    surveys: SurveyRepository
    faults: FaultReportRepository
    heartbeats: HeartbeatRepository
    imports: ImportCheckpointRepository

    @classmethod
    def build(cls, client: DynamoDBClient, tables: TableSettings) -> Repositories:
        """Every repository over one client and the deployed table names."""
        return cls(
            directory=DirectoryRepository(client, tables.directory),
            collection=CollectionRepository(client, tables.directory),
            records=RecordRepository(client, tables.records),
            corrections=CorrectionRepository(client, tables.directory, tables.records),
            audit=AuditRepository(client, tables.audit),
            progress=ProgressRepository(client, tables.directory),
            reminders=ReminderConfigRepository(client, tables.directory),
            ledger=NotificationLedger(client, tables.notifications),
            statistics=StatisticsRepository(client, tables.directory),
            changes=ChangeLogRepository(client, tables.records),
            roster_jobs=RosterJobRepository(client, tables.directory),
            quality=QualityEntryRepository(client, tables.directory),
            surveys=SurveyRepository(client, tables.directory),
            faults=FaultReportRepository(client, tables.directory),
            heartbeats=HeartbeatRepository(client, tables.directory),
            imports=ImportCheckpointRepository(client, tables.directory),
        )


__all__ = [
    "AUDIT_RETENTION",
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "AuditRepository",
    "ChangeLogRepository",
    "CollectionRepository",
    "CorrectionRepository",
    "DirectoryRepository",
    "FaultReportRepository",
    "HeartbeatRepository",
    "NotificationLedger",
    "Page",
    "ProgressRepository",
    "RecordRepository",
    "ReminderConfigRepository",
    "Repositories",
    "RosterJobRepository",
    "StatisticsRepository",
    "SurveyRepository",
]

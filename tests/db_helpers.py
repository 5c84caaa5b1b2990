"""Tables on moto for the data-layer tests, a log of the DynamoDB operations a repository
makes, and builders of valid domain objects."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from moto import mock_aws

from shared.aws import AwsClients
from shared.db.directory import DirectoryRepository
from shared.db.dynamo import Page
from shared.db.repositories import Repositories
from shared.db.tables import create_tables
from shared.domain.models import (
    CollectionTask,
    Correction,
    DistrictScope,
    Provenance,
    Record,
    RecordValue,
    Student,
    Submission,
    record_id_for,
)
from shared.ids import make_national_id
from shared.settings import AwsSettings, TableSettings
from shared.templates import builtin_registry
from shared.templates.model import Template

T = TypeVar("T")

T0 = datetime(2024, 9, 2, 8, 0, tzinfo=UTC)
TERM = "2024-2025-1"
TABLES = TableSettings(
    directory="growth-directory",
    records="growth-records",
    audit="growth-audit",
    notifications="growth-notifications",
)


class ScanRefused(AssertionError):
    pass


@dataclass
class OperationLog:
    """The DynamoDB operations a client sends, by name. A Scan fails the test on the spot."""

    names: list[str] = field(default_factory=list)

    def __call__(self, model: Any, **_: Any) -> None:
        if model.name == "Scan":
            raise ScanRefused("a repository tried to Scan a table")
        self.names.append(model.name)

    def during(self, action: Callable[[], T]) -> tuple[T, list[str]]:
        """Run `action` and return its result with the operations it made."""
        start = len(self.names)
        result = action()
        return result, self.names[start:]


@dataclass
class Db:
    client: Any
    repos: Repositories
    operations: OperationLog


@contextmanager
def moto_db() -> Iterator[Db]:
    """The three tables, created from shared.db.tables on in-process moto, and the
    repositories over a client from the project's own factory."""
    with mock_aws():
        client = AwsClients(AwsSettings(region="cn-north-1")).dynamodb
        create_tables(client, TABLES)
        operations = OperationLog()
        # before-call.dynamodb is the parent of before-call.dynamodb.<Operation>.
        client.meta.events.register("before-call.dynamodb", operations)
        yield Db(client, Repositories.build(client, TABLES), operations)


@contextmanager
def racing(client: Any, operation: str, competitor: Callable[[], object]) -> Iterator[None]:
    """Inside the block, run `competitor` once, just before the next `operation` call is
    sent: another writer whose change lands between our read and our write."""
    pending = [competitor]

    def interleave(**_: Any) -> None:
        if pending:
            pending.pop()()  # popped first: the competitor's own calls pass straight through

    event = f"before-call.dynamodb.{operation}"
    client.meta.events.register(event, interleave, unique_id="racing")
    try:
        yield
    finally:
        client.meta.events.unregister(event, unique_id="racing")


def every_page(
    fetch: Callable[[Mapping[str, Any] | None], Page[T]],
) -> tuple[list[T], int]:
    """Follow next_key to the end; return the items and how many pages it took."""
    items: list[T] = []
    pages = 0
    start: Mapping[str, Any] | None = None
    while True:
        page = fetch(start)
        pages += 1
        items.extend(page.items)
        if page.next_key is None:
            return items, pages
        start = page.next_key


def student_no(n: int) -> str:
    """A valid formal 学籍号 (G + national ID), different for each n < 10,000."""
    birth = date(2012, 1, 1) + timedelta(days=n % 300)
    return "G" + make_national_id("310112", birth, n // 300 + 1)


def a_student(n: int = 1, **changes: Any) -> Student:
    number = student_no(n)
    fields: dict[str, Any] = {
        "id": f"stu{n:04d}",
        "student_no": number,
        "name": f"学生{n}",
        "gender": "男" if int(number[-2]) % 2 else "女",
        "birth_date": date(int(number[7:11]), int(number[11:13]), int(number[13:15])),
        "school_id": "sch1",
        "class_id": "cls1",
        "grade": 7,
        "guardian_consent": True,
    }
    return Student.model_validate({**fields, **changes})


def a_record(
    student_id: str = "stu0001",
    *,
    subject: str | None = "数学",
    assessment: str = "期中",
    template_id: str = "academic-score",
    term: str = TERM,
    school_id: str = "sch1",
    class_id: str = "cls1",
    values: Mapping[str, RecordValue] | None = None,
    row: int = 2,
) -> Record:
    natural_key = {
        "student_no": f"no-of-{student_id}",
        "subject": subject or "",
        "exam": assessment,
    }
    return Record(
        id=record_id_for(template_id, term, natural_key),
        student_id=student_id,
        school_id=school_id,
        class_id=class_id,
        template_id=template_id,
        template_version=1,
        term=term,
        natural_key=natural_key,
        values=dict(values) if values is not None else {"score": 92.5, "full_marks": 100},
        subject=subject,
        provenance=Provenance(
            submission_id="sub1",
            uploaded_by="t1",
            uploaded_at=T0,
            source_key="uploads/sch1/task1/cls1/sub1/成绩.xlsx",
            source_version="v1",
            source_row=row,
        ),
    )


def a_task(task_id: str = "task1", **changes: Any) -> CollectionTask:
    fields: dict[str, Any] = {
        "id": task_id,
        "template_id": "academic-score",
        "template_version": 1,
        "term": TERM,
        "title": "期中成绩上报",
        "deadline": T0 + timedelta(days=30),
        "created_by": "admin1",
        "created_at": T0,
        "scope": DistrictScope(),
    }
    return CollectionTask.model_validate({**fields, **changes})


def a_submission(submission_id: str = "sub1", **changes: Any) -> Submission:
    fields: dict[str, Any] = {
        "id": submission_id,
        "task_id": "task1",
        "school_id": "sch1",
        "class_id": "cls1",
        "uploaded_by": "t1",
        "object_key": f"uploads/sch1/task1/cls1/{submission_id}/成绩.xlsx",
        "created_at": T0,
        "updated_at": T0,
    }
    return Submission.model_validate({**fields, **changes})


def a_correction(record: Record, correction_id: str = "cor1", **changes: Any) -> Correction:
    fields: dict[str, Any] = {
        "id": correction_id,
        "record_id": record.id,
        "student_id": record.student_id,
        "flagged_by": "parent1",
        "reason": "数学期中成绩应为 95 分",
        "responsible_teacher_id": "t1",
        "created_at": T0,
    }
    return Correction.model_validate({**fields, **changes})


def district_template(version: int, template_id: str = "reading-log") -> Template:
    """A district template (a renamed copy of a built-in one)."""
    base = builtin_registry().get("quality-record").model_dump()
    return Template.model_validate(
        {**base, "id": template_id, "version": version, "owner": "district", "name": "阅读记录"}
    )


def directory_on_moto(monkeypatch: Any, region: str) -> Iterator[DirectoryRepository]:
    """The directory table on in-process moto in `region`, for the operators' commands, which
    build their own clients from the environment (region, credentials, no endpoint)."""
    monkeypatch.setenv("AWS_REGION", region)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("GROWTH_AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = AwsClients(AwsSettings(region=region)).dynamodb
        create_tables(client, TABLES)
        yield DirectoryRepository(client, TABLES.directory)

"""Statistics in the tests: classes and their scores put straight into the API world's tables,
the statistics use case over the same repositories, and the real handler behind a rule's queue.

    world = ...api_world()
    school_class(world, "A3", school="A", grade=7)
    put_scores(world, "A3", {"s1": 90, "s2": "缺考"})
    statistics(world).recompute_class("A3", ACADEMIC, TERM)
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from shared.db.repositories import Repositories
from shared.domain.models import Provenance, Record, SchoolClass, Student, record_id_for
from shared.events import DomainEvent, SubmissionValidated, envelope
from shared.exceptions import NotFound
from shared.ids import make_national_id
from shared.statistics.service import Statistics
from tests.api_world import NOW, TERM, World
from tests.pipeline_world import LambdaContext

ACADEMIC = "academic-score"
MATHS_MIDTERM = ("数学", "期中考试", "2024-11-05")
REGION = "cn-north-1"


def statistics(world: World | Repositories) -> Statistics:
    repos = world.repos if isinstance(world, World) else world
    return Statistics(repos, now=lambda: NOW)


def school_class(world: World, class_id: str, *, school: str, grade: int = 7) -> SchoolClass:
    klass = SchoolClass(id=class_id, school_id=school, grade=grade, name=f"{grade}年级{class_id}班")
    world.repos.directory.put_class(klass)
    return klass


def student(world: World, student_id: str, klass: SchoolClass, *, seq: int) -> Student:
    """A student on the class's roster (the 学籍号 from a national id made for the test)."""
    national_id = make_national_id("310112", date(2012, 1 + seq % 12, 1 + seq % 28), seq % 500)
    found = Student(
        id=student_id,
        student_no="G" + national_id,
        name=f"学生{student_id}",
        gender="男" if seq % 2 else "女",
        birth_date=date(2012, 1 + seq % 12, 1 + seq % 28),
        national_id=national_id,
        school_id=klass.school_id,
        class_id=klass.id,
        grade=klass.grade,
        guardian_consent=True,
    )
    world.repos.directory.save_student(found)
    return found


def score_record(
    world: World,
    student_id: str,
    klass: SchoolClass,
    score: float | str,
    *,
    assessment: tuple[str, str, str] = MATHS_MIDTERM,
    full_marks: float = 100.0,
    uploaded_at: datetime = NOW,
    term: str = TERM,
) -> Record:
    """An academic-score record as the pipeline stores it (its natural key apart from its
    values), without a task: it stands alone, as a pushed record does."""
    subject, kind, day = assessment
    try:  # the roster's 学籍号, so the record is the one the pipeline would store
        student_no = world.repos.directory.get_student(student_id).student_no
    except NotFound:
        student_no = f"no-{student_id}"
    key = {
        "student_no": student_no,
        "subject": subject,
        "assessment_type": kind,
        "assessment_date": day,
    }
    return Record(
        id=record_id_for(ACADEMIC, term, key),
        student_id=student_id,
        school_id=klass.school_id,
        class_id=klass.id,
        template_id=ACADEMIC,
        template_version=1,
        term=term,
        natural_key=key,
        subject=subject,
        values={"score": score, "full_marks": full_marks},
        provenance=Provenance(
            submission_id=f"sub-{uploaded_at:%H%M%S%f}",
            uploaded_by="T1",
            uploaded_at=uploaded_at,
            source_key="uploads/test/source",
            source_row=2,
        ),
    )


def put_scores(
    world: World,
    klass: SchoolClass,
    scores: Mapping[str, float | str],
    *,
    assessment: tuple[str, str, str] = MATHS_MIDTERM,
    full_marks: float = 100.0,
) -> list[Record]:
    records = [
        score_record(world, s, klass, v, assessment=assessment, full_marks=full_marks)
        for s, v in scores.items()
    ]
    world.repos.records.put_records(records)
    return records


def validated(**fields: Any) -> SubmissionValidated:
    """A SubmissionValidated of school A's upload sub1 for task1 (fields change any part)."""
    defaults: dict[str, Any] = {
        "occurred_at": NOW,
        "school_id": "A",
        "submission_id": "sub1",
        "task_id": "task1",
        "class_id": "A1",
        "template_id": ACADEMIC,
        "term": TERM,
        "status": "accepted",
        "uploaded_by": "T1",
        "subjects": ["数学"],
        "rows": 1,
        "accepted": 1,
        "rejected": 0,
    }
    return SubmissionValidated(**(defaults | fields))


def invoke(*events: DomainEvent | str) -> dict[str, Any]:
    """The real handler, given events as one SQS batch (as the rule's queue delivers them)."""
    from functions.statistics.handler import handler

    records = [
        {
            "messageId": f"m-{n}",
            "receiptHandle": f"r-{n}",
            "body": e if isinstance(e, str) else json.dumps(envelope(e)),
            "attributes": {
                "ApproximateReceiveCount": "1",
                "SentTimestamp": "0",
                "SenderId": "events",
                "ApproximateFirstReceiveTimestamp": "0",
            },
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": f"arn:aws:sqs:{REGION}:000000000000:statistics-events",
            "awsRegion": REGION,
        }
        for n, e in enumerate(events)
    ]
    context = LambdaContext(
        function_name="statistics",
        memory_limit_in_mb=1024,
        invoked_function_arn=f"arn:aws:lambda:{REGION}:000000000000:function:statistics",
        aws_request_id=uuid.uuid4().hex,
    )
    return dict(handler({"Records": records}, context))


def at(hour: int) -> datetime:
    return datetime(2024, 11, 20, hour, 0, tzinfo=UTC)

"""A small district behind the real API, for the API tests: moto in-process as AWS, the tables
and buckets from the project's own definitions, the development issuer as identity, and the
Chalice app called through its test client as any person in it.

The people and their relationships are chosen so that each role has something of its own, a
neighbour in another class, another school, and another family to be kept away from:

    school A: class A1 (teacher T1 teaches 数学, heads A1) — students S1 (child of guardian G1,
              has a login, consent) and S1b (another family, no consent);
              class A2 (teacher T2) — student S2 (child of guardian G2, consent)
    school B: class B1 (teacher TB) — student SB (child of GB, consent); admin SAB
    S1b is the child of guardian G3
    district admin D; school A admin SA
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from chalice.test import Client
from moto import mock_aws

from chalicelib.context import Context
from shared.access.pages import PageTokens
from shared.aws import AwsClients
from shared.db.repositories import Repositories
from shared.db.tables import create_idempotency_table, create_tables
from shared.domain.models import (
    GuardianLink,
    Provenance,
    Record,
    Role,
    School,
    SchoolClass,
    Student,
    TeachingAssignment,
    User,
    record_id_for,
)
from shared.events import Publisher
from shared.identity.dev_issuer import DevIssuer, generate_key
from shared.identity.tokens import StaticKeys, TokenVerifier
from shared.ids import make_national_id
from shared.integration.idempotency import IdempotencyKeys
from shared.settings import ApiSettings, AwsSettings, TableSettings

TABLES = TableSettings(
    directory="t-directory", records="t-records", audit="t-audit", notifications="t-notifications"
)
SETTINGS = ApiSettings(
    page_token_secret="s" * 40,
    uploads_bucket="t-uploads",
    reports_bucket="t-reports",
    materials_bucket="t-materials",
    district_code="310112",
    event_bus="t-events",
    idempotency_table="t-idempotency",
)
NOW = datetime(2024, 11, 20, 9, 0, tzinfo=UTC)
TERM = "2024-2025-1"


def _student(sid: str, klass: SchoolClass, day: int, seq: int, consent: bool) -> Student:
    national_id = make_national_id("310112", date(2012, 3, day), seq)
    return Student(
        id=sid,
        student_no="G" + national_id,
        name=f"学生{sid}",
        gender="男",
        birth_date=date(2012, 3, day),
        national_id=national_id,
        school_id=klass.school_id,
        class_id=klass.id,
        grade=klass.grade,
        guardian_consent=consent,
    )


def _record(student: Student, subject: str, score: float) -> Record:
    key = {
        "student_no": student.student_no,
        "subject": subject,
        "assessment_type": "期中考试",
        "assessment_date": "2024-11-05",
    }
    return Record(
        id=record_id_for("academic-score", TERM, key),
        student_id=student.id,
        school_id=student.school_id,
        class_id=student.class_id,
        template_id="academic-score",
        template_version=1,
        term=TERM,
        natural_key=key,
        subject=subject,
        values={"score": score, "full_marks": 100.0, "assessment_type": "期中考试"},
        provenance=Provenance(
            submission_id="sub-seed",
            uploaded_by="T1",
            uploaded_at=NOW,
            source_key="uploads/A/task/sub-seed/source",
            source_row=3,
        ),
    )


@dataclass
class World:
    client: Client
    repos: Repositories
    issuer: DevIssuer
    context: Context
    records: dict[str, str] = field(default_factory=dict)  # student id → a record id

    def token(self, user_id: str) -> str:
        return self.issuer.mint(user_id, user_id)

    def call(self, user_id: str | None, method: str, path: str, body: Any = None) -> Any:
        # Accept as browsers and HTTP clients send it (Chalice answers a file only to a caller
        # that accepts one).
        headers = {"Content-Type": "application/json", "Accept": "*/*"}
        if user_id is not None:
            headers["Authorization"] = f"Bearer {self.token(user_id)}"
        payload = None if body is None else json.dumps(body, ensure_ascii=False)
        return getattr(self.client.http, method.lower())(path, headers=headers, body=payload)


def seed(repos: Repositories) -> dict[str, str]:
    d = repos.directory
    for school in (
        School(id="A", name="闵行区实验中学", district_code="310112"),
        School(id="B", name="闵行区莘庄中学", district_code="310112"),
    ):
        d.put_school(school)
    users = [
        User(id="D", role=Role.DISTRICT_ADMIN, name="区管理员"),
        User(id="OP", role=Role.OPERATOR, name="运维"),
        User(
            id="SA",
            role=Role.SCHOOL_ADMIN,
            name="实验校管理员",
            school_id="A",
            mobile="13900000001",
        ),
        User(id="SAB", role=Role.SCHOOL_ADMIN, name="莘庄校管理员", school_id="B"),
        User(id="T1", role=Role.TEACHER, name="王老师", school_id="A", mobile="13900000002"),
        User(id="T2", role=Role.TEACHER, name="李老师", school_id="A"),
        User(id="TB", role=Role.TEACHER, name="赵老师", school_id="B"),
        User(id="G1", role=Role.GUARDIAN, name="家长一", mobile="13812345678"),
        User(id="G2", role=Role.GUARDIAN, name="家长二", mobile="13812345679"),
        User(id="G3", role=Role.GUARDIAN, name="家长三", mobile="13812345670"),
        User(id="GB", role=Role.GUARDIAN, name="家长四", mobile="13812345671"),
        User(id="U1", role=Role.STUDENT, name="学生S1", school_id="A", student_id="S1"),
    ]
    for user in users:
        d.put_user(user)
    a1 = SchoolClass(id="A1", school_id="A", grade=7, name="七年级(1)班", head_teacher_id="T1")
    a2 = SchoolClass(id="A2", school_id="A", grade=7, name="七年级(2)班")
    b1 = SchoolClass(id="B1", school_id="B", grade=7, name="七年级(1)班")
    for klass in (a1, a2, b1):
        d.put_class(klass)
    for teacher, klass in (("T1", a1), ("T2", a2), ("TB", b1)):
        d.put_assignment(
            TeachingAssignment(
                teacher_id=teacher, school_id=klass.school_id, class_id=klass.id, subject="数学"
            )
        )
    students = [
        _student("S1", a1, 1, 11, True),
        _student("S1b", a1, 2, 13, False),
        _student("S2", a2, 3, 15, True),
        _student("SB", b1, 4, 17, True),
    ]
    for student in students:
        d.save_student(student)
    d.put_guardian_link(GuardianLink(guardian_id="G1", student_id="S1", relation="母亲"))
    d.put_guardian_link(GuardianLink(guardian_id="G2", student_id="S2", relation="父亲"))
    d.put_guardian_link(GuardianLink(guardian_id="G3", student_id="S1b", relation="母亲"))
    d.put_guardian_link(GuardianLink(guardian_id="GB", student_id="SB", relation="母亲"))
    record_of = {}
    for student in students:
        record = _record(student, "数学", 88.0)
        repos.records.put_records([record])
        record_of[student.id] = record.id
    return record_of


@lru_cache(maxsize=1)
def _key() -> Any:
    return generate_key()  # one RSA key for the whole test run: generating one takes a while


@contextmanager
def api_world() -> Iterator[World]:
    """The app, wired to a fresh seeded world (in-process moto; nothing leaves the process)."""
    from app import api, app

    with mock_aws():
        clients = AwsClients(AwsSettings(region="cn-north-1"))
        create_tables(clients.dynamodb, TABLES)
        create_idempotency_table(clients.dynamodb, SETTINGS.idempotency_table)
        clients.events.create_event_bus(Name=SETTINGS.event_bus)
        for bucket in (SETTINGS.uploads_bucket, SETTINGS.reports_bucket, SETTINGS.materials_bucket):
            clients.s3.create_bucket(
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "cn-north-1"}
            )
        repos = Repositories.build(clients.dynamodb, TABLES)
        issuer = DevIssuer(
            _key(),
            issuer="http://127.0.0.1:8000/dev-issuer",
            audience="growth-local",
            clock=lambda: datetime.now(UTC),
        )
        verifier = TokenVerifier(
            issuer=issuer.issuer,
            audience=issuer.audience,
            keys=StaticKeys(issuer.jwks()),
            leeway=timedelta(seconds=30),
        )
        context = Context(
            repos=repos,
            verifier=verifier,
            pages=PageTokens(SETTINGS.page_token_secret.get_secret_value().encode()),
            s3=clients.s3,
            settings=SETTINGS,
            events=Publisher(clients.events, SETTINGS.event_bus),
            now=lambda: NOW,
            idempotency_keys=IdempotencyKeys(clients.dynamodb, SETTINGS.idempotency_table),
        )
        records = seed(repos)
        api.use(context)
        try:
            with Client(app) as client:
                yield World(client, repos, issuer, context, records)
        finally:
            api.use(None)

"""Every access pattern of docs/api-architecture.md is one GetItem or one Query — never a
Scan — and the page positions handed to clients carry no personal data."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any, get_type_hints

import pytest

from shared.db.keys import change_log_until
from shared.db.repositories import Repositories
from shared.domain.models import (
    AuditAction,
    AuditEvent,
    GuardianLink,
    MachineClient,
    Role,
    School,
    SchoolClass,
    TaskTarget,
    TeachingAssignment,
    TemplateRetirement,
    User,
)
from shared.error_codes import ErrorCode
from shared.exceptions import InvalidInput
from shared.materials.entries import EntryStatus
from shared.operations.faults import FaultState
from shared.operations.surveys import FollowUpStatus
from shared.progress.model import class_progress, todo_entries, todo_key
from shared.reminders.calendar import DistrictCalendar
from shared.reminders.settings import ReminderSettings
from shared.statistics.model import StatKey
from tests.db_helpers import (
    T0,
    TERM,
    Db,
    ScanRefused,
    a_correction,
    a_record,
    a_student,
    a_submission,
    a_task,
    district_template,
    moto_db,
)


@pytest.fixture(scope="module")
def db() -> Iterator[Db]:
    # One populated district for every pattern (the reads change nothing).
    with moto_db() as db:
        populate(db.repos)
        yield db


def populate(repos: Repositories) -> None:
    directory, collection = repos.directory, repos.collection
    directory.put_school(School(id="sch1", name="实验中学", district_code="310112"))
    directory.put_client(
        MachineClient(
            id="sis-1",
            name="区成绩管理系统",
            scopes=["ingest:academic-score"],
            all_schools=True,
            created_by="d1",
            created_at=T0,
            updated_at=T0,
        )
    )
    directory.put_class(SchoolClass(id="cls1", school_id="sch1", grade=7, name="七(1)"))
    directory.put_user(User(id="t1", role=Role.TEACHER, name="王老师", school_id="sch1"))
    directory.put_user(User(id="parent1", role=Role.GUARDIAN, name="家长"))
    directory.put_assignment(
        TeachingAssignment(teacher_id="t1", school_id="sch1", class_id="cls1", subject="数学")
    )
    for n in range(1, 4):
        directory.save_student(a_student(n))
    directory.put_guardian_link(
        GuardianLink(guardian_id="parent1", student_id="stu0001", relation="母亲")
    )
    collection.put_template(district_template(1))
    collection.put_template(district_template(1, "old-log"))
    collection.retire_template(
        TemplateRetirement(template_id="old-log", retired_at=T0, retired_by="admin1")
    )
    collection.create_task(
        a_task(), [TaskTarget(task_id="task1", school_id="sch1", class_id="cls1", teacher_id="t1")]
    )
    collection.create_submission(a_submission())
    record = a_record()
    repos.records.put_records([record, a_record("stu0002")])
    repos.records.change_record(record, {"score": 99}, by="t1", at=T0, reason="更正")
    repos.corrections.open_correction(a_correction(record))
    repos.audit.append(
        AuditEvent(
            at=T0,
            actor_id="t1",
            actor_role=Role.TEACHER,
            action=AuditAction.READ_RECORDS,
            school_id="sch1",
        )
    )
    populate_progress(repos)
    populate_reminders(repos)
    populate_statistics(repos)
    populate_change_log(repos)
    populate_roster_jobs(repos)
    populate_import_run(repos)
    populate_quality(repos)
    populate_surveys(repos)
    populate_faults(repos)


def populate_quality(repos: Repositories) -> None:
    """A student's 写实记录 in 公示 with an attachment and an objection."""
    from shared.materials.entries import (
        Attachment,
        EntryStep,
        NoticeWindow,
        Objection,
        QualityEntry,
        StepAction,
    )

    step = EntryStep(action=StepAction.CREATE, by="u-stu", at=T0)
    entry = QualityEntry(
        id="entry1",
        student_id="stu0001",
        school_id="sch1",
        class_id="cls1",
        term=TERM,
        template_version=1,
        values={"area": "品德发展与公民素养"},
        author_id="u-stu",
        created_at=T0,
        updated_at=T0,
        steps=[step],
    )
    repos.quality.create_entry(entry)
    repos.quality.add_attachment(
        Attachment(
            id="att1",
            entry_id="entry1",
            student_id="stu0001",
            filename="证书.jpg",
            created_at=T0,
            created_by="u-stu",
        )
    )
    submitted = entry.submit(step, school_id=entry.school_id, class_id=entry.class_id)
    repos.quality.save_entry(entry, submitted)
    window = NoticeWindow(opens_on=T0.date(), closes_on=T0.date(), school_days=1)
    approved = submitted.approve(step, window)
    repos.quality.save_entry(submitted, approved)
    objection = Objection(
        id="obj1",
        entry_id="entry1",
        raised_by="u-g",
        raised_role=Role.GUARDIAN,
        reason="有误",
        created_at=T0,
    )
    repos.quality.save_entry(approved, approved.objected(step, T0.date()), objection=objection)


def populate_faults(repos: Repositories) -> None:
    """Two fault reports of a month: one awaiting its first response, one taken by an
    operator."""
    from shared.access.policy import Principal
    from shared.operations.fault_desk import FaultDesk

    desk = FaultDesk(repos, now=lambda: T0)
    reporter = Principal(user=User(id="t1", role=Role.TEACHER, name="王老师", school_id="sch1"))
    operator = Principal(user=User(id="op1", role=Role.OPERATOR, name="运维"))
    repos.directory.put_user(operator.user)
    for _ in range(2):
        made = desk.report(reporter, activity="上传成绩", description="一直转圈", page="/staff")
    desk.act(operator, made.id, "take")
    FAULTS["taken"] = made.id


# The ids of what populate_faults made (a report's id is random).
FAULTS: dict[str, str] = {}


def populate_surveys(repos: Repositories) -> None:
    """A survey with a 差评 that says why (an answer, its counters, its follow-up), and
    sch1's census."""
    from shared.operations.surveys import (
        Aspect,
        FollowUp,
        Level,
        RespondentGroup,
        SchoolCensus,
        Survey,
        SurveyAnswer,
        SurveySettings,
    )

    repos.surveys.put_settings(SurveySettings())
    survey = repos.surveys.begin_survey(
        Survey(id="2024-12", opens_on=T0.date(), closes_on=T0.date() + timedelta(days=20))
    )
    answer = SurveyAnswer(
        id="answer1",
        survey_id=survey.id,
        group=RespondentGroup.STAFF,
        school_id="sch1",
        levels=dict.fromkeys(Aspect, Level.DISSATISFIED),
        text="导入太慢",
    )
    repos.surveys.record_answer("t1", answer, FollowUp.of(answer, "followup1"))
    repos.surveys.put_census(
        SchoolCensus(
            survey_id=survey.id,
            school_id="sch1",
            eligible=dict.fromkeys(RespondentGroup, 3),
            taken_on=T0.date(),
        )
    )


def populate_roster_jobs(repos: Repositories) -> None:
    """A machine client's roster import, waiting for its bundle."""
    from shared.domain.roster_jobs import RosterImportJob

    repos.roster_jobs.create_job(
        RosterImportJob(
            id="job1",
            client_id="sis-1",
            object_key="rosters/job1/bundle.zip",
            created_at=T0,
            updated_at=T0,
        )
    )


def populate_import_run(repos: Repositories) -> None:
    """A large upload's import, staged and at its first slice."""
    from shared.domain.import_runs import Finishing, ImportCheckpoint
    from shared.domain.models import RowCounts, SubmissionStatus

    counts = RowCounts(total=10_000, accepted=10_000, rejected=0)
    repos.imports.start(
        ImportCheckpoint(
            submission_id="sub1",
            source="v1",
            rows=10_000,
            slice_rows=5_000,
            finishing=Finishing(status=SubmissionStatus.ACCEPTED, counts=counts),
            started_at=T0,
            updated_at=T0,
        )
    )


def populate_change_log(repos: Repositories) -> None:
    """A flipped upload of task1's 数学 in cls1, and the change log's item for it."""
    from shared.db.changes import ChangeLogItem

    repos.records.flip_generation("task1", "cls1", "sub1", created_at=T0, subjects=["数学"])
    repos.changes.put_changes(
        [
            ChangeLogItem(
                template_id="academic-score",
                at=T0,
                change_id="sub1",
                chunk=0,
                term=TERM,
                school_id="sch1",
                class_id="cls1",
                task_id="task1",
                subject="数学",
                generation="sub1",
                upserted=[a_record().id],
            )
        ]
    )


def populate_statistics(repos: Repositories) -> None:
    """cls1's 数学 midterm for two of its three students, and what the statistics function keeps
    of it (a missing-record warning for the third)."""
    from shared.domain.models import Provenance, Record, record_id_for
    from shared.statistics.service import Statistics

    for student_id, score in (("stu0001", 90.0), ("stu0002", 70.0)):
        key = {
            "student_no": f"no-{student_id}",
            "subject": "数学",
            "assessment_type": "期中考试",
            "assessment_date": "2024-11-05",
        }
        record = Record(
            id=record_id_for("academic-score", TERM, key),
            student_id=student_id,
            school_id="sch1",
            class_id="cls1",
            template_id="academic-score",
            template_version=1,
            term=TERM,
            natural_key=key,
            subject="数学",
            values={"score": score, "full_marks": 100},
            provenance=Provenance(
                submission_id="sub-stats",
                uploaded_by="t1",
                uploaded_at=T0,
                source_key="uploads/x",
                source_row=2,
            ),
        )
        repos.records.put_records([record])
    Statistics(repos, now=lambda: T0).recompute_class("cls1", "academic-score", TERM)


def populate_reminders(repos: Repositories) -> None:
    """A district admin, the reminder settings and a calendar, and a ledger entry of t1's."""
    repos.directory.put_user(User(id="admin1", role=Role.DISTRICT_ADMIN, name="区管理员"))
    repos.reminders.put_settings(ReminderSettings())
    repos.reminders.put_calendar(DistrictCalendar(year=2024))
    repos.ledger.claim(
        [("t1", "task1", "one_day", T0.date())],
        digest_id="digest1",
        channel="email",
        run_at=T0,
        now=T0,
    )


def populate_progress(repos: Repositories) -> None:
    """The aggregates the progress function keeps for task1's class cls1 (its teacher t1)."""
    task = a_task()
    targets = [TaskTarget(task_id="task1", school_id="sch1", class_id="cls1", teacher_id="t1")]
    computed = class_progress(
        task,
        school_id="sch1",
        class_id="cls1",
        class_name="七(1)",
        targets=targets,
        submissions=[],
        previous=None,
        now=T0,
    )
    progress = repos.progress
    progress.put_class_progress(computed)
    progress.set_todo("sch1", "t1", {todo_key("task1", "cls1"): todo_entries(task, computed)["t1"]})
    school = progress.set_class_counts("task1", "sch1", {"cls1": computed.class_counts()}, at=T0)
    assert school is not None
    progress.set_school_counts(task, {"sch1": school.counts()}, at=T0)


RECORD_ID = a_record().id
MIDTERM = StatKey("academic-score", TERM, "数学~期中考试~2024-11-05", "score")
SINCE, UNTIL = T0 - timedelta(days=1), T0 + timedelta(days=1)
GET, QUERY, BATCH_GET = ["GetItem"], ["Query"], ["BatchGetItem"]

# (pattern number in docs/api-architecture.md, repository method, call, operations it may make)
PATTERNS: list[tuple[int, str, Callable[[Repositories], Any], list[str]]] = [
    (1, "directory.get_school", lambda r: r.directory.get_school("sch1"), GET),
    (1, "directory.list_schools", lambda r: r.directory.list_schools("310112"), QUERY),
    (2, "directory.get_class", lambda r: r.directory.get_class("cls1"), GET),
    (2, "directory.list_classes", lambda r: r.directory.list_classes("sch1"), QUERY),
    (3, "directory.get_user", lambda r: r.directory.get_user("t1"), GET),
    (3, "directory.get_user_relations", lambda r: r.directory.get_user_relations("t1"), QUERY),
    (4, "directory.list_staff", lambda r: r.directory.list_staff("sch1"), QUERY),
    (
        5,
        "directory.list_teacher_assignments",
        lambda r: r.directory.list_teacher_assignments("t1"),
        QUERY,
    ),
    (
        6,
        "directory.list_class_assignments",
        lambda r: r.directory.list_class_assignments("cls1"),
        QUERY,
    ),
    (7, "directory.list_class_students", lambda r: r.directory.list_class_students("cls1"), QUERY),
    (
        7,
        "directory.list_school_students",
        lambda r: r.directory.list_school_students("sch1"),
        QUERY,
    ),
    (8, "directory.get_student", lambda r: r.directory.get_student("stu0001"), GET),
    (
        8,
        "directory.get_student_by_no",
        lambda r: r.directory.get_student_by_no(a_student(1).student_no),
        GET,
    ),
    (
        8,
        "directory.get_students_by_nos",
        lambda r: r.directory.get_students_by_nos([a_student(2).student_no]),
        ["BatchGetItem"],
    ),
    (9, "directory.list_children", lambda r: r.directory.list_children("parent1"), QUERY),
    (9, "directory.list_guardians", lambda r: r.directory.list_guardians("stu0001"), QUERY),
    (10, "collection.list_templates", lambda r: r.collection.list_templates(), QUERY),
    (10, "collection.get_template", lambda r: r.collection.get_template("reading-log", 1), GET),
    (10, "collection.get_template", lambda r: r.collection.get_template("reading-log"), QUERY),
    (
        10,
        "collection.get_template_retirement",
        lambda r: r.collection.get_template_retirement("old-log"),
        GET,
    ),
    (
        10,
        "collection.list_template_retirements",
        lambda r: r.collection.list_template_retirements(),
        QUERY,
    ),
    (11, "collection.get_task", lambda r: r.collection.get_task("task1"), GET),
    (11, "collection.list_district_tasks", lambda r: r.collection.list_district_tasks(), QUERY),
    (
        11,
        "collection.list_school_tasks",
        lambda r: r.collection.list_school_tasks("sch1"),
        ["Query", "BatchGetItem"],
    ),
    (11, "collection.list_task_targets", lambda r: r.collection.list_task_targets("task1"), QUERY),
    (
        11,
        "collection.list_teacher_targets",
        lambda r: r.collection.list_teacher_targets("t1"),
        QUERY,
    ),
    (12, "collection.get_submission", lambda r: r.collection.get_submission("sub1"), GET),
    (
        12,
        "collection.list_task_submissions",
        lambda r: r.collection.list_task_submissions("task1", school_id="sch1", class_id="cls1"),
        QUERY,
    ),
    (
        12,
        "collection.get_current_submission",
        lambda r: r.collection.get_current_submission("task1", "sch1", "cls1"),
        QUERY,
    ),
    # A record's versions (one per upload) are one Query; a task's record adds one BatchGet
    # of the current pointers (this one has no task).
    (13, "records.get_record", lambda r: r.records.get_record(RECORD_ID), ["Query"]),
    (13, "records.get_records", lambda r: r.records.get_records([RECORD_ID]), ["Query"]),
    (
        13,
        "records.list_student_records",
        lambda r: r.records.list_student_records(
            "stu0001", template_id="academic-score", term=TERM, subject="数学"
        ),
        QUERY,
    ),
    (
        13,
        "records.list_class_records",
        lambda r: r.records.list_class_records("cls1", "academic-score", TERM),
        QUERY,
    ),
    (
        13,
        "records.list_school_records",
        lambda r: r.records.list_school_records("sch1", "academic-score", TERM),
        QUERY,
    ),
    (14, "records.list_record_history", lambda r: r.records.list_record_history(RECORD_ID), QUERY),
    (15, "corrections.get_correction", lambda r: r.corrections.get_correction("cor1"), GET),
    (
        15,
        "corrections.list_open_corrections",
        lambda r: r.corrections.list_open_corrections("t1"),
        QUERY,
    ),
    (
        15,
        "corrections.list_flagged_corrections",
        lambda r: r.corrections.list_flagged_corrections("parent1"),
        QUERY,
    ),
    (
        17,
        "progress.get_class_progress",
        lambda r: r.progress.get_class_progress("task1", "sch1", "cls1"),
        GET,
    ),
    (
        17,
        "progress.list_class_progress",
        lambda r: r.progress.list_class_progress("task1", "sch1"),
        QUERY,
    ),
    (17, "progress.get_task_progress", lambda r: r.progress.get_task_progress("task1"), GET),
    (
        17,
        "progress.list_task_aggregates",
        lambda r: r.progress.list_task_aggregates("task1"),
        QUERY,
    ),
    (
        17,
        "progress.list_district_progress",
        lambda r: r.progress.list_district_progress(TERM),
        QUERY,
    ),
    (18, "progress.get_workload", lambda r: r.progress.get_workload("sch1", "t1"), GET),
    (18, "progress.list_workloads", lambda r: r.progress.list_workloads("sch1"), QUERY),
    (
        16,
        "audit.list_events",
        lambda r: r.audit.list_events("sch1", since=SINCE, until=UNTIL),
        QUERY,
    ),
    (19, "reminders.get_settings", lambda r: r.reminders.get_settings(), GET),
    (19, "reminders.get_calendar", lambda r: r.reminders.get_calendar(2024), GET),
    (19, "directory.list_district_admins", lambda r: r.directory.list_district_admins(), QUERY),
    (
        20,
        "ledger.list_entries",
        lambda r: r.ledger.list_entries("t1", since=T0.date(), until=T0.date()),
        QUERY,
    ),
    (
        21,
        "statistics.get_class_index",
        lambda r: r.statistics.get_class_index("cls1", "academic-score", TERM).statistics,
        GET,
    ),
    (
        21,
        "statistics.get_class_statistics",
        lambda r: r.statistics.get_class_statistics([(MIDTERM, 7, "sch1", "cls1")]),
        BATCH_GET,
    ),
    (
        21,
        "statistics.list_school_grade_classes",
        lambda r: r.statistics.list_school_grade_classes(MIDTERM, 7, "sch1"),
        QUERY,
    ),
    (21, "statistics.list_parts", lambda r: r.statistics.list_parts(MIDTERM, "S#G07#"), QUERY),
    (
        21,
        "statistics.get_roll_ups",
        lambda r: r.statistics.get_roll_ups([(MIDTERM, 7, "sch1"), (MIDTERM, 7, None)]),
        BATCH_GET,
    ),
    (
        21,
        "statistics.list_school_roll_ups",
        lambda r: r.statistics.list_school_roll_ups(MIDTERM, 7),
        QUERY,
    ),
    (
        21,
        "statistics.list_district_roll_ups",
        lambda r: r.statistics.list_district_roll_ups(MIDTERM),
        QUERY,
    ),
    (21, "statistics.list_infos", lambda r: r.statistics.list_infos("academic-score", TERM), QUERY),
    (21, "statistics.list_insights", lambda r: r.statistics.list_insights("stu0001"), QUERY),
    (
        21,
        "statistics.list_class_warnings",
        lambda r: r.statistics.list_class_warnings("cls1", "academic-score", TERM),
        QUERY,
    ),
    (21, "statistics.get_warning_rules", lambda r: r.statistics.get_warning_rules(), GET),
    (22, "directory.get_client", lambda r: r.directory.get_client("sis-1"), GET),
    (22, "directory.list_clients", lambda r: r.directory.list_clients(), QUERY),
    (
        24,
        "changes.list_changes",
        lambda r: r.changes.list_changes("academic-score", until=change_log_until(T0)),
        QUERY,
    ),
    (
        24,
        "changes.get_record_versions",
        lambda r: r.changes.get_record_versions([(RECORD_ID, "sub1")]),
        BATCH_GET,
    ),
    (
        24,
        "changes.get_current_generations",
        lambda r: r.changes.get_current_generations([("task1", "cls1", "数学")]),
        BATCH_GET,
    ),
    (23, "roster_jobs.get_job", lambda r: r.roster_jobs.get_job("job1"), GET),
    (28, "imports.get_checkpoint", lambda r: r.imports.get_checkpoint("sub1"), GET),
    (25, "quality.get_entry", lambda r: r.quality.get_entry("entry1"), GET),
    (25, "quality.get_entry_parts", lambda r: r.quality.get_entry_parts("entry1"), QUERY),
    (25, "quality.get_attachment", lambda r: r.quality.get_attachment("entry1", "att1"), GET),
    (
        25,
        "quality.list_student_entries",
        lambda r: r.quality.list_student_entries("stu0001", term=TERM),
        QUERY,
    ),
    (
        25,
        "quality.list_class_entries",
        lambda r: r.quality.list_class_entries("cls1", EntryStatus.IN_NOTICE),
        QUERY,
    ),
    (
        25,
        "quality.list_raised_objections",
        lambda r: r.quality.list_raised_objections("u-g"),
        QUERY,
    ),
    (25, "quality.list_counts", lambda r: r.quality.list_counts(TERM), QUERY),
    (25, "quality.get_settings", lambda r: r.quality.get_settings(), GET),
    (25, "quality.list_pending", lambda r: r.quality.list_pending(), QUERY),
    (27, "surveys.get_settings", lambda r: r.surveys.get_settings(), GET),
    (27, "surveys.get_survey", lambda r: r.surveys.get_survey("2024-12"), GET),
    (27, "surveys.list_surveys", lambda r: r.surveys.list_surveys(), QUERY),
    (27, "surveys.list_tallies", lambda r: r.surveys.list_tallies("2024-12"), QUERY),
    (27, "surveys.list_census", lambda r: r.surveys.list_census("2024-12"), QUERY),
    (27, "surveys.get_follow_up", lambda r: r.surveys.get_follow_up("followup1"), GET),
    (
        27,
        "surveys.list_follow_ups",
        lambda r: r.surveys.list_follow_ups(FollowUpStatus.OPEN),
        QUERY,
    ),
    (26, "directory.list_operators", lambda r: r.directory.list_operators(), QUERY),
    (26, "faults.get_report", lambda r: r.faults.get_report(FAULTS["taken"]), GET),
    (26, "faults.list_reporter_reports", lambda r: r.faults.list_reporter_reports("t1"), QUERY),
    (26, "faults.list_queue", lambda r: r.faults.list_queue(FaultState.IN_PROGRESS), QUERY),
    (26, "faults.list_month_times", lambda r: r.faults.list_month_times("2024-09"), QUERY),
    (26, "faults.list_awaiting", lambda r: r.faults.list_awaiting(T0 + timedelta(days=9)), QUERY),
]


@pytest.mark.parametrize(
    ("pattern", "name", "call", "expected"),
    PATTERNS,
    ids=[f"{p[0]:02d}-{p[1]}" for p in PATTERNS],
)
def test_each_pattern_is_one_get_or_query_and_finds_its_items(
    db: Db, pattern: int, name: str, call: Callable[[Repositories], Any], expected: list[str]
) -> None:
    # When the pattern is served (a Scan would raise ScanRefused inside the client)
    result, operations = db.operations.during(lambda: call(db.repos))
    # Then it made exactly the expected calls and found what the district holds
    assert operations == expected
    items = getattr(result, "items", result)
    assert items not in (None, [], {}), f"pattern {pattern} found nothing"


def test_every_read_function_is_covered_by_the_pattern_table() -> None:
    # A new get_/list_ function must join PATTERNS, and so be shown to make no Scan.
    readers = {
        f"{field}.{name}"
        for field, repository in get_type_hints(Repositories).items()
        for name in vars(repository)
        if name.startswith(("get_", "list_"))
    }
    assert readers == {name for _, name, _, _ in PATTERNS}


def test_a_scan_fails_the_test_run(db: Db) -> None:
    with pytest.raises(ScanRefused):
        db.client.scan(TableName="growth-directory")


def test_page_positions_carry_no_personal_data(db: Db) -> None:
    # Given lists that continue on a next page
    students = db.repos.directory.list_class_students("cls1", limit=1)
    records = db.repos.records.list_class_records("cls1", "academic-score", TERM, limit=1)
    for page in (students, records):
        # Then the position handed out (inside a signed token) names no 学籍号, ID or name
        assert page.next_key is not None
        text = json.dumps(page.next_key, ensure_ascii=False)
        for n in range(1, 4):
            student = a_student(n)
            assert student.student_no not in text
            assert student.student_no[1:] not in text
            assert student.name not in text


def test_a_page_position_from_another_list_is_refused(db: Db) -> None:
    # Given a position from class cls1's students
    position = db.repos.directory.list_class_students("cls1", limit=1).next_key
    assert position is not None
    # When it is offered to another class's list
    with pytest.raises(InvalidInput) as caught:
        db.repos.directory.list_class_students("other-class", start_key=position)
    # Then it is refused as an invalid page token
    assert caught.value.code is ErrorCode.PAGE_TOKEN_INVALID

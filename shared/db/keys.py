"""Every storage key format, once. docs/dynamodb.md shows the same table.

Keys are built from opaque ids, template ids, terms, grades, subjects, roles and timestamps
only: never from a name, a 学籍号 or a national ID (the one exception, the 学籍号 claim item,
is only ever read by GetItem, so its key never appears in a page's LastEvaluatedKey). A page
position can therefore be handed to a client inside a signed token without leaking personal
data. `#` separates the parts; ids and subjects may not contain it (the models refuse it).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Final, NamedTuple

# Item types, stored as `item_type` so that a dump of a table reads by itself.
SCHOOL: Final = "school"
CLASS: Final = "class"
HEAD_TEACHER: Final = "head_teacher"
USER: Final = "user"
ASSIGNMENT: Final = "assignment"
STUDENT: Final = "student"
STUDENT_NO: Final = "student_no"
GUARDIAN_LINK: Final = "guardian_link"
TEMPLATE: Final = "template"
TEMPLATE_RETIREMENT: Final = "template_retirement"
TASK: Final = "task"
TASK_SCHOOL: Final = "task_school"
TARGET: Final = "target"
SUBMISSION: Final = "submission"
CORRECTION: Final = "correction"
RECORD: Final = "record"
RECORD_CHANGE: Final = "record_change"
AUDIT_EVENT: Final = "audit_event"
REMINDER_SETTINGS: Final = "reminder_settings"
DISTRICT_CALENDAR: Final = "district_calendar"
NOTIFICATION: Final = "notification"
CLASS_PROGRESS: Final = "class_progress"
SCHOOL_PROGRESS: Final = "school_progress"
TASK_PROGRESS: Final = "task_progress"
TEACHER_WORKLOAD: Final = "teacher_workload"
MACHINE_CLIENT: Final = "machine_client"
SCHOOL_CLOSED_MARK: Final = "school_closed_mark"
CHANGE_LOG: Final = "change_log"
ROSTER_JOB: Final = "roster_job"
IMPORT_CHECKPOINT: Final = "import_checkpoint"
QUALITY_ENTRY: Final = "quality_entry"
ATTACHMENT: Final = "attachment"
OBJECTION: Final = "objection"
NOTICE_DUE: Final = "notice_due"
QUALITY_SETTINGS: Final = "quality_settings"
QUALITY_PENDING: Final = "quality_pending"
SURVEY: Final = "survey"
SURVEY_SETTINGS: Final = "survey_settings"
SURVEY_RESPONDED: Final = "survey_responded"
SURVEY_ANSWER: Final = "survey_answer"
SURVEY_TALLY: Final = "survey_tally"
SURVEY_CENSUS: Final = "survey_census"
SURVEY_FOLLOW_UP: Final = "survey_follow_up"
HEARTBEAT: Final = "heartbeat"
FAULT_REPORT: Final = "fault_report"
FAULT_TIMES: Final = "fault_times"
FAULT_AWAITING: Final = "fault_awaiting"
FAULT_NUMBERS: Final = "fault_numbers"


class Key(NamedTuple):
    pk: str
    sk: str


def stamp(moment: datetime) -> str:
    """A timestamp for a sort key: UTC, fixed width, so that text order is time order."""
    if moment.tzinfo is None:
        raise ValueError("timestamps in keys must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# ---- directory table: base keys


def school(school_id: str) -> Key:
    return Key(f"SCHOOL#{school_id}", "SCHOOL")


def school_class(class_id: str) -> Key:
    return Key(f"CLASS#{class_id}", "CLASS")


def user(user_id: str) -> Key:
    return Key(f"USER#{user_id}", "USER")


def user_partition(user_id: str) -> str:
    """A user's item collection: the user, and every relationship access control follows."""
    return f"USER#{user_id}"


def assignment(teacher_id: str, class_id: str, subject: str) -> Key:
    return Key(user_partition(teacher_id), f"ASSIGN#{class_id}#{subject}")


def head_teacher(teacher_id: str, class_id: str) -> Key:
    return Key(user_partition(teacher_id), f"HEAD#{class_id}")


def guardian_link(guardian_id: str, student_id: str) -> Key:
    return Key(user_partition(guardian_id), f"CHILD#{student_id}")


def school_closed_mark(user_id: str, school_id: str) -> Key:
    """In a member of staff's partition: their school `school_id` is closed (read with their
    relationships, so refusing them costs no second read)."""
    return Key(user_partition(user_id), f"CLOSED#{school_id}")


ASSIGNMENT_PREFIX: Final = "ASSIGN#"
HEAD_TEACHER_PREFIX: Final = "HEAD#"
CHILD_PREFIX: Final = "CHILD#"
SCHOOL_CLOSED_PREFIX: Final = "CLOSED#"


def student(student_id: str) -> Key:
    return Key(f"STUDENT#{student_id}", "STUDENT")


def student_no_claim(student_no: str) -> Key:
    return Key(f"STUDENT_NO#{student_no}", "STUDENT_NO")


def template(template_id: str, version: int) -> Key:
    return Key(f"TEMPLATE#{template_id}", f"V#{version:06d}")


def template_partition(template_id: str) -> str:
    return f"TEMPLATE#{template_id}"


TEMPLATE_VERSION_PREFIX: Final = "V#"


def template_retirement(template_id: str) -> Key:
    """Beside the versions: present once the template is retired (sorts before `V#`)."""
    return Key(template_partition(template_id), "RETIRED")


def task(task_id: str) -> Key:
    return Key(f"TASK#{task_id}", "TASK")


def task_school(task_id: str, school_id: str) -> Key:
    return Key(f"TASK#{task_id}", f"SCHOOL#{school_id}")


def target(
    task_id: str, school_id: str, class_id: str, subject: str | None, teacher_id: str | None
) -> Key:
    """`TARGET#sch#cls#[subject#]teacher`: a subject target has one more part, so that
    (cls, 数学) and (cls, 语文) are distinct items and targets without a subject keep the key
    they always had (neither ids nor subjects hold `#`, so the two shapes never meet)."""
    subject_part = f"{subject}#" if subject is not None else ""
    return Key(
        f"TASK#{task_id}", f"{target_prefix(school_id)}{class_id}#{subject_part}{teacher_id or ''}"
    )


def target_prefix(school_id: str | None = None) -> str:
    return "TARGET#" if school_id is None else f"TARGET#{school_id}#"


def submission(submission_id: str) -> Key:
    return Key(f"SUBMISSION#{submission_id}", "SUBMISSION")


def correction(correction_id: str) -> Key:
    return Key(f"CORRECTION#{correction_id}", "CORRECTION")


# ---- directory table: completion and workload aggregates (the progress function's)


def progress_partition(task_id: str) -> str:
    """A task's aggregates: its summary, one item per school and one per class."""
    return f"PROGRESS#{task_id}"


def task_progress(task_id: str) -> Key:
    """The task's summary: each school's tally (the district's view of the task)."""
    return Key(progress_partition(task_id), "TASK")


def school_progress(task_id: str, school_id: str) -> Key:
    """One school's per-class tallies. Its sort key is the prefix of its classes' keys, so
    that one Query (`begins_with SCHOOL#sch#`) could read the school with its classes."""
    return Key(progress_partition(task_id), school_progress_prefix(school_id))


def school_progress_prefix(school_id: str) -> str:
    return f"SCHOOL#{school_id}#"


def class_progress(task_id: str, school_id: str, class_id: str) -> Key:
    return Key(progress_partition(task_id), f"{class_progress_prefix(school_id)}{class_id}")


def class_progress_prefix(school_id: str) -> str:
    return f"{school_progress_prefix(school_id)}CLASS#"


def workload_partition(school_id: str) -> str:
    """A school's teachers' workload: one item per teacher."""
    return f"SCHOOL#{school_id}#WORKLOAD"


def teacher_workload(school_id: str, teacher_id: str) -> Key:
    return Key(workload_partition(school_id), f"USER#{teacher_id}")


# ---- directory table: index keys (gsi1 unless named gsi2)


def machine_client(client_id: str) -> Key:
    """A machine client's registry entry: all clients share one partition (a district has a
    handful), so the list is one Query and each call's check one strongly consistent GetItem."""
    return Key("CLIENTS", f"CLIENT#{client_id}")


MACHINE_CLIENTS: Final = "CLIENTS"


def import_checkpoint(submission_id: str) -> Key:
    """A large upload's import in slices: its checkpoint (read by the submission's id only,
    by the validation function that carries the import on)."""
    return Key(f"IMPORT#{submission_id}", "IMPORT")


def roster_job(job_id: str) -> Key:
    """A machine client's OneRoster import through the API (read by id only: the client's
    status URL, and the roster function when the bundle arrives)."""
    return Key(f"ROSTER_IMPORT#{job_id}", "ROSTER_IMPORT")


def district_schools(district_code: str) -> str:
    return f"DISTRICT#{district_code}#SCHOOLS"


def school_classes(school_id: str) -> str:
    return f"SCHOOL#{school_id}#CLASSES"


def grade_part(grade: int) -> str:
    return f"G{grade:02d}#"


def school_staff(school_id: str) -> str:
    return f"SCHOOL#{school_id}#STAFF"


def class_assignments(class_id: str) -> str:
    return f"CLASS#{class_id}#ASSIGNMENTS"


def class_students(class_id: str) -> str:
    return f"CLASS#{class_id}#STUDENTS"


def school_students(school_id: str) -> str:  # gsi2
    return f"SCHOOL#{school_id}#STUDENTS"


def student_guardians(student_id: str) -> str:
    return f"STUDENT#{student_id}#GUARDIANS"


TEMPLATES: Final = "TEMPLATES"
RETIRED_TEMPLATES: Final = "TEMPLATES#RETIRED"
DISTRICT_TASKS: Final = "DISTRICT#TASKS"
DISTRICT_ADMINS: Final = "DISTRICT#ADMINS"
# The operations team (运维): fault reports are assigned to and alarms reach one of them.
OPERATORS: Final = "OPERATORS"


def school_tasks(school_id: str) -> str:
    return f"SCHOOL#{school_id}#TASKS"


def district_progress(term: str) -> str:
    """The district's tasks of a term, each with every school's tally (its overview)."""
    return f"DISTRICT#PROGRESS#{term}"


def teacher_targets(teacher_id: str) -> str:
    return f"USER#{teacher_id}#TARGETS"


def task_submissions(task_id: str) -> str:
    return f"TASK#{task_id}#SUBMISSIONS"


def open_corrections(teacher_id: str) -> str:
    return f"USER#{teacher_id}#OPEN_CORRECTIONS"


def flagged_corrections(user_id: str) -> str:  # gsi2
    return f"USER#{user_id}#FLAGGED"


# ---- directory table: the district's reminder settings and school calendar


def reminder_settings() -> Key:
    return Key("DISTRICT#REMINDERS", "SETTINGS")


def district_calendar(year: int) -> Key:
    return Key("DISTRICT#CALENDAR", f"YEAR#{year:04d}")


# ---- directory table: operations (shared.db.heartbeats)

HEARTBEATS: Final = "OPS#HEARTBEATS"


def heartbeat(function: str) -> Key:
    """A scheduled function's last successful run: one small partition for all of them, read
    by one Query (the operators' health page)."""
    return Key(HEARTBEATS, f"FUNCTION#{function}")


# ---- directory table: 写实记录, their attachments and objections, 公示 (shared.materials)


def entry_partition(entry_id: str) -> str:
    """An entry's item collection: the entry, its attachments and its objections (one Query)."""
    return f"ENTRY#{entry_id}"


def quality_entry(entry_id: str) -> Key:
    return Key(entry_partition(entry_id), "ENTRY")


def attachment(entry_id: str, attachment_id: str) -> Key:
    return Key(entry_partition(entry_id), f"{ATTACHMENT_PREFIX}{attachment_id}")


ATTACHMENT_PREFIX: Final = "ATTACH#"


def objection(entry_id: str, created_at: datetime, objection_id: str) -> Key:
    return Key(entry_partition(entry_id), f"{OBJECTION_PREFIX}{stamp(created_at)}#{objection_id}")


OBJECTION_PREFIX: Final = "OBJECTION#"


def student_entries(student_id: str) -> str:  # gsi1, sorted by term then creation
    return f"STUDENT#{student_id}#ENTRIES"


def class_entries(class_id: str, status: str) -> str:  # gsi2, sorted by last move
    """A class's entries in one state: the head teacher's queue (submitted), the class's 公示
    (in_notice) and its archive."""
    return f"CLASS#{class_id}#ENTRIES#{status}"


def raised_objections(user_id: str) -> str:  # gsi1
    return f"USER#{user_id}#OBJECTIONS"


# Every entry in notice has one marker here, sorted by the day its window closes: the nightly
# run reads the markers due (one Query) instead of scanning for entries.
NOTICES_DUE: Final = "NOTICES#DUE"


def notice_due(closes_on: date, entry_id: str) -> Key:
    return Key(NOTICES_DUE, f"{closes_on.isoformat()}#{entry_id}")


def quality_counts(term: str, school_id: str) -> Key:
    """How many of a school's entries of a term stand in each state (the district's view)."""
    return Key(quality_counts_partition(term), f"SCHOOL#{school_id}")


def quality_counts_partition(term: str) -> str:
    return f"QUALITY#COUNTS#{term}"


# Each class's work waiting for its head teacher (counters), all in one partition: the
# reminders read it with one Query. A district has a few thousand classes; the counters move
# on reviews and objections only.
QUALITY_PENDING_PARTITION: Final = "QUALITY#PENDING"


def quality_pending(class_id: str) -> Key:
    return Key(QUALITY_PENDING_PARTITION, f"CLASS#{class_id}")


def quality_settings() -> Key:
    return Key("DISTRICT#QUALITY", "SETTINGS")


# ---- directory table: fault reports (报修) and their one-day promise (shared.operations)


def fault_report(report_id: str) -> Key:
    return Key(f"FAULT#{report_id}", "FAULT")


def reporter_faults(user_id: str) -> str:  # gsi1, sorted by creation
    return f"USER#{user_id}#FAULTS"


def fault_queue(is_open: bool) -> str:  # gsi2, sorted by state, then creation
    """The open reports (the operators' queue: few) or the closed ones (their history)."""
    return "FAULTS#OPEN" if is_open else "FAULTS#CLOSED"


def fault_month(month: str) -> str:
    """The times of the reports made in a month (Asia/Shanghai `YYYY-MM`): the figures."""
    return f"FAULTS#MONTH#{month}"


def fault_times(month: str, created_at: datetime, report_id: str) -> Key:
    return Key(fault_month(month), f"{stamp(created_at)}#{report_id}")


# Every report without a first response has one marker here, sorted by the time it is due:
# the overdue check (every 15 minutes) reads the markers due (one Query), never the reports.
FAULTS_AWAITING: Final = "FAULTS#AWAITING"


def fault_awaiting(due_at: datetime, report_id: str) -> Key:
    return Key(FAULTS_AWAITING, f"{stamp(due_at)}#{report_id}")


def fault_numbers(year: int) -> Key:
    """A year's counter of report numbers (BX<year>-<n>)."""
    return Key("FAULTS#NUMBERS", f"YEAR#{year:04d}")


# ---- records table


def record(record_id: str, generation: str) -> Key:
    """One generation (upload) of a record; the current one is named by `current_generation`."""
    return Key(f"RECORD#{record_id}", f"{GENERATION_PREFIX}{generation}")


GENERATION_PREFIX: Final = "GEN#"


def current_generation(task_id: str, class_id: str, subject: str | None = None) -> Key:
    """The pointer to the upload whose records a task's class shows (records table): one per
    subject of a class, so that each subject teacher's upload replaces only their subject's
    records; records without a subject have the class's one pointer."""
    return Key(
        f"CURRENT#{task_id}#{class_id}", "CURRENT" if subject is None else f"CURRENT#{subject}"
    )


def record_change(record_id: str, at: datetime, revision: int) -> Key:
    return Key(f"RECORD#{record_id}", f"{CHANGE_PREFIX}{stamp(at)}#{revision:06d}")


CHANGE_PREFIX: Final = "CHANGE#"


def student_records(student_id: str) -> str:  # gsi1
    return f"STUDENT#{student_id}"


def class_records(class_id: str, template_id: str, term: str) -> str:  # gsi2
    return f"CLASS#{class_id}#{template_id}#{term}"


def school_records(school_id: str, template_id: str, term: str) -> str:  # gsi3
    return f"SCHOOL#{school_id}#{template_id}#{term}"


def change_log_partition(template_id: str) -> str:
    """A template's change log, the change feed's source (records table): one partition per
    template, written once per flipped class upload and per changed record (a low rate)."""
    return f"CHANGES#{template_id}"


def change_log(template_id: str, at: datetime, change_id: str, chunk: int) -> Key:
    """One chunk of the records one change touched: the writer's stamp first (text order is
    log order), then the submission (or record change) and the chunk's number."""
    return Key(change_log_partition(template_id), f"{stamp(at)}#{change_id}#{chunk:04d}")


def change_log_until(moment: datetime) -> str:
    """The greatest sort key of a log item stamped at or before `moment` (`$` sorts right
    after the `#` that follows the stamp)."""
    return f"{stamp(moment)}$"


# Sorts before every stamp: the log's beginning.
CHANGE_LOG_START: Final = "0"


# ---- audit table


def audit_partition(school_id: str | None) -> str:
    """A school's events; events that concern no one school go to the district's."""
    return f"SCHOOL#{school_id}#AUDIT" if school_id else "DISTRICT#AUDIT"


def audit_event(school_id: str | None, at: datetime, event_id: str) -> Key:
    return Key(audit_partition(school_id), f"{stamp(at)}#{event_id}")


# ---- notifications table


def notification_partition(recipient_id: str) -> str:
    return f"RECIPIENT#{recipient_id}"


def notification(recipient_id: str, on: date, task_id: str, stage: str) -> Key:
    """One ledger entry: a recipient, the date it counts for, a task and a stage (the date
    first, so a recipient's entries read by date)."""
    return Key(notification_partition(recipient_id), f"{on.isoformat()}#TASK#{task_id}#{stage}")


# ---- directory table: statistics (the statistics function's)


def stats_partition(template_id: str, term: str, assessment: str, metric: str) -> str:
    """One statistic (a metric of an assessment): every class's, school's and the district's
    distribution of it, by grade, and the roll-ups' epoch counters."""
    return f"STATS#{template_id}#{term}#{assessment}#{metric}"


def class_stats_sk(grade: int, school_id: str, class_id: str) -> str:
    return f"{class_stats_prefix(grade, school_id)}{class_id}"


def school_stats_sk(grade: int, school_id: str) -> str:
    return f"S#{grade_part(grade)}{school_id}"


def district_stats_sk(grade: int) -> str:
    return f"{DISTRICT_STATS_PREFIX}{grade_part(grade)}"


def class_stats_prefix(grade: int, school_id: str) -> str:
    """A school grade's classes (`begins_with`)."""
    return f"C#{grade_part(grade)}{school_id}#"


def school_stats_prefix(grade: int) -> str:
    """A district grade's schools (`begins_with`)."""
    return f"S#{grade_part(grade)}"


DISTRICT_STATS_PREFIX: Final = "D#"


def epoch_sk(roll_up_sk: str) -> str:
    """The counter that orders the writes of one roll-up (docs/statistics.md, Roll-up)."""
    return f"N#{roll_up_sk}"


def class_stats_index(class_id: str, template_id: str, term: str) -> Key:
    """Which statistics a class's records of a template and term make (recomputed together)."""
    return Key(f"STATS#CLASS#{class_id}#{template_id}#{term}", "INDEX")


def stats_catalog(template_id: str, term: str) -> str:
    """The statistics there are of a template in a term (pickers on the pages)."""
    return f"STATS#CATALOG#{template_id}#{term}"


def stats_catalog_sk(assessment: str, metric: str) -> str:
    return f"{assessment}#{metric}"


def insights_partition(student_id: str) -> str:
    """A student's position in each statistic they have a value in (their trend)."""
    return f"INSIGHTS#{student_id}"


def insight_sk(template_id: str, term: str, assessment: str, metric: str) -> str:
    return f"{template_id}#{term}#{assessment}#{metric}"


def class_warnings(class_id: str) -> str:
    """A class's early warnings, for its head teacher and subject teachers."""
    return f"WARNINGS#CLASS#{class_id}"


def warning_prefix(template_id: str, term: str) -> str:
    return f"{template_id}#{term}#"


def warning_rules() -> Key:
    return Key("DISTRICT#STATISTICS", "WARNING_RULES")


# ---- directory table: satisfaction surveys (好差评, shared.operations.surveys)


def survey_settings() -> Key:
    return Key("DISTRICT#SURVEYS", "SETTINGS")


# Every survey, by id (`2026-12`: text order is time order): a handful a year, one partition.
SURVEYS: Final = "SURVEYS"


def survey(survey_id: str) -> Key:
    return Key(SURVEYS, f"SURVEY#{survey_id}")


def survey_responded(survey_id: str, user_id: str) -> Key:
    """That a person answered a survey, and nothing else: read by GetItem only (once per
    person), never listed, so no page position or index ever carries it."""
    return Key(f"SURVEY#{survey_id}#RESPONDED#{user_id}", "RESPONDED")


def survey_answers(survey_id: str) -> str:
    """A survey's answers, each under a random id (their order says nothing of when)."""
    return f"SURVEY#{survey_id}#ANSWERS"


def survey_answer(survey_id: str, answer_id: str) -> Key:
    return Key(survey_answers(survey_id), f"ANSWER#{answer_id}")


def survey_tallies(survey_id: str) -> str:
    """A survey's counters, one item per school and group: its results in one Query."""
    return f"SURVEY#{survey_id}#TALLIES"


def survey_tally(survey_id: str, school_id: str, group: str) -> Key:
    return Key(survey_tallies(survey_id), f"SCHOOL#{school_id}#{group}")


def survey_census_partition(survey_id: str) -> str:
    """Who each school had to ask (the response rates' denominators), one item per school."""
    return f"SURVEY#{survey_id}#CENSUS"


def survey_census(survey_id: str, school_id: str) -> Key:
    return Key(survey_census_partition(survey_id), f"SCHOOL#{school_id}")


def survey_follow_up(follow_up_id: str) -> Key:
    return Key(f"SURVEY_FOLLOW_UP#{follow_up_id}", "FOLLOW_UP")


def survey_follow_ups(status: str) -> str:  # gsi1, sorted by survey then (random) id
    """The operators' 差评跟进 in one state (open: their queue; handled: its history)."""
    return f"SURVEY#FOLLOW_UPS#{status}"

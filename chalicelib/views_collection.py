"""What the API shows of templates, collection tasks, completion and submissions.

Built from domain models like `chalicelib.views`; nothing here is personal data except the
names a school gives its classes, so nothing needs masking. Object keys stay inside: a
submission shows its state and outcome, and its error report only as a short-lived link.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, ConfigDict, Field, RootModel

from chalicelib.views import PageQuery, QueryInt, View
from shared.domain.models import (
    SUBMISSION_STATUS_ZH,
    TASK_STATUS_ZH,
    CollectionTask,
    Completion,
    ErrorGroup,
    Id,
    Name,
    Submission,
    SubmissionPart,
    SubmissionStatus,
    Tally,
    TargetCompletion,
    TaskScope,
    TaskStatus,
    TaskTarget,
    TemplateId,
    TemplateRetirement,
    TermText,
)
from shared.templates.model import Template

_PATH_ID = r"^[A-Za-z0-9_.-]{1,128}$"

# ------------------------------------------------------------------------------------ templates


class TemplateQuery(View):
    version: QueryInt | None = Field(None, ge=1, description="A published version; default latest.")


class TemplateDefinition(RootModel[dict[str, Any]]):
    """A template in the format of the built-in ones (`shared/templates/builtin/*.toml`, as
    JSON): id, version, name, columns, unique, rules. `owner` is set to "district"."""

    model_config = ConfigDict(defer_build=True)  # as every view: built when first used


class TemplateSummaryView(View):
    id: str
    version: int = Field(description="The latest version.")
    name: str
    description: str
    owner: Literal["builtin", "district"]
    retired: bool = Field(description="Retired templates cannot be used for new tasks.")

    @classmethod
    def of(cls, template: Template, retirement: TemplateRetirement | None) -> TemplateSummaryView:
        return cls(
            id=template.id,
            version=template.version,
            name=template.name,
            description=template.description,
            owner=template.owner,
            retired=retirement is not None,
        )


class TemplateList(View):
    """Every template: built-in ones and the district's (few, so never paged)."""

    items: list[TemplateSummaryView]


class TemplateView(View):
    definition: Template
    retired: bool
    retired_at: datetime | None

    @classmethod
    def of(cls, template: Template, retirement: TemplateRetirement | None) -> TemplateView:
        return cls(
            definition=template,
            retired=retirement is not None,
            retired_at=retirement.retired_at if retirement else None,
        )


# ------------------------------------------------------------------------------ collection tasks


class TaskCreate(View):
    template_id: TemplateId
    template_version: int | None = Field(None, ge=1, description="Default: the latest.")
    term: TermText = Field(description="e.g. 2024-2025-1")
    title: Name
    deadline: AwareDatetime = Field(description="In the future, with a time zone.")
    scope: TaskScope = Field(
        description='{"kind": "district"}; {"kind": "schools", "school_ids": [...]} (district '
        'admin); {"kind": "school", "school_id": ..., "class_ids": [...], "teacher_ids": [...]} '
        "(a school admin, inside their school; empty lists mean every class / no teacher)."
    )
    fixed: dict[str, str] = Field(
        default_factory=dict,
        max_length=20,
        description="Values fixed for every row, by template column key (e.g. "
        '{"subject": "数学", "assessment_type": "期中考试", "assessment_date": "2024-11-08"}): '
        "files may leave those columns out; where they have them, they must agree.",
    )


class TemplateDownloadQuery(View):
    class_id: str | None = Field(
        None,
        pattern=_PATH_ID,
        description="Pre-fill the class's roster (for whoever may upload for the class).",
    )


class TaskQuery(PageQuery):
    term: TermText | None = None


class TaskView(View):
    id: str
    template_id: str
    template_version: int
    term: str
    title: str
    deadline: datetime
    created_by: str
    created_at: datetime
    scope: TaskScope
    status: TaskStatus
    status_zh: str
    fixed: dict[str, str] = Field(description="Values the task fixes, by template column key.")

    @classmethod
    def of(cls, task: CollectionTask) -> TaskView:
        return cls(
            id=task.id,
            template_id=task.template_id,
            template_version=task.template_version,
            term=task.term,
            title=task.title,
            deadline=task.deadline,
            created_by=task.created_by,
            created_at=task.created_at,
            scope=task.scope,
            status=task.status,
            status_zh=TASK_STATUS_ZH[task.status],
            fixed=dict(task.fixed),
        )


class TaskPage(View):
    items: list[TaskView]
    next_page_token: str | None = None


# ------------------------------------------------------------------------------------ completion


class CompletionQuery(View):
    school_id: str | None = Field(
        None, pattern=_PATH_ID, description="One school's rows (the district's drill-down)."
    )


class TallyView(View):
    expected: int
    received: int
    rate: float = Field(description="received / expected; 1.0 when nothing is expected.")

    @classmethod
    def of(cls, tally: Tally) -> TallyView:
        return cls(expected=tally.expected, received=tally.received, rate=tally.rate)


class GroupTallyView(TallyView):
    id: str = Field(description="The school, class or teacher id.")

    @classmethod
    def keyed(cls, key: str, tally: Tally) -> GroupTallyView:
        return cls(id=key, expected=tally.expected, received=tally.received, rate=tally.rate)


class SubjectTallyView(TallyView):
    class_id: str
    subject: str

    @classmethod
    def keyed(cls, class_id: str, subject: str, tally: Tally) -> SubjectTallyView:
        return cls(
            class_id=class_id,
            subject=subject,
            expected=tally.expected,
            received=tally.received,
            rate=tally.rate,
        )


class CompletionRowView(View):
    school_id: str
    class_id: str
    subject: str | None = Field(
        description="The subject expected (templates keyed by subject); null: the class."
    )
    teacher_id: str | None = Field(description="Who is expected to deliver it.")
    received: bool
    submission_id: str | None = Field(
        description="The upload the class shows for it: the latest delivered one holding the "
        "row's subject (for a row without one, the class's or the named teacher's latest)."
    )
    uploaded_at: datetime | None = Field(None, description="When that upload arrived.")
    late: bool = Field(False, description="It arrived after the task's deadline.")


class CompletionView(View):
    """Expected vs received, as far as the caller may see: the district every school (and a
    school's rows when it names one), a school admin their school, a teacher their classes.
    Drill-down: school → class → subject of the class → teacher; one row per expected
    submission. Answered from the aggregates the progress function keeps: `computed_at` is
    null until it has counted a first school of the task."""

    task_id: str
    total: TallyView
    schools: list[GroupTallyView]
    classes: list[GroupTallyView]
    subjects: list[SubjectTallyView] = Field(
        description="Per class and subject (templates keyed by subject; empty otherwise)."
    )
    teachers: list[GroupTallyView]
    rows: list[CompletionRowView]
    computed_at: datetime | None = Field(
        None, description="When the aggregates were last brought up to date; null: not yet."
    )

    @classmethod
    def of_schools(
        cls, task_id: str, schools: Mapping[str, Tally], computed_at: datetime | None
    ) -> CompletionView:
        """The district's view of a whole task: each school's tally, no rows."""
        expected = sum(t.expected for t in schools.values())
        received = sum(t.received for t in schools.values())
        return cls(
            task_id=task_id,
            total=TallyView.of(Tally(expected=expected, received=received)),
            schools=[GroupTallyView.keyed(k, schools[k]) for k in sorted(schools)],
            classes=[],
            subjects=[],
            teachers=[],
            rows=[],
            computed_at=computed_at,
        )

    @classmethod
    def of_rows(
        cls,
        task_id: str,
        rows: Sequence[tuple[TaskTarget, str | None, datetime | None, bool]],
        computed_at: datetime | None,
    ) -> CompletionView:
        """Rows (target, submission meeting it, when it arrived, late) with their tallies."""
        completion = Completion(
            rows=[TargetCompletion(target=t, submission_id=s) for t, s, _, _ in rows]
        )
        arrivals = {_row_key(t): (at, late) for t, _, at, late in rows}
        view = cls.of(task_id, completion)
        shown = []
        for row in view.rows:
            arrived, late = arrivals[_view_key(row)]
            shown.append(row.model_copy(update={"uploaded_at": arrived, "late": late}))
        return view.model_copy(update={"computed_at": computed_at, "rows": shown})

    @classmethod
    def of(cls, task_id: str, completion: Completion) -> CompletionView:
        def level(name: Literal["school", "class", "teacher"]) -> list[GroupTallyView]:
            tallies = completion.by(name)
            return [GroupTallyView.keyed(k, tallies[k]) for k in sorted(tallies)]

        subjects = completion.by("subject")
        rows = sorted(
            completion.rows,
            key=lambda r: (
                r.target.school_id,
                r.target.class_id,
                r.target.subject or "",
                r.target.teacher_id or "",
            ),
        )
        return cls(
            task_id=task_id,
            total=TallyView.of(completion.total()),
            schools=level("school"),
            classes=level("class"),
            subjects=[SubjectTallyView.keyed(*k, subjects[k]) for k in sorted(subjects)],
            teachers=level("teacher"),
            rows=[
                CompletionRowView(
                    school_id=r.target.school_id,
                    class_id=r.target.class_id,
                    subject=r.target.subject,
                    teacher_id=r.target.teacher_id,
                    received=r.received,
                    submission_id=r.submission_id,
                )
                for r in rows
            ],
        )


def _row_key(target: TaskTarget) -> tuple[str, str, str, str]:
    return (target.school_id, target.class_id, target.subject or "", target.teacher_id or "")


def _view_key(row: CompletionRowView) -> tuple[str, str, str, str]:
    return (row.school_id, row.class_id, row.subject or "", row.teacher_id or "")


# ----------------------------------------------------------------------------------- submissions


class SubmissionCreate(View):
    class_id: Id | None = Field(
        None,
        description="The class the file is for. Left out by a school admin: one workbook for "
        "the whole school, one sheet per class named after it (each becomes its class's part).",
    )
    filename: str = Field(min_length=1, max_length=255, description="e.g. 七年级1班成绩.xlsx")
    content_type: str = Field(
        min_length=1, max_length=128, description="The type the browser will send the file as."
    )


class SubmissionQuery(PageQuery):
    class_id: str | None = Field(None, pattern=_PATH_ID)


class CountsView(View):
    total: int
    accepted: int
    rejected: int


class ErrorGroupView(View):
    code: str
    severity: Literal["error", "warning"]
    count: int
    first_row: int = Field(description="As the spreadsheet numbers its rows.")
    last_row: int
    columns: list[str]
    example: str = Field(description="The message of the first such error.")

    @classmethod
    def of(cls, group: ErrorGroup) -> ErrorGroupView:
        return cls(**group.model_dump())


class ReportLinkView(View):
    url: str = Field(description="A presigned GET; the browser saves the file as `filename`.")
    filename: str
    expires_at: datetime


class SubmissionPartView(View):
    class_id: str
    sheet: str
    submission_id: str
    status: SubmissionStatus
    status_zh: str
    counts: CountsView | None

    @classmethod
    def of(cls, part: SubmissionPart) -> SubmissionPartView:
        return cls(
            class_id=part.class_id,
            sheet=part.sheet,
            submission_id=part.submission_id,
            status=part.status,
            status_zh=SUBMISSION_STATUS_ZH[part.status],
            counts=CountsView(**part.counts.model_dump()) if part.counts else None,
        )


class SubmissionView(View):
    id: str
    task_id: str
    school_id: str
    class_id: str | None = Field(description="None for a school's workbook (see parts).")
    uploaded_by: str
    filename: str | None
    status: SubmissionStatus
    status_zh: str
    counts: CountsView | None
    error_summary: list[ErrorGroupView] = Field(description="Row errors grouped by code.")
    error_report: ReportLinkView | None = Field(
        None, description="The error report, when validation wrote one (single submission)."
    )
    created_at: datetime
    updated_at: datetime
    received_at: datetime | None
    finished_at: datetime | None
    parent_id: str | None = Field(None, description="A class part: its school workbook.")
    sheet: str | None = Field(None, description="A class part: its worksheet.")
    parts: list[SubmissionPartView] = Field(
        default_factory=list, description="A school workbook: how each class's sheet ended."
    )

    @classmethod
    def of(cls, submission: Submission, report: ReportLinkView | None = None) -> SubmissionView:
        counts = submission.counts
        return cls(
            id=submission.id,
            task_id=submission.task_id,
            school_id=submission.school_id,
            class_id=submission.class_id,
            uploaded_by=submission.uploaded_by,
            filename=submission.filename,
            status=submission.status,
            status_zh=SUBMISSION_STATUS_ZH[submission.status],
            counts=CountsView(**counts.model_dump()) if counts else None,
            error_summary=[ErrorGroupView.of(g) for g in submission.error_summary],
            error_report=report,
            created_at=submission.created_at,
            updated_at=submission.updated_at,
            received_at=submission.received_at,
            finished_at=submission.finished_at,
            parent_id=submission.parent_id,
            sheet=submission.sheet,
            parts=[SubmissionPartView.of(p) for p in submission.parts],
        )


class SubmissionPage(View):
    items: list[SubmissionView]
    next_page_token: str | None = None


class UploadView(View):
    """POST the `fields`, then the file (as the last field, named `file`), to `url` as
    multipart/form-data before `expires_at`. The policy allows only this submission's key,
    this content type and 1..`max_bytes` bytes."""

    method: Literal["POST"] = "POST"
    url: str
    fields: dict[str, str]
    max_bytes: int
    expires_at: datetime


class SubmissionUploadView(View):
    submission: SubmissionView
    upload: UploadView

"""What the API shows of the integration module: machine clients (for the district admin) and
the batches machine clients push."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field, StrictBool

from chalicelib.views import View
from shared.domain.models import ClientId, ClientScope, Id, MachineClient, Name


class ClientCreate(View):
    name: Name = Field(description="e.g. 区成绩管理系统")
    scopes: list[ClientScope] = Field(
        min_length=1,
        max_length=64,
        description="ingest:<template id>, roster:write, records:read, events:read",
    )
    all_schools: StrictBool = False
    school_ids: list[Id] = Field(default_factory=list, max_length=1000)
    client_id: ClientId | None = Field(
        None,
        description="With an external identity provider only: the client id it issued (this "
        "deployment issues none itself).",
    )


class ClientChange(View):
    name: Name | None = None
    scopes: list[ClientScope] | None = Field(None, min_length=1, max_length=64)
    all_schools: StrictBool | None = None
    school_ids: list[Id] | None = Field(None, max_length=1000)
    enabled: StrictBool | None = Field(None, description="false: refused from its next call on.")

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class ClientView(View):
    id: str
    name: str
    scopes: list[str]
    all_schools: bool
    school_ids: list[str]
    enabled: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, client: MachineClient) -> ClientView:
        return cls.model_validate(client.model_dump(exclude={"created_by"}))


class ClientList(View):
    items: list[ClientView]


class ClientCreated(View):
    client: ClientView
    client_secret: str | None = Field(
        description="Shown this once (store it in the client system's secret store); null "
        "when an external provider issued the credentials."
    )
    issuer: str = Field(
        description="Whose access tokens the API accepts: its discovery document "
        "(`/.well-known/openid-configuration`) names the token endpoint."
    )


class BatchDocument(View):
    """A batch of one template's records for one class (validated by the engine, not by this
    model: each record's errors come back by index and JSON pointer)."""

    # The API document's example (学业成绩, two students of a class; the second was absent):
    # a made-up class with valid-looking 学籍号 (`G` + a national ID with its check digit).
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "term": "2024-2025-1",
                    "school_id": "sch-mh-001",
                    "class_id": "sch-mh-001-7-1",
                    "records": [
                        {
                            "student_no": "G310112201203080210",
                            "name": "王小明",
                            "class_name": "七年级(1)班",
                            "subject": "数学",
                            "assessment_type": "期中考试",
                            "assessment_date": "2024-11-05",
                            "score": 95,
                            "full_marks": 100,
                        },
                        {
                            "student_no": "G310112201205170420",
                            "name": "李小红",
                            "class_name": "七年级(1)班",
                            "subject": "数学",
                            "assessment_type": "期中考试",
                            "assessment_date": "2024-11-05",
                            "score": "缺考",
                            "full_marks": 100,
                            "remark": "病假",
                        },
                    ],
                }
            ]
        }
    )

    term: str | None = Field(None, description="e.g. 2024-2025-1 (or give task_id)")
    school_id: str
    class_id: str
    task_id: str | None = Field(
        None, description="Default: the one open task of the template and term for the class."
    )
    records: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=10_000,
        description="Each record's fields by the template's keys or its headers (成绩, 得分 …).",
    )


class BatchAccepted(View):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "submission_id": "9f1c2d3e4b5a69788796a5b4c3d2e1f0",
                    "status": "awaiting_upload",
                    "status_url": "/v1/ingest/batches/9f1c2d3e4b5a69788796a5b4c3d2e1f0",
                }
            ]
        }
    )

    submission_id: str
    status: str
    status_url: str = Field(description="Where the result appears: GET it until `finished`.")


class BatchStatusView(View):
    submission_id: str
    task_id: str
    school_id: str
    class_id: str | None
    status: str
    status_zh: str
    finished: bool
    created_at: datetime
    finished_at: datetime | None
    result: dict[str, Any] | None = Field(
        description="Once finished: as `growth validate FILE.json --json` prints it (counts, "
        "file errors, and each record's errors by index and JSON pointer)."
    )


# --------------------------------------------------------------------------- roster imports
# (Imported here so that this block stays one piece at the end of the module.)
from chalicelib.views_collection import UploadView  # noqa: E402
from shared.domain.roster_jobs import ROSTER_JOB_STATUS_ZH, RosterImportJob  # noqa: E402


class RosterImportCreate(View):
    filename: str = Field(
        min_length=1,
        max_length=255,
        pattern=r"^[^\x00-\x1f\x7f/\\]+$",
        description="The bundle's file name, e.g. roster.zip (shown back; never part of a key).",
    )
    dry_run: StrictBool = Field(False, description="true: check and report, write nothing.")


class RosterImportAccepted(View):
    job_id: str
    status: str
    status_url: str = Field(description="Where the outcome appears: GET it until `finished`.")
    upload: UploadView = Field(
        description="POST the `fields`, then the zip (the last field, named `file`, type "
        "application/zip), to `url` before `expires_at`."
    )


class RosterFindingView(View):
    file: str | None = Field(description="e.g. users.csv; null: the bundle as a whole.")
    row: int | None = Field(description="As a spreadsheet shows the file: the header is row 1.")
    column: str | None
    code: str
    severity: str
    message: str
    value: str | None = Field(description="The cell, identifiers and mobile numbers masked.")


class RosterImportView(View):
    job_id: str
    status: str = Field(
        description="awaiting_upload, processing, imported, checked (a dry run without "
        "error), rejected (nothing written), failed (the operators are alerted)."
    )
    status_zh: str
    finished: bool = Field(
        description="Processing stopped: imported, checked, rejected or failed (a failed "
        "import may still be imported when the operators redrive it once the fault is fixed)."
    )
    dry_run: bool
    filename: str | None
    counts: dict[str, int] = Field(
        description="What the bundle holds (schools, classes, staff, students, guardians, "
        "assignments, guardian_links) and, once imported, what was written "
        "(students_written, assignments_added …)."
    )
    findings: list[RosterFindingView] = Field(description="The first 100, in file order.")
    findings_total: int
    errors_total: int
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, job: RosterImportJob) -> RosterImportView:
        return cls(
            job_id=job.id,
            status=job.status.value,
            status_zh=ROSTER_JOB_STATUS_ZH[job.status],
            finished=job.finished_at is not None,
            dry_run=job.dry_run,
            filename=job.filename,
            counts=job.counts,
            findings=[RosterFindingView.model_validate(f.model_dump()) for f in job.findings],
            findings_total=job.findings_total,
            errors_total=job.errors_total,
            created_at=job.created_at,
            finished_at=job.finished_at,
        )


# ------------------------------------------------------------------ the change feed (pull)
# (Imported here so that this block stays one piece at the end of the module.)
from typing import Literal  # noqa: E402

from chalicelib.views import PageToken, QueryInt  # noqa: E402
from shared.domain.models import RecordValue, TemplateId  # noqa: E402


class ChangesQuery(View):
    template: TemplateId = Field(description="Whose records' changes: e.g. academic-score.")
    since: PageToken | None = Field(
        None,
        description="The `next` of your previous answer (opaque, issued to you for this "
        "template). Absent: from the beginning of the log.",
    )
    limit: QueryInt = Field(100, ge=1, le=500, description="Entries at most.")


class ChangeView(View):
    at: datetime = Field(description="When the change was logged (UTC).")
    kind: Literal["upserted", "removed"]
    template_id: str
    term: str
    school_id: str
    class_id: str
    record_id: str = Field(description="Stable: the same record keeps its id across uploads.")
    natural_key: dict[str, str] = Field(
        description="Which record: `student_id` (the student's pseudonymous id, never the "
        "学籍号) and the template's other key fields (subject, assessment_type …)."
    )
    values: dict[str, RecordValue] | None = Field(
        description="upserted: the record's values now; removed: null."
    )


class ChangeFeedPage(View):
    items: list[ChangeView]
    next: str = Field(
        description="Where to read from next time: always given, also when nothing is new. "
        "Keep it; it is valid for 90 days and only for you and this template."
    )
    has_more: bool = Field(
        description="More changes are ready now: read again at once with `next`. A page may "
        "be short, even empty, while more follow."
    )


# ------------------------------------------------------------------- NDJSON batch uploads
# (Appended here so that this block stays one piece at the end of the module.)


class BatchUploadCreate(View):
    """Where an NDJSON upload of records goes: a batch's envelope without its records."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"term": "2024-2025-1", "school_id": "sch-mh-001", "class_id": "sch-mh-001-7-1"}
            ]
        }
    )

    term: str | None = Field(None, description="e.g. 2024-2025-1 (or give task_id)")
    school_id: str
    class_id: str
    task_id: str | None = Field(
        None, description="Default: the one open task of the template and term for the class."
    )


class BatchUploadAccepted(View):
    submission_id: str
    status: str
    status_url: str = Field(description="Where the result appears: GET it until `finished`.")
    upload: UploadView = Field(
        description="POST the `fields`, then the NDJSON file (the last field, named `file`, "
        "type application/x-ndjson: one JSON object a line, UTF-8) to `url` before "
        "`expires_at`."
    )

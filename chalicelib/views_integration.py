"""What the API shows of the integration module: machine clients (for the district admin) and
the batches machine clients push."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, StrictBool

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

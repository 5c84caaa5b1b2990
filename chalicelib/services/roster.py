"""Machine clients importing OneRoster bundles: `POST /v1/roster/imports` starts an import and
hands out the bundle's presigned POST (the use cases are `shared.integration.roster_imports`;
the roster function imports the bundle once it arrives), and `GET /v1/roster/imports/{job_id}`
says how it went."""

from __future__ import annotations

from typing import Any

from chalicelib.api import WithHeaders
from chalicelib.context import Context
from chalicelib.services.common import audit
from chalicelib.views_integration import (
    RosterImportAccepted,
    RosterImportCreate,
    RosterImportView,
)
from shared.access.clients import ClientPrincipal, require_scope
from shared.domain.models import AuditAction
from shared.integration.roster_imports import ROSTER_SCOPE, job_of_client, request_import


def start_import(
    context: Context,
    client: ClientPrincipal,
    *,
    body: RosterImportCreate,
    idempotency_key: str | None,
) -> WithHeaders:
    """Start a roster import: answers 202 with a presigned POST for the OneRoster 1.2 CSV
    bundle (a zip, at most `upload.max_bytes`) and the status URL. Once the bundle is posted
    it is checked and imported as a whole, or not at all, within the client's schools
    (`dry_run`: checked only). Send an `Idempotency-Key` and repeat it when retrying: the same
    key and body answer as the first time (the same job and upload form)."""
    require_scope(client, ROSTER_SCOPE)

    def start() -> dict[str, Any]:
        job, post = request_import(
            context.repos,
            context.s3,
            uploads_bucket=context.settings.uploads_bucket,
            now=context.now(),
            client_id=client.id,
            filename=body.filename,
            dry_run=body.dry_run,
        )
        audit(
            context,
            client,
            AuditAction.CHANGE_ROSTER,
            school_id=None,
            client_id=client.id,
            details={"roster_import": "requested", "dry_run": body.dry_run},
        )
        return {"job_id": job.id, "status": job.status.value, "upload": post.to_json()}

    payload = body.model_dump_json().encode()
    answer = context.idempotency().once(
        scope=client.id, key=idempotency_key, payload=payload, work=start
    )
    status_url = f"/v1/roster/imports/{answer['job_id']}"
    return WithHeaders(
        RosterImportAccepted.model_validate({**answer, "status_url": status_url}),
        {"Location": status_url},
    )


def get_import(context: Context, client: ClientPrincipal, job_id: str) -> RosterImportView:
    """A roster import this client started: its state, counts and findings (per file, row and
    column) once finished. Another client's import does not exist for it (404)."""
    return RosterImportView.of(job_of_client(context.repos, client_id=client.id, job_id=job_id))

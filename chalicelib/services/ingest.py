"""Machine clients pushing records: `POST /v1/ingest/{template_id}` takes a batch in (the use
case is `shared.integration.ingest`; the pipeline validates and imports it) under the client's
Idempotency-Key, `POST /v1/ingest/{template_id}/uploads` hands out a presigned POST for an
NDJSON file of records (more than a batch holds), and `GET /v1/ingest/batches/{id}` says how
either went."""

from __future__ import annotations

from typing import Any

from chalicelib.api import WithHeaders
from chalicelib.context import Context
from chalicelib.services.common import audit
from chalicelib.views_integration import (
    BatchAccepted,
    BatchStatusView,
    BatchUploadAccepted,
    BatchUploadCreate,
)
from shared.access.clients import ClientPrincipal, require_scope
from shared.batches import RecordBatch
from shared.domain.models import AuditAction, Submission
from shared.integration.ingest import accept_batch, batch_status
from shared.integration.ingest import request_upload as request_upload_use_case


def push_batch(
    context: Context,
    client: ClientPrincipal,
    template_id: str,
    *,
    raw: bytes,
    idempotency_key: str | None,
) -> WithHeaders:
    """Take in a batch of one template's records for one class: checked now (the envelope,
    the class within the client's schools, the open task), validated and imported by the
    pipeline as an upload is. Answers 202 with the status URL. Send an `Idempotency-Key`
    (e.g. a UUID) and repeat it when retrying: the same key and body answer as the first time
    without taking the batch twice; the same key with another body is 422; a retry while the
    first is still being taken in is 409. Keys are kept 24 hours, per client."""
    require_scope(client, f"ingest:{template_id}")

    def take_in() -> dict[str, str]:
        submission = accept_batch(
            context.repos,
            context.s3,
            uploads_bucket=context.settings.uploads_bucket,
            limits=context.limits,
            now=context.now(),
            client_id=client.id,
            school_ids=client.schools,
            template_id=template_id,
            body=raw,
        )
        _audit(context, client, submission, template_id)
        return {"submission_id": submission.id, "status": submission.status.value}

    answer = context.idempotency().once(
        scope=client.id, key=idempotency_key, payload=_asked(template_id, raw), work=take_in
    )
    status_url = _status_url(answer)
    return WithHeaders(BatchAccepted(status_url=status_url, **answer), {"Location": status_url})


def get_batch(context: Context, client: ClientPrincipal, submission_id: str) -> BatchStatusView:
    """A batch this client pushed: its state, and the validation result once finished."""
    status = batch_status(
        context.repos,
        context.s3,
        reports_bucket=context.settings.reports_bucket,
        client_id=client.id,
        submission_id=submission_id,
    )
    return BatchStatusView.model_validate({**status.to_dict(), "finished": status.finished})


def request_upload(
    context: Context,
    client: ClientPrincipal,
    template_id: str,
    *,
    body: BatchUploadCreate,
    idempotency_key: str | None,
) -> WithHeaders:
    """Records for one class as an NDJSON file (one JSON object a line; for more records than
    a JSON batch holds): checked now as a batch is (the envelope, the class within the
    client's schools, the open task), then answered 202 with a presigned POST for the file
    and the status URL. The pipeline validates and imports the file once it arrives, as it
    does a batch. The `Idempotency-Key` works as for a batch (same key and body: the same
    submission and upload form)."""
    require_scope(client, f"ingest:{template_id}")

    def start() -> dict[str, Any]:
        submission, post = request_upload_use_case(
            context.repos,
            context.s3,
            uploads_bucket=context.settings.uploads_bucket,
            limits=context.limits,
            now=context.now(),
            client_id=client.id,
            school_ids=client.schools,
            template_id=template_id,
            envelope=RecordBatch([], body.term, body.school_id, body.class_id, body.task_id),
        )
        _audit(context, client, submission, template_id, upload="ndjson")
        return {
            "submission_id": submission.id,
            "status": submission.status.value,
            "upload": post.to_json(),
        }

    payload = _asked(template_id, body.model_dump_json().encode())
    answer = context.idempotency().once(
        scope=client.id, key=idempotency_key, payload=payload, work=start
    )
    status_url = _status_url(answer)
    return WithHeaders(
        BatchUploadAccepted.model_validate({**answer, "status_url": status_url}),
        {"Location": status_url},
    )


def _asked(template_id: str, body: bytes) -> bytes:
    """What a key's request asked, as Idempotency-Key compares it: the template is part of it
    (the same key and body for another template is a reused key, 422)."""
    return template_id.encode() + b"\n" + body


def _status_url(answer: dict[str, Any]) -> str:
    return f"/v1/ingest/batches/{answer['submission_id']}"


def _audit(
    context: Context,
    client: ClientPrincipal,
    submission: Submission,
    template_id: str,
    **details: str,
) -> None:
    audit(
        context,
        client,
        AuditAction.INGEST_BATCH,
        school_id=submission.school_id,
        class_id=submission.class_id,
        client_id=client.id,
        details={"template": template_id, **details},
    )

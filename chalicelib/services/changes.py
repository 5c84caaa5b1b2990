"""The change feed for systems that pull: `GET /v1/changes?template=…&since=…` answers what
changed in a template's records since the client's cursor (the use case is
`shared.integration.changes`). The cursor is opaque: the position sealed with the API's page-token
secret, bound to the client and the template, so it cannot be altered, nor used by another
client or for another template."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import timedelta

from chalicelib.context import Context
from chalicelib.services.common import audit
from chalicelib.views_integration import ChangeFeedPage, ChangesQuery, ChangeView
from shared.access.clients import ClientPrincipal, require_scope
from shared.access.pages import PageTokens
from shared.db.changes import LOG_RETENTION
from shared.domain.models import AuditAction
from shared.error_codes import ErrorCode
from shared.exceptions import InvalidInput
from shared.integration.changes import ChangeCursor, ChangeEntry, changes_since

# A cursor lives as long as the log it points into (a page token, one hour).
CURSOR_LIFETIME_S = int(LOG_RETENTION.total_seconds())


def list_changes(context: Context, client: ClientPrincipal, query: ChangesQuery) -> ChangeFeedPage:
    """What changed in the template's records of the client's schools since `since`: each
    record upserted (with its values now) or removed (with its natural key), oldest first.
    Poll with the `next` of the previous answer; changes show here a minute after they are
    made. Needs the scope events:read."""
    require_scope(client, "events:read")
    cursors = _cursors(context)
    scope = f"changes|{client.id}|{query.template}"
    moment = context.now().timestamp()
    after = None
    if query.since is not None:
        try:
            after = ChangeCursor.of(cursors.open(query.since, scope, now=moment))
        except InvalidInput as exc:
            raise InvalidInput(ErrorCode.CHANGE_CURSOR_INVALID, field="since") from exc
    page = changes_since(
        context.repos,
        template_id=query.template,
        after=after,
        schools=client.schools,
        limit=query.limit,
        now=context.now(),
        lag=timedelta(seconds=context.settings.change_feed_lag_s),
    )
    _audit_read(context, client, query.template, page.entries)
    return ChangeFeedPage(
        items=[ChangeView.model_validate(dataclasses.asdict(e)) for e in page.entries],
        next=cursors.seal(page.next.position(), scope, now=moment),
        has_more=page.has_more,
    )


def _cursors(context: Context) -> PageTokens:
    """The page-token sealer with a cursor's lifetime (the secret is the API's)."""
    secret = context.settings.page_token_secret.get_secret_value().encode()
    return PageTokens(secret, lifetime_s=CURSOR_LIFETIME_S)


def _audit_read(
    context: Context, client: ClientPrincipal, template_id: str, entries: list[ChangeEntry]
) -> None:
    """Records leaving the system: one event per school whose students' records were served."""
    students: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        students[entry.school_id].add(entry.natural_key["student_id"])
    for school_id, student_ids in sorted(students.items()):
        audit(
            context,
            client,
            AuditAction.EXPORT_RECORDS,
            school_id=school_id,
            student_ids=student_ids,
            client_id=client.id,
            details={
                "export": "change_feed",
                "template": template_id,
                "records": sum(1 for e in entries if e.school_id == school_id),
            },
        )

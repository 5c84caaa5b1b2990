"""The audit trail (审计) of a school, for its administrators and the district: who read or
changed which student's data, when. Events name people by opaque ids only; reading the trail
is itself recorded."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from pydantic import AwareDatetime, Field, ValidationInfo, field_validator

from chalicelib.context import Context
from chalicelib.services.common import audit, next_token, start_key
from chalicelib.views import PageQuery
from chalicelib.views_corrections import AuditEventView, AuditPage
from shared.access.policy import Principal, permit, require, sees_audit, sees_school
from shared.domain.models import AuditAction
from shared.error_codes import Entity, ErrorCode
from shared.exceptions import InvalidInput

DEFAULT_WINDOW: Final = timedelta(days=30)
# Event times are kept to the microsecond: "up to now" includes an event of this very moment.
_JUST_AFTER: Final = timedelta(microseconds=1)


class AuditQuery(PageQuery):
    since: AwareDatetime | None = Field(
        None, description="From this time (inclusive); 30 days before `until` if left out."
    )
    until: AwareDatetime | None = Field(
        None, description="Before this time (exclusive); if left out, up to now (inclusive)."
    )

    @field_validator("until")
    @classmethod
    def _after_since(
        cls, until: AwareDatetime | None, info: ValidationInfo
    ) -> AwareDatetime | None:
        since = info.data.get("since")
        if until is not None and since is not None and until <= since:
            raise ValueError("until must be later than since")
        return until


def school_audit(
    context: Context, principal: Principal, school_id: str, query: AuditQuery
) -> AuditPage:
    """A school's audit events in a time range, newest first."""
    require(sees_school(principal, school_id), Entity.SCHOOL)
    context.repos.directory.get_school(school_id)
    permit(sees_audit(principal, school_id))
    # Defaults are worked out on each page; the page token continues from its position.
    until = query.until or context.now() + _JUST_AFTER
    since = query.since or until - DEFAULT_WINDOW
    if since >= until:
        raise InvalidInput(
            ErrorCode.REQUEST_INVALID,
            field="query.since",
            detail="开始时间 since 应早于结束时间 until（默认为当前时间）",
        )
    route = f"schools/{school_id}/audit"
    page = context.repos.audit.list_events(
        school_id,
        since=since,
        until=until,
        limit=query.limit,
        start_key=start_key(context, principal, route, query),
    )
    audit(
        context,
        principal,
        AuditAction.READ_AUDIT,
        school_id=school_id,
        details={"events": len(page.items)},
    )
    return AuditPage(
        items=[AuditEventView.of(e) for e in page.items],
        next_page_token=next_token(context, principal, route, query, page.next_key),
    )

"""What several services share: sealing page tokens to their scope, and the audit trail."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.context import Context
from chalicelib.views import PageQuery
from shared.access.clients import ClientPrincipal
from shared.access.policy import Principal
from shared.db.dynamo import every_page
from shared.domain.models import STAFF_ROLES, AuditAction, AuditEvent, Role


def scope_of(principal: Principal, route: str, query: PageQuery) -> str:
    """What a page token is bound to: the caller, the route with its ids, and the filters."""
    filters = query.model_dump(exclude={"page_token", "limit"}, exclude_none=True)
    return f"{principal.id}|{route}|" + "&".join(f"{k}={filters[k]}" for k in sorted(filters))


def start_key(context: Context, principal: Principal, route: str, query: PageQuery) -> Any:
    if query.page_token is None:
        return None
    return context.pages.open(query.page_token, scope_of(principal, route, query))


def next_token(
    context: Context, principal: Principal, route: str, query: PageQuery, key: Any
) -> str | None:
    return None if key is None else context.pages.seal(key, scope_of(principal, route, query))


def audit(
    context: Context,
    principal: Principal | ClientPrincipal,
    action: AuditAction,
    *,
    school_id: str | None,
    class_id: str | None = None,
    student_ids: Iterable[str] = (),
    record_id: str | None = None,
    correction_id: str | None = None,
    user_id: str | None = None,
    client_id: str | None = None,
    details: dict[str, str | int | bool] | None = None,
) -> None:
    """Record who read or changed whose data (R27). Reads are recorded for staff; students and
    guardians reading their own are not surveillance-worthy."""
    if action in {AuditAction.READ_RECORDS, AuditAction.READ_STUDENT} and principal.role not in (
        STAFF_ROLES | {Role.DISTRICT_ADMIN}
    ):
        return
    context.repos.audit.append(
        AuditEvent(
            at=context.now(),
            actor_id=principal.id,
            actor_role=principal.role,
            action=action,
            school_id=school_id,
            class_id=class_id,
            student_ids=sorted(set(student_ids))[:1000],
            record_id=record_id,
            correction_id=correction_id,
            user_id=user_id,
            client_id=client_id,
            details=details or {},
        )
    )


def school_names(context: Context) -> dict[str, str]:
    """The district's schools by id (one Query of a few hundred small items): for the views
    that name a school to those who may not list the schools (operators)."""
    schools = every_page(
        lambda start: context.repos.directory.list_schools(
            context.settings.district_code, limit=1000, start_key=start
        )
    )
    return {s.id: s.name for s in schools}

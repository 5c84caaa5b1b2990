"""Machine clients in the API: the district admin registers, lists, changes and disables the
other systems allowed to call it (the use case is `shared.integration.clients`)."""

from __future__ import annotations

from chalicelib.context import Context
from chalicelib.services.common import audit
from chalicelib.views_integration import (
    ClientChange,
    ClientCreate,
    ClientCreated,
    ClientList,
    ClientView,
)
from shared.access.policy import Principal, may_manage_clients, permit
from shared.domain.models import AuditAction
from shared.integration.clients import Registration, change_client, register_client


def list_clients(context: Context, principal: Principal) -> ClientList:
    """Every registered machine client (district admin)."""
    permit(may_manage_clients(principal))
    return ClientList(items=[ClientView.of(c) for c in context.repos.directory.list_clients()])


def create_client(context: Context, principal: Principal, body: ClientCreate) -> ClientCreated:
    """Register a machine client. Where this deployment issues credentials (Cognito, the local
    issuer) the answer holds its secret, this once; with an external identity provider, give
    the client id that provider issued."""
    permit(may_manage_clients(principal))
    registered = register_client(
        context.repos,
        context.credentials,
        Registration(
            name=body.name,
            scopes=body.scopes,
            all_schools=body.all_schools,
            school_ids=body.school_ids,
            client_id=body.client_id,
        ),
        actor_id=principal.id,
        now=context.now(),
    )
    _audit(context, principal, registered.client.id, "registered")
    return ClientCreated(
        client=ClientView.of(registered.client),
        client_secret=registered.secret,
        issuer=context.verifier.issuer,
    )


def change_client_route(
    context: Context, principal: Principal, client_id: str, body: ClientChange
) -> ClientView:
    """Change what a client may do, or disable it (`enabled: false`): from its next call on."""
    permit(may_manage_clients(principal))
    changed = change_client(
        context.repos, context.credentials, client_id, body.changes(), now=context.now()
    )
    _audit(context, principal, client_id, ",".join(sorted(body.changes())) or "nothing")
    return ClientView.of(changed)


def _audit(context: Context, principal: Principal, client_id: str, what: str) -> None:
    audit(
        context,
        principal,
        AuditAction.CHANGE_CLIENT,
        school_id=None,
        client_id=client_id,
        details={"change": what},
    )

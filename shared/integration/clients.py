"""Registering machine clients: the district admin's use case, for any entry point.

A client's credentials come from the issuer (`shared.identity.credentials`): created there when
this deployment has an adapter for it (Cognito, the local issuer), or — with an external
provider — registered there by the district and named here by their client id. Either way the
registry entry says what the client may do; its token's scopes follow the registry's families.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from shared.access.clients import token_scopes
from shared.db.repositories import Repositories
from shared.domain.models import MachineClient
from shared.error_codes import ErrorCode
from shared.exceptions import InvalidInput, NotFound
from shared.identity.credentials import CredentialIssuer


@dataclass(frozen=True, slots=True)
class Registration:
    """What the district admin asks for."""

    name: str
    scopes: Sequence[str]
    all_schools: bool
    school_ids: Sequence[str]
    client_id: str | None = None  # the external provider's; None when this deployment issues


@dataclass(frozen=True, slots=True)
class Registered:
    client: MachineClient
    secret: str | None  # shown once when this deployment issued the credentials


def register_client(
    repos: Repositories,
    credentials: CredentialIssuer | None,
    registration: Registration,
    *,
    actor_id: str,
    now: datetime,
) -> Registered:
    """Register a client: its credentials issued here (or named, for an external provider),
    then its registry entry. Schools named must exist."""
    _check_schools(repos, registration.school_ids)
    if credentials is not None and registration.client_id is not None:
        raise InvalidInput(
            ErrorCode.REQUEST_INVALID,
            detail="本系统自行签发对接系统的凭证，请不要填写 client_id",
        )
    if credentials is None and registration.client_id is None:
        raise InvalidInput(
            ErrorCode.REQUEST_INVALID,
            detail="本系统的登录由外部身份服务签发，请先在该服务中创建客户端，再填写其 client_id",
        )
    # The entry is checked whole before the issuer creates anything it would then orphan.
    client = _valid(
        {
            "id": registration.client_id or "pending",
            "name": registration.name,
            "scopes": sorted(set(registration.scopes)),
            "all_schools": registration.all_schools,
            "school_ids": sorted(set(registration.school_ids)),
            "created_by": actor_id,
            "created_at": now,
            "updated_at": now,
        }
    )
    secret = None
    if credentials is not None:
        issued = credentials.create(_label(registration.name), token_scopes(client.scopes))
        client, secret = client.model_copy(update={"id": issued.client_id}), issued.client_secret
    repos.directory.put_client(client, new=True)
    return Registered(client, secret)


def change_client(
    repos: Repositories,
    credentials: CredentialIssuer | None,
    client_id: str,
    changes: dict[str, object],
    *,
    now: datetime,
) -> MachineClient:
    """Apply `changes` (name, scopes, all_schools, school_ids, enabled) to a client: from its
    next call on, for the registry; from its next token on, for the issuer's scopes."""
    current = repos.directory.get_client(client_id)
    school_ids = changes.get("school_ids")
    if isinstance(school_ids, list):
        _check_schools(repos, school_ids)
    changed = MachineClient.model_validate({**current.model_dump(), **changes, "updated_at": now})
    if credentials is not None and token_scopes(changed.scopes) != token_scopes(current.scopes):
        credentials.set_scopes(client_id, token_scopes(changed.scopes))
    repos.directory.put_client(changed)
    return changed


def _valid(fields: dict[str, object]) -> MachineClient:
    try:
        return MachineClient.model_validate(fields)
    except ValidationError as exc:
        reasons = "；".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise InvalidInput(ErrorCode.REQUEST_INVALID, detail=_ZH.get(reasons, reasons)) from None


# The registry's own rules, as the district admin reads them.
_ZH = {
    "either all_schools or a list of school_ids, not both or neither": (
        "请选择全部学校（all_schools），或列出具体学校（school_ids），二者选其一"
    ),
    "scopes and school_ids are listed once each": "授权范围与学校不能重复",
}


def _check_schools(repos: Repositories, school_ids: Sequence[str]) -> None:
    for school_id in school_ids:
        try:
            repos.directory.get_school(school_id)
        except NotFound:
            raise InvalidInput(
                ErrorCode.REQUEST_INVALID, detail=f"学校 {school_id} 不存在"
            ) from None


def _label(name: str) -> str:
    """A name the issuer accepts (ASCII), unique: the readable name stays in the registry."""
    ascii_part = re.sub(r"[^A-Za-z0-9-]+", "-", name).strip("-")[:40]
    return f"{ascii_part or 'client'}-{uuid.uuid4().hex[:8]}"

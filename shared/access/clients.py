"""Machine clients: other systems of the district calling the API (issue 13).

A client proves who it is with an OAuth 2.0 client-credentials access token (a Cognito app
client of the API's resource server, or the district provider's). What it may do is decided
here, from two things that must both allow it:

* the **token's scopes**, coarse, as the issuer grants them: `growth/ingest`, `growth/roster`,
  `growth/records`, `growth/events` (one per family, so the issuer's configuration does not
  change when a template is added);
* the **registry** (`MachineClient`, read on every call): the exact scopes (`ingest:<template>`,
  `roster:write`, `records:read`, `events:read`), the schools it may touch, and whether it is
  enabled. Disabling a client or narrowing it takes effect on its next request.

As for people, a school or class outside a client's reach does not exist for it (404).
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from typing import Final

from shared.domain.models import MachineClient, Role, SchoolClass
from shared.error_codes import Entity, ErrorCode
from shared.exceptions import Forbidden, NotFound

# The API's OAuth resource server: a token's scopes are `growth/<family>`.
RESOURCE_SERVER: Final = "growth"
FAMILIES: Final = {
    "ingest": "推送记录",
    "roster": "写入名册",
    "records": "读取记录",
    "events": "读取变更",
}


def family(scope: str) -> str:
    """`ingest` of `ingest:academic-score`: the part the issuer's token carries."""
    return scope.partition(":")[0]


def token_scope(scope: str) -> str:
    """The issuer's scope that must accompany a registry scope: `growth/ingest`."""
    return f"{RESOURCE_SERVER}/{family(scope)}"


def token_scopes(scopes: list[str]) -> list[str]:
    """The issuer's scopes a client with these registry scopes is given, sorted, once each."""
    return sorted({token_scope(s) for s in scopes})


@dataclass(frozen=True, slots=True)
class ClientPrincipal:
    """A machine client as it calls now: its registry entry and its token's scopes."""

    client: MachineClient
    granted: frozenset[str]  # the token's scopes

    @property
    def id(self) -> str:
        return self.client.id

    @property
    def role(self) -> Role:
        return Role.SYSTEM

    @property
    def name(self) -> str:
        return self.client.name

    def has(self, scope: str) -> bool:
        """Both the registry and the token allow `scope`."""
        return scope in self.client.scopes and token_scope(scope) in self.granted

    def reaches(self, school_id: str) -> bool:
        return self.client.all_schools or school_id in self.client.school_ids

    @property
    def schools(self) -> Container[str]:
        """The schools it may touch, as something `in` answers."""
        return _Every() if self.client.all_schools else frozenset(self.client.school_ids)


class _Every:
    def __contains__(self, item: object) -> bool:
        return True


def require_scope(client: ClientPrincipal, scope: str) -> None:
    """403 with the scope named when the client may not do this at all."""
    if not client.has(scope):
        raise Forbidden(ErrorCode.CLIENT_SCOPE, scope=scope)


def require_school(client: ClientPrincipal, school_id: str) -> None:
    """A school outside the client's reach does not exist for it."""
    if not client.reaches(school_id):
        raise NotFound(Entity.SCHOOL)


def require_class(client: ClientPrincipal, school_class: SchoolClass, school_id: str) -> None:
    """A class of another school (or of the named school's neighbour) does not exist for it."""
    if school_class.school_id != school_id or not client.reaches(school_class.school_id):
        raise NotFound(Entity.SCHOOL_CLASS)

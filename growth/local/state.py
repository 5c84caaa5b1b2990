"""The local platform's state directory (default `.local/`, git-ignored).

It holds what must outlive one run of `growth local` and be readable from another terminal:

    dev-issuer.pem      the development issuer's signing key (tokens survive a restart)
    page-token-secret   the API's page-token secret (page tokens survive a restart)
    users.json          the issuer, audience and URLs of the last run, and the demo logins
    metrics.jsonl       the metrics the functions and the API wrote in the last run

`growth local token LOGIN` needs only the key and `users.json`, so it works whether or not the
platform is running (a token is accepted once a platform with the same issuer URL runs).
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

from shared.domain.models import Role
from shared.identity.dev_issuer import DevIssuer, load_key

DEFAULT_STATE_DIR: Final = Path(".local")
KEY_FILE: Final = "dev-issuer.pem"
SECRET_FILE: Final = "page-token-secret"  # noqa: S105 - a file name
USERS_FILE: Final = "users.json"
CONTROL_KEY_FILE: Final = "control-key"  # who may fire the platform's schedules (remind --at)
ISSUER_SECRET_FILE: Final = "issuer-secret"  # noqa: S105 - a file name
CLIENTS_FILE: Final = "clients.json"
# The functions' and the API's metrics (EMF lines, as Lambda writes them to CloudWatch Logs).
METRICS_FILE: Final = "metrics.jsonl"
AUDIENCE: Final = "growth-local"  # the dev issuer's "app client id"


class LocalError(Exception):
    """Something the local platform cannot do, with a message for the person at the terminal."""


@dataclass(frozen=True, slots=True)
class DemoLogin:
    """One demo user someone can act as: `login` is the Cognito username, `user_id` the `sub`."""

    login: str
    user_id: str
    role: Role
    name: str
    school: str = ""  # the school's name; empty for the district and guardians
    note: str = ""  # what this person has: classes taught, the child, ...

    def to_json(self) -> dict[str, str]:
        return {**asdict(self), "role": self.role.value}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DemoLogin:
        return cls(**{**data, "role": Role(data["role"])})


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Where the last run of the platform listened, and whose tokens it accepted."""

    api_url: str
    issuer: str
    audience: str
    moto_url: str

    @property
    def openapi_url(self) -> str:
        return f"{self.api_url}/v1/openapi.json"


@dataclass(frozen=True, slots=True)
class UsersFile:
    endpoints: Endpoints
    logins: tuple[DemoLogin, ...]

    def find(self, login: str) -> DemoLogin:
        for candidate in self.logins:
            if candidate.login == login:
                return candidate
        raise LocalError(f"没有演示账号 {login}；用 growth local users 查看全部账号")


class LocalState:
    """The files of one state directory."""

    def __init__(self, directory: Path = DEFAULT_STATE_DIR) -> None:
        self.directory = directory

    @property
    def key_path(self) -> Path:
        return self.directory / KEY_FILE

    @property
    def users_path(self) -> Path:
        return self.directory / USERS_FILE

    def prepare(self) -> None:
        """Create the directory, readable by its owner only (it holds a private key)."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    def issuer(self, issuer_url: str) -> DevIssuer:
        """The development issuer at `issuer_url`, with the key kept here (made on first use)."""
        self.prepare()
        return DevIssuer.load_or_create(self.key_path, issuer=issuer_url, audience=AUDIENCE)

    def page_token_secret(self) -> str:
        """The API's page-token secret, made on first use."""
        return self._secret(SECRET_FILE)

    def issuer_secret(self) -> str:
        """What the API shows the development issuer to register machine clients."""
        return self._secret(ISSUER_SECRET_FILE)

    @property
    def metrics_path(self) -> Path:
        """Where the platform's functions and API write their metrics (`growth local status`)."""
        return self.directory / METRICS_FILE

    @property
    def clients_path(self) -> Path:
        """The development issuer's machine clients (ids, secret digests, scopes)."""
        return self.directory / CLIENTS_FILE

    def control_key(self) -> str:
        """The key `growth local remind` shows the running platform, made on first use."""
        return self._secret(CONTROL_KEY_FILE)

    def _secret(self, name: str) -> str:
        self.prepare()
        path = self.directory / name
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as file:
                file.write(secrets.token_urlsafe(48))
        return path.read_text(encoding="ascii").strip()

    def save_users(self, users: UsersFile) -> None:
        """Write the logins and endpoints of this run (atomically: another terminal may be
        reading them)."""
        self.prepare()
        data = {**asdict(users.endpoints), "users": [u.to_json() for u in users.logins]}
        partial = self.users_path.with_suffix(".tmp")
        partial.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
        partial.replace(self.users_path)

    def load_users(self) -> UsersFile:
        """The logins of the last run; LocalError if the platform never ran with this state."""
        try:
            data = json.loads(self.users_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise LocalError(
                f"{self.directory}/ 里还没有演示账号：先运行 growth local（或 make run）"
            ) from None
        logins = tuple(DemoLogin.from_json(u) for u in data.pop("users"))
        return UsersFile(Endpoints(**data), logins)

    def mint_token(self, login: str) -> str:
        """A bearer token for a demo login, signed with the kept key for the last run's
        issuer: what `growth local token LOGIN` prints."""
        users = self.load_users()
        person = users.find(login)
        if not self.key_path.exists():
            raise LocalError(f"{self.key_path} 不存在：先运行 growth local（或 make run）")
        issuer = DevIssuer(
            load_key(self.key_path),
            issuer=users.endpoints.issuer,
            audience=users.endpoints.audience,
        )
        return issuer.mint(person.user_id, person.login)

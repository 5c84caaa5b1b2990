"""`growth local users` and `growth local token` read the state directory only: they work from
another terminal, and even while the platform is not running."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from growth.cli import main
from growth.local.state import AUDIENCE, DemoLogin, Endpoints, LocalError, LocalState, UsersFile
from shared.domain.models import Role
from shared.identity.tokens import StaticKeys, TokenVerifier

ISSUER = "http://127.0.0.1:8001/dev-issuer"
LOGINS = (
    DemoLogin("district", "u-district", Role.DISTRICT_ADMIN, "石蕊", "", "区管理员：全区"),
    DemoLogin("teacher-sch1-1-1", "u-t", Role.TEACHER, "武皓天", "闵行区实验小学", "班主任"),
)


def saved_state(tmp_path: Path) -> LocalState:
    """A state directory as a run of the platform leaves it."""
    state = LocalState(tmp_path / "state")
    state.issuer(ISSUER)  # makes and keeps the key
    endpoints = Endpoints("http://127.0.0.1:8000", ISSUER, AUDIENCE, "http://127.0.0.1:5000")
    state.save_users(UsersFile(endpoints, LOGINS))
    return state


def test_a_token_is_signed_by_the_kept_key_for_the_recorded_issuer(tmp_path: Path) -> None:
    state = saved_state(tmp_path)
    token = state.mint_token("teacher-sch1-1-1")
    issuer = state.issuer(ISSUER)
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, keys=StaticKeys(issuer.jwks()))
    claims = verifier.verify(token)
    assert claims.subject == "u-t"
    assert claims.username == "teacher-sch1-1-1"


def test_the_key_and_secret_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    state = saved_state(tmp_path)
    secret = state.page_token_secret()
    assert len(secret) >= 32
    assert state.page_token_secret() == secret  # kept across runs
    for path in (state.key_path, state.directory / "page-token-secret"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_growth_local_token_prints_only_the_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = saved_state(tmp_path)
    code = main(["local", "token", "district", "--state-dir", str(state.directory)])
    out, err = capsys.readouterr()
    assert code == 0
    assert err == ""
    assert out.count("\n") == 1
    assert out.count(".") == 2


def test_growth_local_users_lists_login_role_school_and_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = saved_state(tmp_path)
    code = main(["local", "--state-dir", str(state.directory), "users", "--json"])
    out, _ = capsys.readouterr()
    assert code == 0
    users = json.loads(out)
    assert [(u["login"], u["role"], u["school"], u["name"]) for u in users] == [
        ("district", "district_admin", "", "石蕊"),
        ("teacher-sch1-1-1", "teacher", "闵行区实验小学", "武皓天"),
    ]
    assert main(["local", "users", "--state-dir", str(state.directory)]) == 0
    assert "teacher-sch1-1-1" in capsys.readouterr().out


def test_an_unknown_login_or_a_platform_never_run_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = saved_state(tmp_path)
    with pytest.raises(LocalError, match="没有演示账号 nobody"):
        state.mint_token("nobody")
    code = main(["local", "token", "x", "--state-dir", str(tmp_path / "empty")])
    assert code == 2
    assert "先运行 growth local" in capsys.readouterr().err

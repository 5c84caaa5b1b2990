"""Page tokens are opaque and tamper-evident: they work only where they were issued."""

from __future__ import annotations

import pytest

from shared.access.pages import PageTokens
from shared.error_codes import ErrorCode
from shared.exceptions import InvalidInput

SECRET = b"k" * 32
POSITION = {"pk": {"S": "CLASS#c1"}, "sk": {"S": "STUDENT#s42"}}
SCOPE = "user:t1|GET /v1/classes/c1/students|"


def test_a_token_round_trips_within_its_scope() -> None:
    tokens = PageTokens(SECRET)
    token = tokens.seal(POSITION, SCOPE)
    assert tokens.open(token, SCOPE) == POSITION
    assert "CLASS" not in token  # opaque to the eye, if not to a decoder


@pytest.mark.parametrize(
    "other_scope",
    [
        "user:t2|GET /v1/classes/c1/students|",  # another user
        "user:t1|GET /v1/classes/c2/students|",  # another class
        "user:t1|GET /v1/classes/c1/students|term=2024-2025-1",  # other filters
    ],
)
def test_a_token_replayed_in_another_scope_is_refused(other_scope: str) -> None:
    token = PageTokens(SECRET).seal(POSITION, SCOPE)
    with pytest.raises(InvalidInput) as caught:
        PageTokens(SECRET).open(token, other_scope)
    assert caught.value.code is ErrorCode.PAGE_TOKEN_INVALID


def test_an_altered_or_foreign_or_expired_token_is_refused() -> None:
    tokens = PageTokens(SECRET)
    token = tokens.seal(POSITION, SCOPE, now=1000.0)
    payload, mac = token.split(".")
    forged = tokens.seal({"pk": {"S": "CLASS#c9"}}, SCOPE, now=1000.0).split(".")[0] + "." + mac
    for bad in (forged, payload + "." + mac[:-2] + "AA", "nonsense", "", "a.b.c"):
        with pytest.raises(InvalidInput):
            tokens.open(bad, SCOPE, now=1000.0)
    with pytest.raises(InvalidInput):
        PageTokens(b"z" * 32).open(token, SCOPE, now=1000.0)  # another server's secret
    assert tokens.open(token, SCOPE, now=1000.0 + 3599) == POSITION
    with pytest.raises(InvalidInput):
        tokens.open(token, SCOPE, now=1000.0 + 3601)


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        PageTokens(b"short")

"""Push a batch of records to the growth-data API as another system of the district would.

Standard library + requests only: copy this file into the client system and adapt it.

    python examples/push_scores.py --api https://api.example.edu.cn \
        --issuer https://cognito-idp.../cn-north-1_AbC --client-id ID --client-secret SECRET \
        --template academic-score batch.json

1. Obtain an access token with the OAuth 2.0 client-credentials grant, at the token endpoint
   named by the issuer's discovery document (client id and secret in HTTP Basic).
2. POST the batch to /v1/ingest/{template} with a fresh Idempotency-Key. On a timeout or a 5xx,
   send the *same* request with the *same* key again: the API takes the batch once and answers
   every retry as it answered the first (409 means the first is still being taken in: wait).
3. Poll the status URL until the batch is finished, and print its result: the counts, and each
   rejected record's errors by record index and JSON pointer (/records/12/score).
4. With --changes (scope growth/events): read the change feed /v1/changes from the beginning,
   page after page, as a system that pulls would, and print what it holds for the class (keep
   the last `next` cursor to poll from next time).

Exit status: 0 when every record was accepted, 1 when some were rejected, 2 on an error.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import requests

TIMEOUT_S = 30


def access_token(issuer: str, client_id: str, secret: str, scope: str) -> str:
    """A client-credentials access token from the issuer's token endpoint."""
    discovery = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=TIMEOUT_S)
    discovery.raise_for_status()
    answer = requests.post(
        discovery.json()["token_endpoint"],
        data={"grant_type": "client_credentials", "scope": scope},
        auth=(client_id, secret),
        timeout=TIMEOUT_S,
    )
    answer.raise_for_status()
    token: str = answer.json()["access_token"]
    return token


def push(api: str, token: str, template: str, body: bytes, key: str) -> requests.Response:
    """One attempt at pushing the batch under `key`."""
    return requests.post(
        f"{api}/v1/ingest/{template}",
        data=body,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        },
        timeout=TIMEOUT_S,
    )


def push_with_retries(
    api: str, token: str, template: str, body: bytes, attempts: int = 5
) -> dict[str, Any]:
    """Push once under one key, retrying what may be retried with that same key."""
    key = str(uuid.uuid4())
    for attempt in range(attempts):
        try:
            answer = push(api, token, template, body, key)
        except requests.RequestException:
            answer = None  # no answer: the batch may or may not have arrived; retry, same key
        if answer is not None and answer.status_code == 202:
            accepted: dict[str, Any] = answer.json()
            return accepted
        if answer is not None and answer.status_code not in (409, 429) and answer.status_code < 500:
            raise SystemExit(f"refused ({answer.status_code}): {answer.json().get('detail')}")
        time.sleep(min(2**attempt, 30))
    raise SystemExit("the API did not answer; try again later with the same batch")


def wait_for_result(api: str, token: str, status_url: str, limit_s: float = 300) -> dict[str, Any]:
    """The batch's status once it is finished."""
    deadline = time.monotonic() + limit_s
    while True:
        answer = requests.get(
            f"{api}{status_url}", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT_S
        )
        answer.raise_for_status()
        status: dict[str, Any] = answer.json()
        if status["finished"]:
            return status
        if time.monotonic() > deadline:
            raise SystemExit(f"not finished after {limit_s:.0f} s: {status_url}")
        time.sleep(1)


def read_changes(
    api: str,
    token: str,
    template: str,
    where: dict[str, str],
    expected: int,
    limit_s: float = 60,
) -> dict[str, Any]:
    """Every change of the template from the beginning, until the class and term in `where`
    show `expected` upserted records (changes appear once they are a moment old); their
    entries and the cursor to poll from next time."""
    deadline = time.monotonic() + limit_s
    entries: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params = {"template": template, "limit": "500", **({"since": cursor} if cursor else {})}
        answer = requests.get(
            f"{api}/v1/changes",
            params=params,
            headers={"Authorization": f"Bearer {token}"},
            timeout=TIMEOUT_S,
        )
        answer.raise_for_status()
        page = answer.json()
        entries += page["items"]
        cursor = page["next"]
        if page["has_more"]:
            continue
        mine = [
            e
            for e in entries
            if e["kind"] == "upserted" and all(e[k] == v for k, v in where.items())
        ]
        if len(mine) >= expected or time.monotonic() > deadline:
            return {"entries": mine, "next": cursor}
        time.sleep(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "batch", type=Path, help="a JSON batch: {term, school_id, class_id, records}"
    )
    parser.add_argument("--api", required=True)
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--template", default="academic-score")
    parser.add_argument(
        "--changes",
        action="store_true",
        help="then read the change feed (the client needs the scope events:read)",
    )
    parser.add_argument(
        "--retry-once",
        action="store_true",
        help="send the same request a second time, as after a lost answer (shows idempotency)",
    )
    args = parser.parse_args(argv)

    body = args.batch.read_bytes()
    scope = "growth/ingest growth/events" if args.changes else "growth/ingest"
    token = access_token(args.issuer, args.client_id, args.client_secret, scope)
    key = str(uuid.uuid4())
    if args.retry_once:
        first = push(args.api, token, args.template, body, key)
        again = push(args.api, token, args.template, body, key)
        print(json.dumps({"first": first.json(), "retry": again.json()}, ensure_ascii=False))
        if first.status_code != 202 or again.json() != first.json():
            return 2
        accepted = first.json()
    else:
        accepted = push_with_retries(args.api, token, args.template, body)
    status = wait_for_result(args.api, token, accepted["status_url"])
    print(json.dumps(status, ensure_ascii=False))
    if args.changes:
        accepted_rows = (status["result"] or {}).get("rows_accepted", 0)
        term = json.loads(body).get("term")
        where = {"class_id": status["class_id"], **({"term": term} if term else {})}
        changes = read_changes(args.api, token, args.template, where, accepted_rows)
        print(json.dumps(changes, ensure_ascii=False))
    return 0 if status["status"] == "accepted" else 1


if __name__ == "__main__":
    sys.exit(main())

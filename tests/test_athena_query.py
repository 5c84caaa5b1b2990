"""`growth query --athena`: the statement goes to Athena in the stage's workgroup and lake
database, is polled until it finished (stopped at the timeout), and its result pages come back
as the same table DuckDB's would print. Against moto's Athena in server mode (which runs no
SQL: its canned results stand in for Athena's, so what is checked is the request flow), and a
small fake for what moto cannot do (failures, result paging)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

from analytics import view_sql
from analytics.athena import AthenaError, AthenaQueries, Polling
from growth.cli import main
from shared.constants import ENV_AWS_ENDPOINT_URL, ENV_AWS_REGION

pytestmark = pytest.mark.timeout(60)

REGION = "cn-north-1"
WORKGROUP, DATABASE = "growth-dev-analysis", "growth_dev"


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="module")
def json_protocol_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Athena's API model as botocore has it, spoken in the JSON protocol by both sides:
    botocore 1.44 sends Athena REST-JSON, which moto 5.2's Athena does not route (it serves
    Athena's former JSON protocol at `/` only). Same operations, parameters and responses;
    only the wire format differs. The client reads the model through AWS_DATA_PATH, moto's
    router through its loader."""
    import botocore.loaders
    import moto.core.routing
    import moto.core.utils
    from moto.core.loaders import Loader, moto_root

    loader = botocore.loaders.Loader()
    version = loader.determine_latest_version("athena", "service-2")
    model = loader.load_service_model("athena", "service-2", version)
    model["metadata"].update(
        protocol="json", protocols=["json"], jsonVersion="1.1", targetPrefix="AmazonAthena"
    )
    for operation in model["operations"].values():
        operation["http"] = {"method": "POST", "requestUri": "/"}
    root = tmp_path_factory.mktemp("botocore-data")
    target = root / "athena" / version / "service-2.json"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(model))
    original = moto.core.utils.create_loader

    def forget() -> None:
        moto.core.utils.get_service_model.cache_clear()
        moto.core.routing.get_service_router.cache_clear()

    moto.core.utils.create_loader = lambda: Loader(extra_search_paths=[str(root), moto_root])
    forget()
    yield root
    moto.core.utils.create_loader = original
    forget()


@pytest.fixture
def athena(
    moto_endpoint: str, json_protocol_model: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """An Athena client of moto's server with the stage's workgroup; queries move on from
    QUEUED to RUNNING to SUCCEEDED one state per GetQueryExecution (moto's state manager)."""
    monkeypatch.setenv("AWS_DATA_PATH", str(json_protocol_model))  # read by new sessions
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv(ENV_AWS_REGION, REGION)
    monkeypatch.setenv(ENV_AWS_ENDPOINT_URL, moto_endpoint)
    client = boto3.Session().client("athena", region_name=REGION, endpoint_url=moto_endpoint)
    assert client.meta.service_model.protocol == "json"
    if WORKGROUP not in [w["Name"] for w in client.list_work_groups()["WorkGroups"]]:
        client.create_work_group(Name=WORKGROUP, Configuration={})
    progress(moto_endpoint, times=1)
    yield client
    requests.post(
        f"{moto_endpoint}/moto-api/state-manager/unset-transition",
        json={"model_name": "athena::execution"},
        timeout=5,
    )


def progress(endpoint: str, *, times: int) -> None:
    """Queries advance one state every `times` GetQueryExecution calls."""
    response = requests.post(
        f"{endpoint}/moto-api/state-manager/set-transition",
        json={
            "model_name": "athena::execution",
            "transition": {"progression": "manual", "times": times},
        },
        timeout=5,
    )
    assert response.status_code == 201


def canned(endpoint: str, columns: list[tuple[str, str]], rows: list[list[str | None]]) -> None:
    """The next query's result, as Athena gives a SELECT's: the header row first."""
    header = [{"VarCharValue": name} for name, _ in columns]
    data = [[{} if v is None else {"VarCharValue": v} for v in row] for row in rows]
    response = requests.post(
        f"{endpoint}/moto-api/static/athena/query-results",
        json={
            "region": REGION,
            "results": [
                {
                    "rows": [{"Data": cells} for cells in [header, *data]],
                    "column_info": [
                        {"Name": name, "Label": name, "Type": kind} for name, kind in columns
                    ],
                }
            ],
        },
        timeout=5,
    )
    assert response.status_code == 201


class Clock:
    """Time that passes only when the code sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_growth_query_athena_runs_the_view_in_the_stages_workgroup_and_database(
    athena: Any, moto_endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given Athena's answer to the next query
    canned(
        moto_endpoint,
        [("school_id", "varchar"), ("uploads", "bigint"), ("last_upload", "timestamp")],
        [["sch-a", "2", "2024-11-06 08:00:00.000"], ["sch-b", "1", None]],
    )
    # When an analyst runs a view on Athena
    code = main(
        [
            "query",
            "--view",
            "uploads_by_school",
            "--athena",
            "--workgroup",
            WORKGROUP,
            "--database",
            DATABASE,
            "--format",
            "json",
            "--timeout",
            "30",
        ]
    )
    # Then the result is printed, typed by Athena's column metadata, without the header row
    assert code == 0
    assert json.loads(capsys.readouterr().out) == [
        {"school_id": "sch-a", "uploads": 2, "last_upload": "2024-11-06T08:00:00+00:00"},
        {"school_id": "sch-b", "uploads": 1, "last_upload": None},
    ]
    # …and Athena was asked for exactly the view's SQL, in the stage's workgroup and database,
    # and polled until it succeeded
    (query_id,) = athena.list_query_executions(WorkGroup=WORKGROUP)["QueryExecutionIds"]
    execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
    assert execution["Query"] == view_sql("uploads_by_school")
    assert execution["QueryExecutionContext"] == {"Database": DATABASE, "Catalog": "AwsDataCatalog"}
    assert execution["WorkGroup"] == WORKGROUP
    assert execution["Status"]["State"] == "SUCCEEDED"


def test_polling_backs_off_until_the_query_finished(athena: Any, moto_endpoint: str) -> None:
    # Given queries that take two polls per state, and a clock that moves when the code sleeps
    progress(moto_endpoint, times=2)
    canned(moto_endpoint, [("n", "bigint")], [["7"]])
    clock = Clock()
    queries = AthenaQueries(
        athena,
        workgroup=WORKGROUP,
        database=DATABASE,
        polling=Polling(first_s=1, max_s=4, timeout_s=60),
        sleep=clock.sleep,
        clock=lambda: clock.now,
    )
    # When a statement runs
    result = queries.run("SELECT count(*) AS n FROM records_academic_score")
    # Then it was polled four times (QUEUED, RUNNING, RUNNING, SUCCEEDED), waiting longer each
    # time up to the 4 s ceiling, and its result read
    assert result.to_pylist() == [{"n": 7}]
    assert clock.sleeps == [1, 2, 4]


def test_a_query_still_running_at_the_timeout_is_stopped(athena: Any, moto_endpoint: str) -> None:
    # Given a query that stays queued
    progress(moto_endpoint, times=1000)
    clock = Clock()
    queries = AthenaQueries(
        athena,
        workgroup=WORKGROUP,
        database=DATABASE,
        polling=Polling(first_s=1, max_s=4, timeout_s=10),
        sleep=clock.sleep,
        clock=lambda: clock.now,
    )
    # When it is run with a 10 s timeout
    with pytest.raises(AthenaError) as raised:
        queries.run("SELECT 1")
    # Then the waiting ends at 10 s (1 + 2 + 4, then the 3 s left), the query is stopped in
    # Athena rather than left scanning, and the error says so
    assert clock.sleeps == [1, 2, 4, 3]
    assert raised.value.state == "TIMEOUT"
    assert "已停止" in str(raised.value)
    state = athena.get_query_execution(QueryExecutionId=raised.value.query_id)
    assert state["QueryExecution"]["Status"]["State"] == "CANCELLED"


class FakeAthena:
    """What moto cannot do: a failing query, and results in several pages."""

    def __init__(self, pages: list[dict[str, Any]], state: str = "SUCCEEDED") -> None:
        self.pages = pages
        self.state = state
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def start_query_execution(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("start", kwargs))
        return {"QueryExecutionId": "q1"}

    def get_query_execution(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("get", kwargs))
        status = {"State": self.state, "StateChangeReason": "COLUMN_NOT_FOUND: line 1:8"}
        return {"QueryExecution": {"Status": status, "StatementType": "DML"}}

    def get_query_results(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("results", kwargs))
        index = int(kwargs.get("NextToken", "0"))
        page = dict(self.pages[index])
        if index + 1 < len(self.pages):
            page["NextToken"] = str(index + 1)
        return page


def page(rows: list[list[str]], columns: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"Rows": [{"Data": [{"VarCharValue": v} for v in r]} for r in rows]}
    if columns is not None:
        info = [{"Name": n, "Type": t} for n, t in columns]
        result["ResultSetMetadata"] = {"ColumnInfo": info}
    return {"ResultSet": result}


def test_every_page_of_the_results_is_read_and_only_the_first_row_is_a_header() -> None:
    columns = [("grade", "tinyint"), ("rate", "double"), ("day", "date")]
    fake = FakeAthena(
        [
            page([["grade", "rate", "day"], ["7", "0.5", "2024-11-05"]], columns),
            page([["8", "0.25", "2024-11-06"]]),
        ]
    )
    queries = AthenaQueries(fake, workgroup=WORKGROUP, database=DATABASE)  # type: ignore[arg-type]
    table = queries.run("SELECT grade, rate, day FROM t")
    assert [(r["grade"], r["rate"], str(r["day"])) for r in table.to_pylist()] == [
        (7, 0.5, "2024-11-05"),
        (8, 0.25, "2024-11-06"),
    ]
    tokens = [c[1].get("NextToken") for c in fake.calls if c[0] == "results"]
    assert tokens == [None, "1"]


def test_a_failed_query_is_an_error_with_athenas_reason(
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake = FakeAthena([], state="FAILED")
    queries = AthenaQueries(fake, workgroup=WORKGROUP, database=DATABASE)  # type: ignore[arg-type]
    with pytest.raises(AthenaError, match="COLUMN_NOT_FOUND"):
        queries.run("SELECT nope FROM t")
    assert [c[0] for c in fake.calls] == ["start", "get"]  # no results asked for


def test_athena_needs_its_workgroup_and_database(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "SELECT 1", "--athena", "--workgroup", WORKGROUP]) == 2
    assert "--database" in capsys.readouterr().err
    assert main(["query", "SELECT 1", "--athena", "--workgroup", "w", "--database", "d",
                 "--lake", "."]) == 2  # fmt: skip
    assert "--lake" in capsys.readouterr().err

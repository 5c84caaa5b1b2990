"""The API's cold start (PERFORMANCE.md: within 1.3× of importing boto3 with its clients):
`import app` loads the routing table and nothing a route needs; each route imports its own
service and models on its first call. `python -m benchmarks.bench_imports` measures the time;
these tests keep what is loaded, which a loaded machine cannot make flaky."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pydantic import BaseModel

from chalicelib.api import Ref

ROOT = Path(__file__).resolve().parents[1]

# What `import app` used to pull in (2.2-2.5× the floor in all), and must not again. Each is
# needed by some requests, never by the import.
HEAVY = (
    "pydantic",  # every model; the routes' models are built on first use
    "pydantic_settings",  # the settings, read by the context on the first request
    "boto3",  # clients are built by the context on the first request
    "jwt",  # token verification, on the first authenticated request
    "cryptography",
    "aws_lambda_powertools",  # metrics, written as the first request ends
    "chalicelib.context",  # the composition root: settings, clients, repositories
    "chalicelib.problems",  # error answers (pydantic models)
    "shared.db.repositories",  # every table's repository (~90 ms)
    "shared.domain.models",
    "shared.access.policy",
    "shared.templates",
    "shared.settings",
    "shared.batches",
    "pyarrow",
    "duckdb",
    "openpyxl",
    "python_calamine",
)

# The Lambda's event for a first `GET /v1/health`, as API Gateway sends it.
HEALTH_EVENT = {
    "resource": "/v1/health",
    "path": "/v1/health",
    "httpMethod": "GET",
    "headers": {"accept": "application/json"},
    "multiValueHeaders": {},
    "queryStringParameters": None,
    "multiValueQueryStringParameters": None,
    "pathParameters": None,
    "stageVariables": None,
    "requestContext": {
        "resourcePath": "/v1/health",
        "httpMethod": "GET",
        "path": "/v1/health",
        "stage": "api",
    },
    "body": None,
    "isBase64Encoded": False,
}


def _fresh(code: str) -> str:
    """What `code` prints in a fresh interpreter (a Lambda container's cold start)."""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def _loaded(names: list[str], heavy: tuple[str, ...]) -> list[str]:
    return sorted(h for h in heavy if any(n == h or n.startswith(h + ".") for n in names))


def _referenced_modules() -> list[str]:
    from app import api

    return sorted(
        {
            part.module
            for route in api.routes
            for part in (
                route.target,
                route.response_model,
                route.body_model,
                route.query_model,
                route.raw_body_model,
            )
            if isinstance(part, Ref)
        }
    )


def test_importing_the_api_loads_no_route_service_model_or_heavy_library() -> None:
    # Given a fresh interpreter, When it imports the API
    names = json.loads(_fresh("import json, sys, app; print(json.dumps(sorted(sys.modules)))"))
    # Then none of the heavy modules came with it, and of the API's own only the routing
    assert _loaded(names, HEAVY) == []
    assert [n for n in names if n.startswith("chalicelib")] == ["chalicelib", "chalicelib.api"]
    # And every route is registered, naming its service and models by module
    assert _referenced_modules()  # (the table does name them lazily)


def test_a_first_request_imports_its_own_route_and_no_other() -> None:
    # Given a fresh interpreter with the API imported
    code = (
        "import json, sys, app\n"
        f"answer = app.app(json.loads({json.dumps(json.dumps(HEALTH_EVENT))}), None)\n"
        "services = [n for n in sys.modules if n.startswith('chalicelib.services')]\n"
        "print(json.dumps([answer['statusCode'], sorted(services), 'chalicelib.health' in "
        "sys.modules, 'chalicelib.context' in sys.modules]))"
    )
    # When the health route answers its first request
    status, services, health_loaded, context_loaded = json.loads(_fresh(code))
    # Then it answered, having imported its own module and no service, nor the context
    assert status == 200
    assert health_loaded
    assert services == []
    assert not context_loaded


def test_every_name_the_routing_table_gives_is_a_view_or_model() -> None:
    # Given every route, its view and models named by module
    from app import api

    for route in api.routes:
        # When each is resolved, Then the view is callable and each model a pydantic model
        assert callable(route.view), route.target
        for model in (route.response, route.body, route.query, route.raw_body):
            assert model is None or issubclass(model, BaseModel), (route.method, route.path)


def test_each_module_a_route_names_imports_first_on_its_own() -> None:
    # Given the modules the routing table names (a cold container imports whichever its first
    # request needs first, so an import cycle would only show in some orders)
    modules = _referenced_modules()
    assert "chalicelib.services.directory" in modules
    # When each is the first thing a fresh interpreter imports
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = list(
            pool.map(
                lambda module: subprocess.run(
                    [sys.executable, "-c", f"import {module}"],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    check=False,
                ),
                modules,
            )
        )
    # Then each imports
    failed = {m: d.stderr[-500:] for m, d in zip(modules, done, strict=True) if d.returncode}
    assert failed == {}

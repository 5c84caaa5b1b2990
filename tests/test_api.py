"""The Chalice app imports without side effects and answers its health route."""

from __future__ import annotations

from chalice.test import Client

from app import app


def test_health_reports_the_templates_it_serves() -> None:
    with Client(app) as client:
        response = client.http.get("/v1/health")
    assert response.status_code == 200
    body = response.json_body
    assert body["status"] == "ok"
    assert "academic-score@1" in body["templates"]

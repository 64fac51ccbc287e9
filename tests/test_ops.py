"""Operations: Prometheus metrics, one JSON log line per request, no-store on the API."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

QUESTION = "what's the weather in Leeds tomorrow, my number is 07700 900123"


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def request_lines() -> Iterator[list[str]]:
    handler = Lines()
    logger = logging.getLogger("faq_bot.requests")
    logger.addHandler(handler)
    yield handler.lines
    logger.removeHandler(handler)


def test_metrics_count_replies_latency_content_and_events(app: Flask, client: FlaskClient) -> None:
    """/metrics has replies by route and reason, a latency histogram, the content version and events counters."""
    client.post("/api/ask", json={"question": "Who can prescribe medical cannabis?"})
    client.post("/api/ask", json={"question": QUESTION})
    response = client.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    version = client.get("/readyz").get_json()["answers_version"]
    for line in (
        'faq_bot_replies_total{reason="matched",route="answer"} 1.0',
        'faq_bot_replies_total{reason="unmatched",route="specialist"} 1.0',
        f'faq_bot_content_info{{answers_version="{version}"}} 1.0',
        "faq_bot_content_reload_failures_total 0.0",
        "faq_bot_events_dropped_total 0.0",
    ):
        assert line in text
    assert 'faq_bot_request_duration_seconds_bucket{endpoint="api.ask",le="+Inf"} 2.0' in text
    assert "Leeds" not in text and "07700" not in text


def test_one_json_log_line_per_request_without_the_question(client: FlaskClient, request_lines: list[str]) -> None:
    """Each request logs one JSON object: method, path, status, time, route; never the question or address."""
    client.post(
        "/api/ask",
        json={"question": QUESTION},
        environ_base={"REMOTE_ADDR": "203.0.113.5"},
        headers={"User-Agent": "secret-agent"},
    )
    client.get("/api/search?q=my+name+is+Jo+Bloggs")
    assert len(request_lines) == 2
    ask, search = (json.loads(line) for line in request_lines)
    assert ask["method"] == "POST" and ask["path"] == "/api/ask" and ask["status"] == 200
    assert ask["route"] == "specialist" and ask["reason"] == "unmatched" and ask["duration_ms"] >= 0
    assert search["path"] == "/api/search"
    joined = "\n".join(request_lines)
    for secret in ("Leeds", "07700", "Bloggs", "203.0.113.5", "secret-agent"):
        assert secret not in joined


def test_request_log_never_writes_path_values(client: FlaskClient, request_lines: list[str]) -> None:
    """A path parameter is logged as its route rule; an unknown path is logged redacted."""
    client.get("/api/answers/485 777 3456")
    client.get("/api/answers/Jo-Bloggs-07700900123")
    client.get("/no-such-page/07700 900123")
    lines = [json.loads(line) for line in request_lines]
    assert [line["path"] for line in lines] == ["/api/answers/<answer_id>"] * 2 + ["/no-such-page/[PHONE]"]
    assert [line["status"] for line in lines] == [404, 404, 404]
    joined = "\n".join(request_lines)
    for secret in ("485 777", "Bloggs", "07700"):
        assert secret not in joined


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/ask", {"question": "hello"}),
        ("post", "/api/ask", {"question": ""}),
        ("get", "/api/answers", None),
        ("get", "/api/answers/no-such-id", None),
    ],
)
def test_api_responses_are_never_cached(client: FlaskClient, method: str, path: str, body: object) -> None:
    """Every /api response, error or not, says Cache-Control: no-store."""
    response = getattr(client, method)(path, json=body) if body is not None else getattr(client, method)(path)
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_reports_the_events_store(client: FlaskClient) -> None:
    """/readyz adds the events counters and where rate limits are counted next to the contract's fields."""
    body = client.get("/readyz").get_json()
    assert body["status"] == "ready"
    assert set(body["events"]) == {
        "backend",
        "written",
        "dropped",
        "rejected",
        "outage_dropped",
        "queued",
        "spilled",
        "retrying",
    }
    assert body["rate_limits"] == {"storage": "memory", "storage_down": False, "storage_failures": 0}


def test_readyz_fails_when_the_pages_files_are_missing(app: Flask, tmp_path: Any) -> None:
    """An install without templates or static files is not ready (503, naming them), though the API would answer."""
    client = app.test_client()
    assert client.get("/readyz").status_code == 200
    app.template_folder = str(tmp_path)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "broken"
    assert {path.rsplit("/", 1)[1] for path in body["missing_files"]} == {
        "base.html",
        "demo.html",
        "lookup.html",
        "admin.html",
        "admin_sign_in.html",
    }
    assert client.get("/healthz").status_code == 200  # the process itself is fine


def test_proxy_headers_are_trusted_only_when_configured() -> None:
    """With TRUSTED_PROXIES=1 the client address comes from X-Forwarded-For; by default the header is ignored."""
    from flask import request

    from faq_bot import create_app
    from tests.conftest import SERVICE

    for trusted, expected in ((0, "10.0.0.1"), (1, "198.51.100.7")):
        app = create_app({"TESTING": True, "ANSWERS_DIR": SERVICE, "TRUSTED_PROXIES": trusted})
        app.add_url_rule("/test-client-address", "test_client_address", lambda: str(request.remote_addr))
        response = app.test_client().get(
            "/test-client-address",
            environ_base={"REMOTE_ADDR": "10.0.0.1"},
            headers={"X-Forwarded-For": "198.51.100.7"},
        )
        assert response.get_data(as_text=True) == expected


def test_failed_content_reloads_are_counted(tmp_path: Any) -> None:
    """A content reload that fails shows in faq_bot_content_reload_failures_total and the failed gauge."""
    import shutil

    from faq_bot import create_app
    from tests.conftest import SERVICE

    folder = tmp_path / "answers"
    shutil.copytree(SERVICE, folder)
    app = create_app({"TESTING": True, "ANSWERS_DIR": str(folder)})
    reloader = getattr(app.extensions["faq_bot"], "reloader", None)
    if reloader is None:
        pytest.skip("this build has no content reloader")
    (folder / "ms-pain.yaml").write_text("answers: [unclosed\n", encoding="utf-8")
    assert reloader.check(force=True).status == "failed"
    text = app.test_client().get("/metrics").get_data(as_text=True)
    assert "faq_bot_content_reload_failures_total 1.0" in text
    assert "faq_bot_content_reload_failed 1.0" in text

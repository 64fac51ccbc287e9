"""Bad input never crashes the service: deep nesting, Unicode digits and oversized bodies get JSON 4xx."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from faq_bot.http_errors import HTTP_CODES
from tests.conftest import app_builder, assert_error

TOKEN = "bad-input-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
DEEP_LIST = "[" * 1000 + "]" * 1000  # 2 KB; Python's JSON parser gives up with RecursionError
DEEP_OBJECT = '{"question":' * 1000 + '"x"' + "}" * 1000


@pytest.fixture
def client(events_database: str) -> Iterator[Any]:
    with app_builder(ADMIN_TOKEN=TOKEN, RATELIMIT_ENABLED=False) as build:
        yield build().test_client()


@pytest.mark.parametrize("path", ["/api/ask", "/api/feedback", "/api/picked"])
@pytest.mark.parametrize("body", [DEEP_LIST, DEEP_OBJECT], ids=["list", "object"])
def test_deeply_nested_json_is_a_400(client: Any, path: str, body: str) -> None:
    """About 1,000 nested brackets in 2 KB are 400 malformed-json, not a RecursionError 500."""
    assert len(body) < 16384
    response = client.post(path, data=body, content_type="application/json")
    assert_error(response, 400, "malformed-json")
    assert "nested too deeply" in response.get_json()["error"]["message"]


def test_moderately_nested_json_is_still_read(client: Any) -> None:
    """Nesting the parser can read is judged on its shape: a nested question is invalid-question."""
    body = '{"question":' + "[" * 50 + "]" * 50 + "}"
    assert_error(client.post("/api/ask", data=body, content_type="application/json"), 400, "invalid-question")


@pytest.mark.parametrize("days", ["²", "١٢", "３０", "1²", "-1", "+5", " 5", "0", "367", "5.0", ""])
def test_admin_days_must_be_ascii_digits_in_range(client: Any, days: str) -> None:
    """Unicode digits pass str.isdigit() but are refused like any other bad ?days=: 400 invalid-days."""
    for path in ("/admin/api/stats", "/admin/api/inbox", "/admin/api/feedback", "/admin"):
        assert_error(client.get(path, query_string={"days": days}, headers=AUTH), 400, "invalid-days")


def test_admin_days_accepts_a_plain_number(client: Any) -> None:
    """An ASCII whole number of days in range is read as such."""
    response = client.get("/admin/api/stats", query_string={"days": "7"}, headers=AUTH)
    assert response.status_code == 200 and response.get_json()["days"] == 7


def test_too_large_has_one_code_everywhere(client: Any) -> None:
    """413 from Werkzeug and from every JSON view share one code, body-too-large."""
    assert HTTP_CODES[413] == "body-too-large"
    body = '{"question": "' + "a" * 20000 + '"}'
    for path in ("/api/ask", "/api/feedback", "/api/picked"):
        assert_error(client.post(path, data=body, content_type="application/json"), 413, "body-too-large")

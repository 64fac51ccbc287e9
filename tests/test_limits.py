"""Rate limits on /api/ask and /api/feedback: contract 429s, per client, shared through Redis."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from faq_bot import create_app
from faq_bot.ops import events_of
from tests.conftest import SERVICE, assert_error
from tests.services import redis_url


@pytest.fixture
def make_app() -> Iterator[Any]:
    apps: list[Flask] = []

    def build(**config: Any) -> Flask:
        app = create_app({"TESTING": True, "ANSWERS_DIR": SERVICE, **config})
        apps.append(app)
        return app

    yield build
    for app in apps:
        events_of(app).close()


def post_ask(app: Flask, client_address: str = "127.0.0.1", **headers: str) -> Any:
    return app.test_client().post(
        "/api/ask",
        json={"question": "does it help sleep?"},
        headers=headers,
        environ_base={"REMOTE_ADDR": client_address},
    )


def test_ask_over_the_limit_gets_a_json_429_with_retry_after(make_app: Any) -> None:
    """Past RATELIMIT_ASK the service answers 429 in the contract's shape, saying when to retry."""
    app = make_app(RATELIMIT_ASK="2 per minute")
    assert [post_ask(app).status_code for _ in range(2)] == [200, 200]
    response = post_ask(app)
    assert_error(response, 429, "rate-limited")
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["Cache-Control"] == "no-store"


def test_feedback_has_its_own_limit(make_app: Any) -> None:
    """RATELIMIT_FEEDBACK limits votes separately from questions."""
    app = make_app(RATELIMIT_FEEDBACK="1 per minute", RATELIMIT_ASK="5 per minute")
    client = app.test_client()
    vote = {"answer_id": "sleep", "helpful": True}
    assert client.post("/api/feedback", json=vote).status_code == 204
    assert_error(client.post("/api/feedback", json=vote), 429, "rate-limited")
    assert post_ask(app).status_code == 200


def test_limits_are_per_client_address(make_app: Any) -> None:
    """One client hitting the limit does not block another."""
    app = make_app(RATELIMIT_ASK="1 per minute")
    assert post_ask(app, "192.0.2.1").status_code == 200
    assert post_ask(app, "192.0.2.1").status_code == 429
    assert post_ask(app, "192.0.2.2").status_code == 200


def test_trusted_proxy_gives_the_real_client_address(make_app: Any) -> None:
    """Behind TRUSTED_PROXIES=1 the limit follows X-Forwarded-For, not the proxy's address."""
    app = make_app(RATELIMIT_ASK="1 per minute", TRUSTED_PROXIES=1)
    assert post_ask(app, "10.0.0.1", **{"X-Forwarded-For": "198.51.100.7"}).status_code == 200
    assert post_ask(app, "10.0.0.1", **{"X-Forwarded-For": "198.51.100.8"}).status_code == 200
    assert post_ask(app, "10.0.0.1", **{"X-Forwarded-For": "198.51.100.7"}).status_code == 429


def test_untrusted_forwarded_header_is_ignored(make_app: Any) -> None:
    """With no trusted proxy, a client cannot dodge the limit by inventing X-Forwarded-For."""
    app = make_app(RATELIMIT_ASK="1 per minute")
    assert post_ask(app, "192.0.2.9", **{"X-Forwarded-For": "1.1.1.1"}).status_code == 200
    assert post_ask(app, "192.0.2.9", **{"X-Forwarded-For": "2.2.2.2"}).status_code == 429


def test_limits_can_be_switched_off(make_app: Any) -> None:
    """RATELIMIT_ENABLED=false lets every request through."""
    app = make_app(RATELIMIT_ASK="1 per minute", RATELIMIT_ENABLED=False)
    assert [post_ask(app).status_code for _ in range(3)] == [200, 200, 200]


def test_two_instances_share_one_limit_through_redis(make_app: Any) -> None:
    """Two instances on the same Redis count one client's requests together."""
    shared = {
        "RATELIMIT_STORAGE_URI": redis_url(),
        "RATELIMIT_KEY_PREFIX": f"faq-bot-test-{uuid.uuid4().hex}",
        "RATELIMIT_ASK": "3 per minute",
    }
    first, second = make_app(**shared), make_app(**shared)
    statuses = [post_ask(app, "192.0.2.50").status_code for app in (first, second, first, second)]
    assert statuses == [200, 200, 200, 429]
    assert post_ask(first, "192.0.2.50").status_code == 429


def test_redis_down_still_answers(make_app: Any) -> None:
    """If the rate-limit storage is unreachable, questions are still answered."""
    app = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0", RATELIMIT_ASK="100 per minute")
    assert [post_ask(app).status_code for _ in range(3)] == [200, 200, 200]

"""Rate limits: contract 429s, per client, shared through Redis, and bounded when Redis hangs."""

from __future__ import annotations

import logging
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask

from benchmarks.services import redis_url
from faq_bot import create_app
from faq_bot.ops import events_of, limiter_log, operations_of
from tests.conftest import SERVICE, assert_error


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
        if str(app.config["RATELIMIT_STORAGE_URI"]).startswith("redis"):
            operations_of(app).limiter.storage.storage.close()  # type: ignore[attr-defined]  # its redis client


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


@pytest.mark.parametrize("path", ["/api/search?q=sleep", "/lookup?q=sleep", "/lookup/route?q=sleep"])
def test_search_and_lookup_have_their_own_limit(make_app: Any, path: str) -> None:
    """RATELIMIT_LOOKUP limits each look-up route, with the contract's 429, apart from questions."""
    app = make_app(RATELIMIT_LOOKUP="2 per minute", RATELIMIT_ASK="5 per minute")
    client = app.test_client()
    assert [client.get(path).status_code for _ in range(2)] == [200, 200]
    assert_error(client.get(path), 429, "rate-limited")
    assert post_ask(app).status_code == 200
    other = "/api/search?q=pain" if "lookup" in path else "/lookup/route?q=pain"
    assert client.get(other).status_code == 200  # each route counts on its own


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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A redis-server of this test's own on a free loopback port (never the shared one), stopped after."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed; the hung-Redis fault test needs its own")
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_timeout=1)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if client.ping():
                    break
            except redis.RedisError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.05)
        yield server, url
    finally:
        client.close()
        server.send_signal(signal.SIGCONT)
        server.terminate()
        server.wait(timeout=10)


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def limiter_records() -> Iterator[list[logging.LogRecord]]:
    handler = Records()
    limiter_log.addHandler(handler)
    yield handler.records
    limiter_log.removeHandler(handler)


def rate_limits(app: Flask) -> dict[str, Any]:
    body: dict[str, Any] = app.test_client().get("/readyz").get_json()["rate_limits"]
    return body


def test_redis_calls_are_bounded_by_the_storage_timeout(make_app: Any) -> None:
    """The redis client under the limiter gets RATELIMIT_STORAGE_TIMEOUT for connecting and for each reply."""
    app = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0", RATELIMIT_STORAGE_TIMEOUT=0.25)
    options = operations_of(app).limiter.storage.storage.connection_pool.connection_kwargs  # type: ignore[attr-defined]
    assert (options["socket_timeout"], options["socket_connect_timeout"]) == (0.25, 0.25)
    assert operations_of(make_app()).limiter.storage.check()  # memory:// takes no socket options


def test_hung_redis_falls_back_to_memory_says_so_and_recovers(
    make_app: Any, private_redis: tuple[subprocess.Popen[bytes], str], limiter_records: list[logging.LogRecord]
) -> None:
    """A stopped Redis: answers go on, limits count in memory, a WARNING, /readyz and /metrics say so, then recover."""
    server, url = private_redis
    app = make_app(RATELIMIT_STORAGE_URI=url, RATELIMIT_ASK="3 per minute")
    assert post_ask(app, "192.0.2.70").status_code == 200
    assert rate_limits(app) == {"storage": "redis", "storage_down": False, "storage_failures": 0}

    server.send_signal(signal.SIGSTOP)
    statuses = [post_ask(app, "192.0.2.71").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]  # the limit still holds, counted in memory
    assert rate_limits(app) == {"storage": "redis", "storage_down": True, "storage_failures": 1}
    metrics = app.test_client().get("/metrics").get_data(as_text=True)
    assert "faq_bot_ratelimit_storage_down 1.0" in metrics
    assert "faq_bot_ratelimit_storage_failures_total 1.0" in metrics
    assert [(r.levelno, "unreachable" in r.getMessage()) for r in limiter_records] == [(logging.WARNING, True)]

    server.send_signal(signal.SIGCONT)
    deadline = time.monotonic() + 30  # Flask-Limiter checks the storage again after 1, 2, 4 ... seconds
    while rate_limits(app)["storage_down"]:
        assert time.monotonic() < deadline, "the limiter never went back to Redis"
        post_ask(app, "192.0.2.72")
        time.sleep(0.1)
    assert [r.levelno for r in limiter_records] == [logging.WARNING, logging.WARNING]
    assert "recovered" in limiter_records[-1].getMessage()
    assert "faq_bot_ratelimit_storage_down 0.0" in app.test_client().get("/metrics").get_data(as_text=True)

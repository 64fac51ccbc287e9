"""Faults against a live `faq-bot serve` (gunicorn, loopback only): crowds, slow clients, big bodies, broken content.

Every loop here is bounded by a count and every wait by a timeout; nothing passes or
fails on how fast the server is, only on what it answers.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from benchmarks.measure import RunningServer, running_server
from tests.conftest import ANSWERS, REPO
from tests.test_serve import FAQ_BOT

HOST = "127.0.0.1"
CLIENTS = 24
REQUESTS_PER_CLIENT = 12
REQUEST_TIMEOUT = 60.0
QUESTIONS = [
    "does cannabis help with sleep",
    "wat are the side efects",
    "who can prescribe it in the uk",
    "what dose should i take",
    "i cant breathe and my chest hurts",
    "what time does the car park open",
    "cannabis",
    "hello",
]


def server_env(tmp_path: Path, folder: Path, **settings: str) -> dict[str, str]:
    env = dict(
        os.environ,
        FAQ_BOT_ANSWERS_DIR=str(folder),
        FAQ_BOT_RATELIMIT_ENABLED="false",
        FAQ_BOT_DATABASE_URL=f"sqlite:///{tmp_path}/events.sqlite3",
    )
    env.update({f"FAQ_BOT_{name}": value for name, value in settings.items()})
    return env


@contextmanager
def live_server(tmp_path: Path, folder: Path, *, workers: int = 2, **settings: str) -> Iterator[RunningServer]:
    """`faq-bot serve` (the installed console script) with every worker ready; stopped afterwards."""
    log = tmp_path / f"server-{len(list(tmp_path.glob('server-*.log')))}.log"
    with running_server(server_env(tmp_path, folder, **settings), log, workers=workers, program=[FAQ_BOT]) as server:
        yield server


def request(
    url: str,
    body: Any = None,
    *,
    timeout: float = REQUEST_TIMEOUT,
    raw: bytes | None = None,
    content_type: str = "application/json",
) -> tuple[int, Any]:
    """(status, parsed JSON body or None); HTTP errors are returned, not raised."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    headers = {"Content-Type": content_type} if data is not None else {}
    call = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(call, timeout=timeout) as response:
            payload = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        payload, status = error.read(), error.code
    return status, json.loads(payload) if payload else None


def get(url: str, *, timeout: float = REQUEST_TIMEOUT) -> tuple[int, Any]:
    return request(url, timeout=timeout)


def copy_answers(tmp_path: Path) -> Path:
    folder = tmp_path / "answers"
    shutil.copytree(ANSWERS, folder)
    return folder


def one_client(base: str, number: int) -> list[tuple[str, int, Any]]:
    """One patient's session: questions, searches and health checks, in a fixed order."""
    seen = []
    for turn in range(REQUESTS_PER_CLIENT):
        kind = (number + turn) % 4
        if kind == 3:
            status, body = get(f"{base}/api/search?q=pain&limit=3")
            seen.append(("search", status, body))
        elif kind == 2 and turn % 3 == 0:
            status, body = get(f"{base}/healthz")
            seen.append(("healthz", status, body))
        else:
            status, body = request(f"{base}/api/ask", {"question": QUESTIONS[(number * 7 + turn) % len(QUESTIONS)]})
            seen.append(("ask", status, body))
    return seen


def test_many_concurrent_clients_while_content_changes(tmp_path: Path) -> None:
    """24 concurrent clients, 288 requests, while an editor changes the content: every reply is a 200, none lost."""
    folder = copy_answers(tmp_path)
    with live_server(tmp_path, folder, RELOAD_INTERVAL="0.2") as server:
        before = get(f"{server.base}/readyz")[1]
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            sessions = [pool.submit(one_client, server.base, number) for number in range(CLIENTS)]
            time.sleep(0.5)
            synonyms = folder / "synonyms.yaml"
            synonyms.write_text(
                synonyms.read_text(encoding="utf-8") + "\n# edited during the load test\n", encoding="utf-8"
            )
            results = [outcome for session in sessions for outcome in session.result(timeout=600)]
        assert len(results) == CLIENTS * REQUESTS_PER_CLIENT
        statuses = Counter(status for _, status, _ in results)
        assert statuses == {200: len(results)}, statuses
        versions = set()
        for kind, _, body in results:
            if kind == "ask":
                assert body["route"] in {"answer", "clarify", "specialist", "emergency"}
                versions.add(body["answers_version"])
        if "reload" in before:  # hot reload is on: only whole books are ever served, old or new
            new_version = before["answers_version"]
            for _ in range(300):
                new_version = get(f"{server.base}/readyz")[1]["answers_version"]
                if new_version != before["answers_version"]:
                    break
                time.sleep(0.1)
            assert new_version != before["answers_version"], server.output()[-2000:]
            assert versions <= {before["answers_version"], new_version}
        assert "Traceback" not in server.output()


def raw_exchange(base: str, chunks: list[bytes], *, pause: float, timeout: float = REQUEST_TIMEOUT) -> bytes:
    """Send a request in pieces with a pause between them, then read the whole response."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        for chunk in chunks:
            sock.sendall(chunk)
            time.sleep(pause)
        received = b""
        while data := sock.recv(65536):
            received += data
    return received


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def test_slow_clients_do_not_stop_others(tmp_path: Path) -> None:
    """Clients trickling their request byte by byte still get answers, and so does everyone else meanwhile."""
    body = json.dumps({"question": "does cannabis help with sleep"}).encode()
    head = (
        f"POST /api/ask HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    message = head + body
    pieces = [message[i : i + 8] for i in range(0, len(message), 8)]  # ~25 pieces, 0.1 s apart
    with live_server(tmp_path, copy_answers(tmp_path)) as server:
        with ThreadPoolExecutor(max_workers=8) as pool:
            slow = [pool.submit(raw_exchange, server.base, pieces, pause=0.1) for _ in range(3)]
            time.sleep(0.3)
            quick = [request(f"{server.base}/api/ask", {"question": q}) for q in QUESTIONS]
            slow_responses = [future.result(timeout=300) for future in slow]
    assert [status for status, _ in quick] == [200] * len(QUESTIONS)
    for response in slow_responses:
        assert status_of(response) == 200, response[:200]
        assert json.loads(response.split(b"\r\n\r\n", 1)[1])["answer"]["id"] == "sleep"


def test_oversized_bodies_get_413_json(tmp_path: Path) -> None:
    """A 1 MB body, a chunked 1 MB body and an over-long question get 413 JSON; the server carries on."""
    with live_server(tmp_path, copy_answers(tmp_path)) as server:
        big = json.dumps({"question": "sleep " * 200_000}).encode()
        status, body = request(f"{server.base}/api/ask", raw=big)
        assert status == 413 and body["error"]["code"] in {"body-too-large", "too-large"}, body

        status, body = request(f"{server.base}/api/ask", {"question": "x" * 1001})
        assert status == 413 and body["error"]["code"] == "question-too-long", body

        chunk = b"a" * 65536
        chunked = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(16)) + b"0\r\n\r\n"
        head = (
            f"POST /api/ask HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        ).encode()
        try:
            response = raw_exchange(server.base, [head, chunked], pause=0)
        except ConnectionResetError:
            response = b""  # the server may answer and close before reading the rest: also a refusal
        if response:
            assert status_of(response) in {400, 413}, response[:300]
            error = json.loads(response.split(b"\r\n\r\n", 1)[1])["error"]
            assert error["code"] and error["message"]

        assert request(f"{server.base}/api/ask", {"question": "does cannabis help with sleep"})[0] == 200
        assert "Traceback" not in server.output()


def test_content_broken_while_running_then_restart(tmp_path: Path) -> None:
    """Content broken under a running server keeps the last good answers; a restart refuses it, naming file and line."""
    folder = copy_answers(tmp_path)
    target = folder / "medical-cannabis.yaml"
    good = target.read_text(encoding="utf-8")
    with live_server(tmp_path, folder, RELOAD_INTERVAL="0.2") as server:
        version = get(f"{server.base}/readyz")[1]["answers_version"]
        target.write_text(good.replace("answers:", "answers: [", 1), encoding="utf-8")  # unclosed flow sequence
        status: dict[str, Any] = {}
        for _ in range(300):
            status = get(f"{server.base}/readyz")[1]
            if status.get("reload", {}).get("status") == "failed" or "reload" not in status:
                break
            time.sleep(0.1)
        for _ in range(10):
            code, reply = request(f"{server.base}/api/ask", {"question": "does cannabis help with sleep"})
            assert code == 200 and reply["answer"]["id"] == "sleep" and reply["answers_version"] == version
        assert status["answers_version"] == version
        if "reload" in status:
            assert status["reload"]["status"] == "failed"
            assert any("medical-cannabis.yaml" in error for error in status["reload"]["errors"])

    restart = subprocess.run(
        [FAQ_BOT, "serve", "--host", HOST, "--port", "0"],
        cwd=REPO,
        env=server_env(tmp_path, folder),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert restart.returncode == 1
    assert "medical-cannabis.yaml:" in restart.stderr and "not starting" in restart.stderr, restart.stderr

    target.write_text(good, encoding="utf-8")
    with live_server(tmp_path, folder) as server:
        assert get(f"{server.base}/readyz")[1]["answers_version"] == version


@pytest.mark.parametrize("missing", ["safety.yaml", "medical-cannabis.yaml"])
def test_restart_without_a_content_file_is_refused(tmp_path: Path, missing: str) -> None:
    """A content folder missing its safety rules or a topic file never starts half-loaded."""
    folder = copy_answers(tmp_path)
    (folder / missing).unlink()
    result = subprocess.run(
        [FAQ_BOT, "serve", "--host", HOST, "--port", "0"],
        cwd=REPO,
        env=server_env(tmp_path, folder),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "not starting" in result.stderr and "error" in result.stderr, result.stderr


def reply_counts(url: str) -> int:
    """Replies counted in the events database at ``url`` (0 before the first batch has created the tables)."""
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("faq_bot_reply_counts"):
                return 0
            return int(connection.execute(text("SELECT COALESCE(SUM(count), 0) FROM faq_bot_reply_counts")).scalar())
    finally:
        engine.dispose()


def ask_many(base: str, questions: list[str]) -> list[int]:
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda q: request(f"{base}/api/ask", {"question": q})[0], questions))


def test_events_database_going_away_and_coming_back_loses_nothing(tmp_path: Path) -> None:
    """PostgreSQL cut off under a live server and back: every reply a 200, every reply counted once it is back."""
    from tests.services import PG_HOST, PG_PORT, TcpProxy, postgres_schema

    proxy = TcpProxy((PG_HOST, PG_PORT))
    with postgres_schema(port=proxy.port) as (url, _):
        direct = url.replace(f":{proxy.port}/", f":{PG_PORT}/")  # the same schema, not through the proxy
        with live_server(tmp_path, Path(ANSWERS), DATABASE_URL=url) as server:
            before = ask_many(server.base, QUESTIONS * 5)
            for _ in range(300):  # both workers' first batches written (at most 30 s)
                if reply_counts(direct) == len(before):
                    break
                time.sleep(0.1)
            assert reply_counts(direct) == len(before)
            proxy.cut()  # the database is gone: refused connections, open ones reset
            during = ask_many(server.base, QUESTIONS * 5)
            time.sleep(1.0)  # the writers meet the outage and keep their batches
            assert reply_counts(direct) == len(before)
            proxy.restore()
            counted = 0
            for _ in range(600):  # each writer retries at least every 5 s; at most 60 s
                counted = reply_counts(direct)
                if counted == len(before) + len(during):
                    break
                time.sleep(0.1)
            assert before + during == [200] * (len(before) + len(during))
            assert counted == len(before) + len(during), server.output()[-2000:]
            assert "Traceback" not in server.output()

"""Faults against a live `faq-bot serve` (gunicorn, loopback only): crowds, slow clients, big bodies, broken content.

Every loop here is bounded by a count and every wait by a timeout; nothing passes or
fails on how fast the server is, only on what it answers.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import socket
import stat
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from benchmarks.measure import RunningServer, running_server
from faq_bot.content import content_version
from tests.conftest import REPO, SERVICE
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
    shutil.copytree(SERVICE, folder)
    return folder


def wait_until(condition: Callable[[], bool], what: str, *, seconds: float = 60.0) -> None:
    """Poll ``condition`` until it holds; fail, naming ``what``, after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {seconds:g} s waiting for {what}")
        time.sleep(0.05)


def every_worker(base: str, holds: Callable[[dict[str, Any]], bool], workers: int = 2) -> Callable[[], bool]:
    """A condition for wait_until: each worker has answered /readyz with a body for which ``holds`` is true.

    Any one request reaches one worker, so the condition collects workers across polls.
    """
    agreeing: set[int] = set()

    def check() -> bool:
        body = get(f"{base}/readyz")[1]
        if holds(body):
            agreeing.add(body["reload"]["worker"])
        return len(agreeing) == workers

    return check


class VersionTally:
    """Replies seen per answers version (or "failed"), counted from many client threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, version: str) -> None:
        with self._lock:
            self._counts[version] += 1

    def total(self) -> int:
        with self._lock:
            return self._counts.total()

    def kinds(self) -> int:
        with self._lock:
            return len(self._counts)


def one_client(base: str, number: int, replies: Counter[str], reloaded: threading.Event) -> list[tuple[str, int, Any]]:
    """One patient's session: questions, searches and health checks in a fixed order, at least
    REQUESTS_PER_CLIENT of them and on until some reply comes from the edited content."""
    seen = []
    turn = 0
    while turn < REQUESTS_PER_CLIENT or (not reloaded.is_set() and turn < 50 * REQUESTS_PER_CLIENT):
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
            replies.add(body["answers_version"] if status == 200 else "failed")
        turn += 1
    return seen


def test_many_concurrent_clients_while_content_changes(tmp_path: Path) -> None:
    """24 concurrent clients while an editor changes the content: every reply a 200 from a whole book, old or new."""
    folder = copy_answers(tmp_path)
    with live_server(tmp_path, folder, RELOAD_INTERVAL="0.2") as server:
        old_version = get(f"{server.base}/readyz")[1]["answers_version"]
        replies = VersionTally()
        reloaded = threading.Event()
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            sessions = [pool.submit(one_client, server.base, number, replies, reloaded) for number in range(CLIENTS)]

            def clients_fine() -> bool:
                for session in sessions:
                    if session.done():
                        session.result()  # raises what went wrong in that client
                return True

            try:
                wait_until(lambda: clients_fine() and replies.total() >= CLIENTS, f"{CLIENTS} replies before the edit")
                synonyms = folder / "synonyms.yaml"
                synonyms.write_text(
                    synonyms.read_text(encoding="utf-8") + "\n# edited during the load test\n", encoding="utf-8"
                )
                wait_until(
                    lambda: clients_fine() and replies.kinds() > 1, "a reply from the edited content", seconds=120
                )
            finally:
                reloaded.set()  # the clients finish their sessions
            results = [outcome for session in sessions for outcome in session.result(timeout=600)]
        assert len(results) >= CLIENTS * REQUESTS_PER_CLIENT
        statuses = Counter(status for _, status, _ in results)
        assert statuses == {200: len(results)}, statuses
        versions = Counter(body["answers_version"] for kind, _, body in results if kind == "ask")
        assert len(versions) == 2 and versions[old_version] > 0, versions  # the old book, then the whole new one
        for kind, _, body in results:
            if kind == "ask":
                assert body["route"] in {"answer", "clarify", "specialist", "emergency"}
        assert "Traceback" not in server.output()


def raw_exchange(
    base: str,
    chunks: list[bytes],
    *,
    pause: float = 0.0,
    started: threading.Event | None = None,
    before_last: threading.Event | None = None,
    timeout: float = REQUEST_TIMEOUT,
) -> bytes:
    """Send a request in pieces, ``pause`` seconds apart, then read the whole response.

    ``started`` is set once the first piece is out; the last piece waits for ``before_last``.
    Sending stops early if the server has already answered or closed (it refused the body);
    what it answered is still read.
    """
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        for number, chunk in enumerate(chunks):
            if number == len(chunks) - 1 and before_last is not None:
                assert before_last.wait(timeout), "the last piece was never released"
            if select.select([sock], [], [], 0)[0]:
                break  # the server answered before reading everything
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break  # the server refused the rest of the body; its answer is waiting
            if started is not None:
                started.set()
            time.sleep(pause)
        received = b""
        while data := sock.recv(65536):
            received += data
    return received


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def test_slow_clients_do_not_stop_others(tmp_path: Path) -> None:
    """Clients trickling their request 8 bytes at a time still get answers, and others are answered meanwhile.

    Each trickling client holds one of a worker's threads until its request is complete, so
    a worker stays open to others while fewer than THREADS of them land on it: 3 slow
    clients need THREADS=4 (they may all reach one worker). With the default 2 threads, 3
    of them can stall one worker's queue: deploy.md puts nginx, which buffers requests, in front.
    """
    body = json.dumps({"question": "does cannabis help with sleep"}).encode()
    head = (
        f"POST /api/ask HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    message = head + body
    pieces = [message[i : i + 8] for i in range(0, len(message), 8)]  # ~25 pieces, 0.05 s apart
    with live_server(tmp_path, copy_answers(tmp_path), THREADS="4") as server:
        with ThreadPoolExecutor(max_workers=8) as pool:
            started = [threading.Event() for _ in range(3)]
            others_answered = threading.Event()  # the slow requests stay unfinished until then
            slow = [
                pool.submit(raw_exchange, server.base, pieces, pause=0.05, started=event, before_last=others_answered)
                for event in started
            ]
            for event in started:
                assert event.wait(REQUEST_TIMEOUT)
            quick = [request(f"{server.base}/api/ask", {"question": q}) for q in QUESTIONS]
            others_answered.set()
            slow_responses = [future.result(timeout=300) for future in slow]
    assert [status for status, _ in quick] == [200] * len(QUESTIONS)
    for response in slow_responses:
        assert status_of(response) == 200, response[:200]
        assert json.loads(response.split(b"\r\n\r\n", 1)[1])["answer"]["id"] == "sleep"


def test_oversized_bodies_get_413_json(tmp_path: Path) -> None:
    """A 1 MB body, a chunked 1 MB body and an over-long question get 413 JSON; the server carries on."""
    with live_server(tmp_path, copy_answers(tmp_path)) as server:
        big = json.dumps({"question": "sleep " * 200_000}).encode()
        head = (
            f"POST /api/ask HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(big)}\r\nConnection: close\r\n\r\n"
        ).encode()
        pieces = [big[start : start + 65536] for start in range(0, len(big), 65536)]
        response = raw_exchange(server.base, [head, *pieces], pause=0.01)  # a client that stops when refused
        assert status_of(response) == 413, response[:300]
        assert json.loads(response.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "body-too-large"

        status, body = request(f"{server.base}/api/ask", {"question": "x" * 1001})
        assert status == 413 and body["error"]["code"] == "question-too-long", body

        chunk = b"a" * 65536
        chunks = [b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(16)] + [b"0\r\n\r\n"]
        head = (
            f"POST /api/ask HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        ).encode()
        response = raw_exchange(server.base, [head, *chunks], pause=0.02)
        assert status_of(response) == 413, response[:300]
        error = json.loads(response.split(b"\r\n\r\n", 1)[1])["error"]
        assert error["code"] == "body-too-large" and error["message"]

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
        failed: list[dict[str, Any]] = []

        def reports_failure(status: dict[str, Any]) -> bool:
            if status["reload"]["status"] != "failed":
                return False
            failed.append(status)
            return True

        wait_until(every_worker(server.base, reports_failure), "both workers to report the failed reload")
        for _ in range(10):
            code, reply = request(f"{server.base}/api/ask", {"question": "does cannabis help with sleep"})
            assert code == 200 and reply["answer"]["id"] == "sleep" and reply["answers_version"] == version
        for status in failed:
            assert status["answers_version"] == version
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


def test_content_broken_and_fixed_under_load_serves_only_whole_good_books(tmp_path: Path) -> None:
    """Clients asking all along while the content breaks and is fixed: every reply a 200 from a good book, whose
    greeting is that book's own; the broken version is never served; both workers end on the fixed book."""
    folder = copy_answers(tmp_path)
    conversation = folder / "conversation.yaml"
    original = conversation.read_text(encoding="utf-8")
    greeting = "Hello, and welcome"
    assert greeting in original
    with live_server(tmp_path, folder, RELOAD_INTERVAL="0.2") as server:
        first = get(f"{server.base}/readyz")[1]["answers_version"]
        seen: list[tuple[int, Any]] = []
        stop = threading.Event()

        def greeter() -> None:
            while not stop.is_set():
                seen.append(request(f"{server.base}/api/ask", {"question": "hello"}))  # list.append is atomic

        with ThreadPoolExecutor(max_workers=3) as pool:
            clients = [pool.submit(greeter) for _ in range(3)]
            try:
                wait_until(lambda: len(seen) >= 10, "the first replies")
                conversation.write_text(original.replace("    question: Hello\n", "    question: [Hello\n"), "utf-8")
                wait_until(
                    every_worker(server.base, lambda status: status["reload"]["status"] == "failed"),
                    "both workers to refuse the broken file",
                )
                broken = content_version(str(folder))
                conversation.write_text(original.replace(greeting, "Hello again, and welcome", 1), "utf-8")
                fixed = content_version(str(folder))
                wait_until(
                    every_worker(server.base, lambda status: status["answers_version"] == fixed),
                    "both workers to serve the fixed book",
                )
                wait_until(lambda: any(reply["answers_version"] == fixed for _, reply in list(seen)), "a fixed reply")
            finally:
                stop.set()
            for client in clients:
                client.result(timeout=REQUEST_TIMEOUT)
    assert {status for status, _ in seen} == {200}
    by_version = Counter(reply["answers_version"] for _, reply in seen)
    assert set(by_version) == {first, fixed} and broken not in by_version, by_version
    for _, reply in seen:
        expected = "Hello again, and welcome" if reply["answers_version"] == fixed else greeting
        assert reply["answer"]["id"] == "greeting" and reply["answer"]["answer"].startswith(expected), reply
    assert "Traceback" not in server.output()


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


def ask_many(base: str, questions: list[str]) -> list[int]:
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda q: request(f"{base}/api/ask", {"question": q})[0], questions))


def spill_lines(folder: Path) -> int:
    """Events waiting in the spill files in ``folder`` (what is replayed and not yet removed is counted too)."""
    return sum(path.read_bytes().count(b"\n") for path in folder.glob("events-spill-*.jsonl"))


def test_events_database_going_away_and_coming_back_loses_nothing(tmp_path: Path) -> None:
    """PostgreSQL cut off under a live server and back: every reply a 200; each worker spills to its own owner-only
    file instead of a queue that overflows, and every event during the outage is a row once it is back."""
    from benchmarks.services import PG_HOST, PG_PORT, TcpProxy, counted_replies, postgres_schema

    proxy = TcpProxy((PG_HOST, PG_PORT))
    spill = tmp_path / "spill"
    with postgres_schema(port=proxy.port) as (url, _):
        direct = url.replace(f":{proxy.port}/", f":{PG_PORT}/")  # the same schema, not through the proxy
        settings = {"DATABASE_URL": url, "EVENTS_SPILL_DIR": str(spill), "EVENTS_QUEUE_SIZE": "50"}
        with live_server(tmp_path, Path(SERVICE), **settings) as server:
            before = ask_many(server.base, QUESTIONS * 5)
            wait_until(lambda: counted_replies(direct) == len(before), "both workers' first batches to be written")
            proxy.cut()  # the database is gone: refused connections, open ones reset
            during: list[int] = []
            both_retrying = every_worker(server.base, lambda status: status["events"]["retrying"])

            def asked_until_both_writers_retry() -> bool:
                during.extend(ask_many(server.base, QUESTIONS))  # replies for each worker's writer to hold
                return both_retrying()

            wait_until(asked_until_both_writers_retry, "both workers' writers to meet the outage")
            during.extend(ask_many(server.base, QUESTIONS * 40))  # 320 more: far more than a queue of 50
            wait_until(lambda: spill_lines(spill) == len(during), "every event of the outage in a spill file")
            files = sorted(spill.glob("events-spill-*.jsonl"))
            assert len({path.name.split("-")[3] for path in files}) == 2, files  # one per worker (its pid)
            assert {stat.S_IMODE(path.stat().st_mode) for path in files} == {0o600}
            assert counted_replies(direct) == len(before)
            proxy.restore()
            total = len(before) + len(during)
            wait_until(lambda: counted_replies(direct) == total, "every reply counted", seconds=120)
            wait_until(lambda: not list(spill.glob("events-spill-*")), "the replayed spill files removed")
            assert before + during == [200] * total
            assert "Traceback" not in server.output()


def test_events_spilled_before_a_restart_are_written_after_it(tmp_path: Path) -> None:
    """The server stopped while PostgreSQL is away leaves its events on disk; started again once the database is
    back, it writes each of them once (the stopped workers' files are replayed by the new ones)."""
    from benchmarks.services import PG_HOST, PG_PORT, TcpProxy, counted_replies, postgres_schema

    proxy = TcpProxy((PG_HOST, PG_PORT))
    spill = tmp_path / "spill"
    with postgres_schema(port=proxy.port) as (url, _):
        direct = url.replace(f":{proxy.port}/", f":{PG_PORT}/")
        settings = {"DATABASE_URL": url, "EVENTS_SPILL_DIR": str(spill)}
        proxy.cut()
        with live_server(tmp_path, Path(SERVICE), **settings) as server:
            during = ask_many(server.base, QUESTIONS * 10)
            wait_until(lambda: spill_lines(spill) == len(during), "every event in a spill file")
        assert spill_lines(spill) == len(during) and counted_replies(direct) == 0  # stopped: the files stay
        proxy.restore()
        with live_server(tmp_path, Path(SERVICE), **settings) as server:
            after = ask_many(server.base, QUESTIONS * 2)  # starts the writers, which take over the files
            total = len(during) + len(after)
            wait_until(lambda: counted_replies(direct) == total, "the stopped server's events written", seconds=120)
            wait_until(lambda: not list(spill.glob("events-spill-*")), "the replayed spill files removed")
        assert counted_replies(direct) == total  # each once
        assert during + after == [200] * total

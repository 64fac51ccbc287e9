"""The events store (faq_bot/events.py) on embedded SQLite and on the machine's PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import inspect, select
from sqlalchemy.exc import OperationalError

from faq_bot import create_app
from faq_bot.events import SCHEMA_VERSION, EventStore, events_table, schema_table, upgrade_schema
from faq_bot.ops import events_of
from tests.conftest import SERVICE, app_builder, assert_error
from tests.services import PG_HOST, PG_PORT, TcpProxy, postgres_schema

UNMATCHED = "what's the weather in Leeds tomorrow? my name is Jo Bloggs, 07700 900123"
CLINICAL = "can I stop my pregabalin if I start cannabis? NHS number 485 777 3456"
EMERGENCY = "I took too many pills and can't breathe, I'm at 12 High Street"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, events_database: str) -> Iterator[str]:
    """One events database per test: a SQLite file, or a fresh schema in PostgreSQL."""
    if request.param == "sqlite":
        yield events_database
        return
    with postgres_schema() as (url, _):
        yield url


@pytest.fixture
def make_app(database_url: str) -> Iterator[Any]:
    with app_builder(DATABASE_URL=database_url) as build:
        yield build


def ask(app: Flask, question: str, **headers: str) -> dict[str, Any]:
    response = app.test_client().post("/api/ask", json={"question": question}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def stored_rows(store: EventStore) -> list[dict[str, Any]]:
    assert store.flush()
    with store.engine.connect() as connection:
        return [dict(row) for row in connection.execute(select(events_table)).mappings()]


def test_specialist_questions_are_stored_redacted(make_app: Any) -> None:
    """Unmatched and clinical questions are kept, with personal data replaced by placeholders."""
    app = make_app()
    assert ask(app, UNMATCHED)["reason"] == "unmatched"
    assert ask(app, CLINICAL)["reason"] == "clinical"
    rows = stored_rows(events_of(app))
    texts = {row["reason"]: row["text"] for row in rows}
    assert texts["unmatched"] == "what's the weather in Leeds tomorrow? my name is [NAME], [PHONE]"
    assert "[NHS_NUMBER]" in texts["clinical"] and "485" not in texts["clinical"]
    assert {row["kind"] for row in rows} == {"specialist"}


def test_clarify_is_stored_with_the_suggestions_offered(make_app: Any) -> None:
    """A 'did you mean' reply is kept with the ids it offered."""
    app = make_app()
    body = ask(app, "sleep and spasms")
    assert body["route"] == "clarify", body
    [row] = stored_rows(events_of(app))
    assert row["kind"] == "clarify" and row["text"] == "sleep and spasms"
    assert row["suggestions"].split(",") == [s["id"] for s in body["suggestions"]]


def test_emergencies_and_answers_are_only_counted(make_app: Any) -> None:
    """Emergency and answered questions leave no text behind, only a count per route."""
    app = make_app()
    assert ask(app, EMERGENCY)["route"] == "emergency"
    assert ask(app, "Who can prescribe medical cannabis?")["route"] == "answer"
    store = events_of(app)
    assert stored_rows(store) == []
    counts = {(row["route"], row["reason"]): row["count"] for row in store.daily_replies()}
    assert counts == {("emergency", "emergency"): 1, ("answer", "matched"): 1}


def test_no_address_or_user_agent_is_stored(make_app: Any) -> None:
    """Nothing from the request but the redacted question reaches the database."""
    app = make_app()
    ask(app, UNMATCHED, **{"User-Agent": "Mozilla/5.0 secret-agent", "X-Forwarded-For": "203.0.113.9"})
    dumped = repr(stored_rows(events_of(app)))
    columns = {column["name"] for column in inspect(events_of(app).engine).get_columns("faq_bot_events")}
    assert not {"ip", "address", "remote_addr", "user_agent"} & columns
    assert "203.0.113.9" not in dumped and "127.0.0.1" not in dumped and "secret-agent" not in dumped


def test_feedback_votes_are_stored_worst_first(make_app: Any) -> None:
    """Votes are kept per answer and listed with the least helpful first."""
    app = make_app()
    client = app.test_client()
    for answer_id, helpful in [("sleep", True), ("sleep", True), ("side-effects", False), ("side-effects", True)]:
        assert client.post("/api/feedback", json={"answer_id": answer_id, "helpful": helpful}).status_code == 204
    store = events_of(app)
    assert store.flush()
    rows = store.feedback()
    assert [(r.answer_id, r.helpful, r.unhelpful) for r in rows] == [("side-effects", 1, 1), ("sleep", 2, 0)]


def test_picked_suggestion_is_recorded(make_app: Any) -> None:
    """POST /api/picked keeps the redacted wording with the answer the patient chose."""
    app = make_app()
    client = app.test_client()
    response = client.post(
        "/api/picked", json={"question": "does it help me sleep, I'm Sam, 07700 900123", "answer_id": "sleep"}
    )
    assert response.status_code == 204
    assert client.post("/api/picked", json={"question": "none fit", "answer_id": None}).status_code == 204
    rows = sorted(stored_rows(events_of(app)), key=lambda row: row["id"])
    assert [(row["kind"], row["answer_id"], row["text"]) for row in rows] == [
        ("picked", "sleep", "does it help me sleep, I'm [NAME], [PHONE]"),
        ("picked", None, "none fit"),
    ]


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"answer_id": "sleep"}, 400, "missing-question"),
        ({"question": "x", "answer_id": 5}, 400, "invalid-answer-id"),
        ({"question": "x", "answer_id": "no-such-answer"}, 404, "unknown-answer"),
    ],
)
def test_picked_errors(client: Any, payload: dict[str, Any], status: int, code: str) -> None:
    """Bad picks get the contract's JSON error."""
    assert_error(client.post("/api/picked", json=payload), status, code)


def test_schema_upgrades_from_version_1(database_url: str) -> None:
    """A database left at schema v1 is upgraded in place and keeps its events."""
    store = EventStore(database_url)
    try:
        with store.engine.begin() as connection:
            assert upgrade_schema(connection, target=1) == 0
            connection.execute(
                events_table.insert().values(
                    created_at=datetime(2026, 1, 5, tzinfo=UTC), kind="specialist", reason="unmatched", text="old"
                )
            )
        assert "suggestions" not in {c["name"] for c in inspect(store.engine).get_columns("faq_bot_events")}
        store.ensure_schema()
        with store.engine.connect() as connection:
            assert connection.execute(select(schema_table.c.version)).scalar() == SCHEMA_VERSION
            assert connection.execute(select(events_table.c.text)).scalars().all() == ["old"]
        with store.engine.begin() as connection:  # a second start finds nothing to do
            assert upgrade_schema(connection) == SCHEMA_VERSION
    finally:
        store.close()


def test_default_store_is_a_sqlite_file_in_the_instance_folder(tmp_path: Any) -> None:
    """With no DATABASE_URL the events go to a SQLite file created in the instance folder on first run."""
    app = create_app({"TESTING": True, "ANSWERS_DIR": SERVICE, "DATABASE_URL": ""})
    store = events_of(app)
    try:
        assert store.backend == "sqlite"
        assert store.url == f"sqlite:///{app.instance_path}/events.sqlite3"
        ask(app, UNMATCHED)
        assert store.flush() and store.written >= 1 and store.dropped == 0
    finally:
        store.close()


class MutableClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_purge_deletes_events_past_retention(database_url: str) -> None:
    """`purge` deletes events older than the retention period and keeps the rest."""
    clock = MutableClock(datetime(2026, 1, 1, 9, tzinfo=UTC))
    store = EventStore(database_url, retention_days=90, purge_interval=0, clock=clock)
    try:
        store.record_reply(route="specialist", reason="unmatched", question="old question")
        clock.now += timedelta(days=60)
        store.record_reply(route="specialist", reason="unmatched", question="newer question")
        assert store.flush()
        assert store.purge(now=clock.now + timedelta(days=31)) == 1
        assert [q.text for q in store.questions()] == ["newer question"]
    finally:
        store.close()


def test_reply_counts_add_up_within_and_across_batches(database_url: str) -> None:
    """Counts per day, route and reason add up, in one batch and over later ones (the upsert path)."""
    clock = MutableClock(datetime(2026, 1, 1, 9, tzinfo=UTC))
    store = EventStore(database_url, purge_interval=0, clock=clock)
    try:
        for route, reason in [("answer", "matched"), ("answer", "matched"), ("emergency", "emergency")]:
            store.record_reply(route=route, reason=reason, question="q")  # queued together: most likely one batch
        assert store.flush()
        store.record_reply(route="answer", reason="matched", question="q")
        assert store.flush()
        clock.now += timedelta(days=1)
        store.record_reply(route="answer", reason="matched", question="q")
        store.record_reply(route="specialist", reason="clinical", question="q")
        assert store.flush()
        counts = {
            (row["day"], row["route"], row["reason"]): row["count"]
            for row in store.daily_replies(today=clock.now.date())
        }
        first, second = "2026-01-01", "2026-01-02"
        assert counts == {
            (first, "answer", "matched"): 3,
            (first, "emergency", "emergency"): 1,
            (second, "answer", "matched"): 1,
            (second, "specialist", "clinical"): 1,
        }
    finally:
        store.close()


def test_purge_runs_automatically(database_url: str) -> None:
    """The writer purges old events by itself, without `faq-bot purge`."""
    clock = MutableClock(datetime(2026, 1, 1, 9, tzinfo=UTC))
    store = EventStore(database_url, retention_days=90, purge_interval=1e-9, clock=clock)
    try:
        store.record_reply(route="specialist", reason="unmatched", question="old question")
        assert store.flush()
        clock.now += timedelta(days=120)
        store.record_reply(route="specialist", reason="unmatched", question="new question")
        assert store.flush()
        assert [q.text for q in store.questions()] == ["new question"]
    finally:
        store.close()


def test_answers_do_not_wait_for_the_database(make_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """While the writer is stuck, /api/ask still answers; a full queue drops events, counted."""
    monkeypatch.setattr("faq_bot.events.BATCH_WINDOW_SECONDS", 0.0)  # so the stuck batch holds one event
    app = make_app(EVENTS_QUEUE_SIZE=3)
    store = events_of(app)
    release = threading.Event()
    real_write = store.write

    def stuck_write(items: Any) -> None:
        release.wait()
        real_write(items)

    store.write = stuck_write  # type: ignore[method-assign]
    for _ in range(10):
        assert ask(app, UNMATCHED)["route"] == "specialist"
    release.set()
    assert store.flush()
    # the stuck batch holds at most 1 + 3 events and the queue 3 more: at least 3 of 10 are dropped
    assert store.written + store.dropped == 10 and store.dropped >= 3


def test_unwritable_database_drops_events_without_failing_replies(events_database: str) -> None:
    """A database that cannot be written: every reply succeeds, every event is counted as dropped."""
    app = create_app(
        {
            "TESTING": True,
            "ANSWERS_DIR": SERVICE,
            "EVENTS_RETRY_SECONDS": 0,
            "DATABASE_URL": "sqlite:////nonexistent-folder/for-faq-bot/events.sqlite3",
        }
    )
    client = app.test_client()
    statuses = [
        client.post("/api/ask", json={"question": q}).status_code for q in [UNMATCHED, CLINICAL, EMERGENCY, "hello"] * 5
    ]
    client.post("/api/feedback", json={"answer_id": "sleep", "helpful": True})
    store = events_of(app)
    assert store.flush()
    assert statuses == [200] * 20
    assert (store.written, store.dropped) == (0, 21)
    assert client.get("/readyz").get_json()["events"]["dropped"] == 21
    assert "faq_bot_events_dropped_total 21.0" in client.get("/metrics").get_data(as_text=True)
    store.close()


def test_only_an_unreachable_database_is_retried(events_database: str) -> None:
    """A batch the database refuses for its data is dropped at once; one it cannot take now is retried."""
    store = EventStore(events_database, purge_interval=0, retry_seconds=60)
    try:
        refused: list[int] = []

        def bad_data(items: Any) -> None:
            refused.append(len(items))
            raise ValueError("a row the database will never take")

        store.write = bad_data  # type: ignore[method-assign]
        store.record_feedback("sleep", True)
        assert store.flush(timeout=5)  # not retried for a minute
        assert refused == [1] and (store.written, store.dropped) == (0, 1)

        attempts: list[int] = []

        def unreachable_twice(items: Any) -> None:
            attempts.append(len(items))
            if len(attempts) <= 2:
                raise OperationalError("INSERT ...", {}, ConnectionRefusedError("connection refused"))

        store.write = unreachable_twice  # type: ignore[method-assign]
        store.record_feedback("sleep", True)
        assert store.flush(timeout=10)
        assert attempts == [1, 1, 1] and (store.written, store.dropped) == (1, 1)
        assert store.status()["retrying"] is False
    finally:
        store.close()


def postgres_app(url: str, **settings: Any) -> Flask:
    return create_app(
        {"TESTING": True, "ANSWERS_DIR": SERVICE, "DATABASE_URL": url, "RATELIMIT_ENABLED": False, **settings}
    )


QUESTIONS = [UNMATCHED, CLINICAL, EMERGENCY, "does cannabis help sleep?"]


def test_postgres_going_away_and_coming_back_loses_nothing(events_database: str) -> None:
    """PostgreSQL stopping mid-run and coming back: 0 failed replies, and every event written once it is back."""
    with postgres_schema() as (_, schema):
        proxy = TcpProxy((PG_HOST, PG_PORT))
        with postgres_schema(port=proxy.port) as (url, _):
            app = postgres_app(url)  # EVENTS_RETRY_SECONDS: the default, 60
            client = app.test_client()
            store = events_of(app)
            before = [client.post("/api/ask", json={"question": q}).status_code for q in QUESTIONS * 3]
            assert store.flush()
            assert (store.written, store.dropped) == (12, 0)
            proxy.cut()  # the database is gone: refused connections, open ones reset
            during = [client.post("/api/ask", json={"question": q}).status_code for q in QUESTIONS * 10]
            for _ in range(200):  # until the writer has met the outage (at most 20 s)
                if client.get("/readyz").get_json()["events"]["retrying"]:
                    break
                time.sleep(0.1)
            assert client.get("/readyz").get_json()["events"]["retrying"] is True
            assert "faq_bot_events_retrying 1.0" in client.get("/metrics").get_data(as_text=True)
            assert not store.flush(timeout=0.5)  # the events wait
            proxy.restore()
            assert store.flush(timeout=60)
            assert before + during == [200] * 52
            assert (store.written, store.dropped) == (52, 0)
            events = client.get("/readyz").get_json()["events"]
            assert events["retrying"] is False and events["dropped"] == 0
            store.close()
        del schema


def test_postgres_away_longer_than_the_retry_window_drops_and_counts(events_database: str) -> None:
    """An outage longer than EVENTS_RETRY_SECONDS: 0 failed replies, the lost events counted."""
    with postgres_schema() as (_, schema):
        proxy = TcpProxy((PG_HOST, PG_PORT))
        with postgres_schema(port=proxy.port) as (url, _):
            app = postgres_app(url, EVENTS_RETRY_SECONDS=0.5)
            client = app.test_client()
            store = events_of(app)
            before = [client.post("/api/ask", json={"question": q}).status_code for q in QUESTIONS * 3]
            assert store.flush()
            proxy.cut()
            after = [client.post("/api/ask", json={"question": q}).status_code for q in QUESTIONS * 10]
            assert store.flush(timeout=60)
            assert before + after == [200] * 52
            assert (store.written, store.dropped) == (12, 40)
            ready = client.get("/readyz")
            assert ready.status_code == 200 and ready.get_json()["events"]["dropped"] == 40
            store.close()
        del schema


def test_pii_corpus_leaves_no_personal_data_in_the_store(make_app: Any) -> None:
    """Every corpus message, asked and reported as a pick, is stored with 0 personal data left."""
    import os

    import yaml

    from tests.conftest import DATA

    with open(os.path.join(DATA, "pii_corpus.yaml"), encoding="utf-8") as handle:
        corpus = yaml.safe_load(handle)["cases"]
    app = make_app(RATELIMIT_ENABLED=False)
    client = app.test_client()
    for case in corpus:
        assert client.post("/api/ask", json={"question": case["text"]}).status_code == 200
        assert client.post("/api/picked", json={"question": case["text"], "answer_id": None}).status_code == 204
    rows = stored_rows(events_of(app))
    stored = "\n".join(row["text"] or "" for row in rows).lower()
    assert sum(1 for row in rows if row["kind"] == "picked") == len(corpus)
    leaks = [personal for case in corpus for personal in case["personal"] if personal.lower() in stored]
    assert leaks == []


def test_sqlite_events_file_is_in_wal_mode(tmp_path: Any) -> None:
    """The embedded store writes a write-ahead log (a commit appends; readers never block the writer)."""
    url = f"sqlite:///{tmp_path}/events.sqlite3"
    app = create_app({"TESTING": True, "ANSWERS_DIR": SERVICE, "DATABASE_URL": url})
    store = events_of(app)
    try:
        ask(app, UNMATCHED)
        assert store.flush() and store.written == 1
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    finally:
        store.close()

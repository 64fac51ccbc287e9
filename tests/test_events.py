"""The events store (faq_bot/events.py) on embedded SQLite and on the machine's PostgreSQL."""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import inspect, select
from sqlalchemy.exc import OperationalError

from benchmarks.services import PG_HOST, PG_PORT, TcpProxy, postgres_schema
from faq_bot import create_app
from faq_bot.events import SCHEMA_VERSION, EventStore, events_table, schema_table, upgrade_schema
from faq_bot.ops import events_of
from tests.conftest import SERVICE, app_builder, assert_error

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


def hold_the_writer(store: EventStore) -> threading.Event:
    """Make the store's writer wait inside its next write until the returned event is set."""
    release = threading.Event()
    real_write = store.write

    def stuck_write(items: Any) -> None:
        release.wait()
        real_write(items)

    store.write = stuck_write  # type: ignore[method-assign]
    return release


def test_answers_do_not_wait_for_the_database(
    make_app: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """While the writer is stuck, /api/ask still answers; a full queue drops events, counted and logged once."""
    monkeypatch.setattr("faq_bot.events.BATCH_WINDOW_SECONDS", 0.0)  # so the stuck batch holds one event
    app = make_app(EVENTS_QUEUE_SIZE=3)
    store = events_of(app)
    release = hold_the_writer(store)
    for _ in range(10):
        assert ask(app, UNMATCHED)["route"] == "specialist"
    release.set()
    assert store.flush()
    # the stuck batch holds at most 1 + 3 events and the queue 3 more: at least 3 of 10 are dropped
    assert store.written + store.dropped == 10 and store.dropped >= 3
    assert [record.getMessage() for record in caplog.records if "queue full" in record.getMessage()] == [
        "events queue full (EVENTS_QUEUE_SIZE 3): dropping events (see events.dropped)"
    ]


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


def test_only_an_unreachable_database_is_retried(events_database: str, tmp_path: Any) -> None:
    """A batch the database refuses for its data is dropped at once; one it cannot take now is retried."""
    store = EventStore(events_database, purge_interval=0, retry_seconds=60, spill_dir=str(tmp_path / "spill"))
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


def wait_for(condition: Callable[[], object], what: str, seconds: float = 30.0) -> None:
    """Poll ``condition`` until it holds; fail, naming ``what``, after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up after {seconds:g} s waiting for {what}"
        time.sleep(0.02)


def test_postgres_going_away_and_coming_back_loses_nothing(events_database: str, tmp_path: Any) -> None:
    """PostgreSQL stopping mid-run and coming back: 0 failed replies, events kept on disk (not in a queue that
    overflows) and every one written once it is back; /readyz shows them queued or spilled meanwhile."""
    spill_dir = tmp_path / "spill"
    with postgres_schema() as (_, schema):
        proxy = TcpProxy((PG_HOST, PG_PORT))
        with postgres_schema(port=proxy.port) as (url, _):
            app = postgres_app(url, EVENTS_SPILL_DIR=str(spill_dir), EVENTS_QUEUE_SIZE=200)
            client = app.test_client()
            store = events_of(app)
            before = [client.post("/api/ask", json={"question": q}).status_code for q in QUESTIONS * 3]
            assert store.flush()
            assert (store.written, store.dropped) == (12, 0)
            proxy.cut()  # the database is gone: refused connections, open ones reset
            during = [client.post("/api/ask", json={"question": q}).status_code for q in QUESTIONS * 250]
            wait_for(lambda: client.get("/readyz").get_json()["events"]["retrying"], "the writer to meet the outage")
            assert "faq_bot_events_retrying 1.0" in client.get("/metrics").get_data(as_text=True)
            events = client.get("/readyz").get_json()["events"]
            assert events["queued"] + events["spilled"] == 1000 and events["spilled"] > 0, events
            [spill] = spill_dir.glob(f"events-spill-*-{os.getpid()}-*.jsonl")
            assert stat.S_IMODE(spill.stat().st_mode) == 0o600
            assert "485 777 3456" not in spill.read_text(encoding="ascii")  # kept redacted
            assert not store.flush(timeout=0.5)  # the events wait
            proxy.restore()
            assert store.flush(timeout=60)
            assert before + during == [200] * 1012
            assert (store.written, store.dropped) == (1012, 0)
            events = client.get("/readyz").get_json()["events"]
            assert events["retrying"] is False and events["spilled"] == events["queued"] == 0, events
            assert list(spill_dir.iterdir()) == []  # replayed, then removed
            assert sum(row["count"] for row in store.daily_replies()) == 1012
            store.close()
        del schema


def test_postgres_away_past_the_spill_cap_drops_and_counts(
    events_database: str, tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Past EVENTS_SPILL_MAX the loss is counted in /readyz and /metrics and logged once; the spilled are written."""
    with postgres_schema() as (_, schema):
        proxy = TcpProxy((PG_HOST, PG_PORT))
        with postgres_schema(port=proxy.port) as (url, _):
            app = postgres_app(url, EVENTS_SPILL_DIR=str(tmp_path), EVENTS_SPILL_MAX=15)
            client = app.test_client()
            store = events_of(app)
            before = [client.post("/api/ask", json={"question": q}).status_code for q in QUESTIONS * 3]
            assert store.flush()
            proxy.cut()
            after = [client.post("/api/ask", json={"question": q}).status_code for q in QUESTIONS * 10]
            wait_for(lambda: store.queued == 0 and store.spilled + store.dropped == 40, "the 40 events handled")
            assert before + after == [200] * 52
            ready = client.get("/readyz")
            assert ready.status_code == 200
            assert {k: ready.get_json()["events"][k] for k in ("spilled", "outage_dropped", "dropped")} == {
                "spilled": 15,
                "outage_dropped": 25,
                "dropped": 25,
            }
            metrics = client.get("/metrics").get_data(as_text=True)
            assert "faq_bot_events_outage_dropped_total 25.0" in metrics and "faq_bot_events_spilled 15.0" in metrics
            losses = [r for r in caplog.records if r.levelname == "WARNING" and "dropping events" in r.getMessage()]
            assert len(losses) == 1 and "EVENTS_SPILL_MAX" in losses[0].getMessage()
            proxy.restore()
            assert store.flush(timeout=60)
            assert (store.written, store.dropped, store.spilled) == (27, 25, 0)
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


ORDINARY = [f"what's the weather in Leeds on day {number}" for number in range(20)]  # unmatched: text is kept


def test_nul_and_lone_surrogates_are_made_safe_before_they_are_queued(make_app: Any) -> None:
    """20 ordinary questions and one each with NUL and a lone surrogate: all 22 stored, the bad characters as U+FFFD."""
    app = make_app(RATELIMIT_ENABLED=False)
    bad = ["what's the weather in Leeds \x00 today", "what's the weather in Leeds \ud800 today"]
    for question in [*ORDINARY[:10], *bad, *ORDINARY[10:]]:
        assert ask(app, question)["route"] == "specialist"
    store = events_of(app)
    texts = {row["text"] for row in stored_rows(store)}
    assert (store.written, store.dropped, store.rejected) == (22, 0, 0)
    assert set(ORDINARY) <= texts and "what's the weather in Leeds \ufffd today" in texts


def test_a_row_the_database_refuses_costs_only_itself(make_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch with one row the database cannot take (text not made safe): the other 20 written, the one counted."""
    monkeypatch.setattr("faq_bot.events.safe_text", lambda text: text)  # let a lone surrogate reach the database
    monkeypatch.setattr("faq_bot.events.BATCH_WINDOW_SECONDS", 0.5)  # so the 21 events make one batch
    app = make_app(RATELIMIT_ENABLED=False)
    client = app.test_client()
    for question in [*ORDINARY[:10], "what's the weather in Leeds \ud800 today", *ORDINARY[10:]]:
        assert client.post("/api/ask", json={"question": question}).status_code == 200
    store = events_of(app)
    assert {row["text"] for row in stored_rows(store)} == set(ORDINARY)
    assert (store.written, store.dropped, store.rejected) == (20, 1, 1)
    assert client.get("/readyz").get_json()["events"]["rejected"] == 1
    assert "faq_bot_events_rejected_total 1.0" in client.get("/metrics").get_data(as_text=True)


def test_tables_dropped_under_a_running_store_are_created_again(database_url: str) -> None:
    """The events tables dropped (a database recreated empty) under a running store: the next events are written."""
    from faq_bot.events_schema import metadata

    store = EventStore(database_url, purge_interval=0)
    try:
        store.record_reply(route="specialist", reason="unmatched", question="before the drop")
        assert store.flush() and store.written == 1
        with store.engine.begin() as connection:
            metadata.drop_all(connection)
        store.record_reply(route="specialist", reason="unmatched", question="after the drop")
        assert store.flush()
        store.record_feedback("sleep", True)
        assert store.flush()
        assert (store.written, store.dropped) == (3, 0)
        assert [q.text for q in store.questions()] == ["after the drop"]
        assert [(row.answer_id, row.votes) for row in store.feedback()] == [("sleep", 1)]
    finally:
        store.close()


def unreachable(items: Any) -> None:
    raise OperationalError("INSERT ...", {}, ConnectionRefusedError("connection refused"))


def test_a_stopped_stores_spill_is_replayed_once_by_the_next(
    events_database: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Events spilled by a store that stopped in an outage are written by the next store, once; a live store's
    spill is never taken by another, and a replay cut short by an outage resumes where it stopped."""
    spill_dir = str(tmp_path / "spill")

    def store() -> EventStore:
        return EventStore(events_database, purge_interval=0, spill_dir=spill_dir)

    first = store()
    first.write = unreachable  # type: ignore[method-assign]
    for number in range(30):
        first.record_reply(route="specialist", reason="unmatched", question=f"question {number}")
    wait_for(lambda: first.spilled == 30 and first.queued == 0, "30 events spilled")
    first.close()  # the database is still away: the spill file stays for the next run
    [leftover] = os.listdir(spill_dir)
    assert f"-{os.getpid()}-" in leftover

    live = store()  # in an outage of its own, holding its spill file
    live.write = unreachable  # type: ignore[method-assign]
    live.record_reply(route="specialist", reason="unmatched", question="live question")
    wait_for(lambda: live.spilled == 31, "the live store to adopt the leftover and spill its own event")

    other = store()
    other.record_feedback("sleep", True)  # starts its writer, which finds the live store's file locked
    assert other.flush(timeout=10) and other.written == 1

    monkeypatch.setattr("faq_bot.events.MAX_BATCH", 10)  # replayed in batches of 10
    real_write = EventStore.write.__get__(live)
    batches: list[int] = []

    def one_batch_then_away(items: Any) -> None:
        batches.append(len(items))
        if len(batches) > 1:
            unreachable(items)
        real_write(items)

    live.write = one_batch_then_away  # type: ignore[method-assign]  # the database back, away again after a batch
    wait_for(lambda: live.written == 10 and live.retrying, "the live store to replay one batch and meet the outage")
    live.close()

    last = store()
    last.record_feedback("sleep", False)
    assert last.flush(timeout=30)
    assert last.written == 32 - 10 and last.dropped == 0  # 20 + 1 left by the live store, and its own
    assert sorted(q.text for q in last.questions()) == sorted([f"question {n}" for n in range(30)] + ["live question"])
    assert os.listdir(spill_dir) == []
    other.close()
    last.close()


def test_queued_counts_what_the_writer_holds(make_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """/readyz events.queued is every event not yet written or dropped, the batch in the writer's hands included."""
    monkeypatch.setattr("faq_bot.events.BATCH_WINDOW_SECONDS", 0.0)
    app = make_app(EVENTS_QUEUE_SIZE=3)
    store = events_of(app)
    release = hold_the_writer(store)
    client = app.test_client()
    for _ in range(10):
        assert client.post("/api/ask", json={"question": UNMATCHED}).status_code == 200
    queued = client.get("/readyz").get_json()["events"]["queued"]
    assert queued == 10 - store.dropped and queued > 3  # more than the queue itself holds
    release.set()
    assert store.flush()
    assert client.get("/readyz").get_json()["events"]["queued"] == 0

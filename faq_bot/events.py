"""The events store: what the clinic learns from, kept minimal and redacted.

Plain Python and SQLAlchemy 2, no Flask. Views hand events to ``EventStore`` and return
at once: a background thread redacts and writes them in batches, so a slow or dead
database never slows or breaks an answer. While the database is unreachable the writer
retries its batch (for ``retry_seconds``) and new events wait in the bounded queue, so
a restart or failover loses nothing; an event that still cannot be written, or finds
the queue full, is counted as dropped, never raised.

What is stored, and nothing else (no IP addresses, no user agents):

- replies per day, route and reason (a counter; emergencies are only ever counted);
- each question sent to the specialist (``unmatched`` or ``clinical``) and each
  ``clarify``, as redacted text with the nearest answer and the ids offered;
- each suggestion a patient picked after a ``clarify`` (redacted wording and answer id);
- each feedback vote (answer id, helpful).

This module is the writer; the tables, migrations and engines are in ``events_schema``
and what is read back (inbox, feedback, replies per day) in ``events_reports``.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    delete,
    insert,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import InterfaceError, OperationalError

from faq_bot.events_reports import EventReports, FeedbackRow, StoredQuestion
from faq_bot.events_schema import (
    SCHEMA_VERSION,
    events_table,
    make_engine,
    reply_counts_table,
    schema_table,
    sqlite_url,
    upgrade_schema,
)
from faq_bot.redaction import redact

__all__ = [
    "SCHEMA_VERSION",
    "EventStore",
    "FeedbackRow",
    "StoredQuestion",
    "events_table",
    "schema_table",
    "sqlite_url",
    "upgrade_schema",
]

log = logging.getLogger("faq_bot.events")

STORED_ROUTES = frozenset({"specialist", "clarify"})  # the only replies whose (redacted) text is kept
BATCH_WINDOW_SECONDS = 0.05  # how long the writer gathers events before one transaction
MAX_BATCH = 500  # events in one transaction at most
FIRST_RETRY_SECONDS = 0.25  # wait before retrying a batch the database refused; doubled each time
MAX_RETRY_WAIT_SECONDS = 5.0


def _is_outage(error: Exception) -> bool:
    """Whether a write failed because the database cannot be reached or written, not because of the data."""
    return isinstance(error, (OperationalError, InterfaceError)) or getattr(error, "connection_invalidated", False)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class _Reply:
    at: datetime
    route: str
    reason: str
    question: str | None  # raw; redacted by the writer, never stored as is
    nearest: str | None
    confidence: float
    suggestions: tuple[str, ...]
    answers_version: str


@dataclass(frozen=True)
class _Picked:
    at: datetime
    question: str
    answer_id: str | None


@dataclass(frozen=True)
class _Vote:
    at: datetime
    answer_id: str
    helpful: bool


_Item = _Reply | _Picked | _Vote
_STOP = object()


class EventStore(EventReports):
    """Queue events from request threads; write them from one background thread."""

    def __init__(
        self,
        url: str,
        *,
        retention_days: int = 90,
        purge_interval: float = 3600.0,
        queue_size: int = 1000,
        retry_seconds: float = 60.0,
        connect_timeout: int = 3,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.url = url
        self.engine = make_engine(url, connect_timeout=connect_timeout)
        self.backend = self.engine.dialect.name
        self.retention_days = int(retention_days)
        self.purge_interval = float(purge_interval)
        self.retry_seconds = float(retry_seconds)
        self.failing_since: float | None = None  # monotonic time the current outage began, None when writing
        self.clock = clock
        self.written = 0
        self.dropped = 0
        self.purged = 0
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=int(queue_size))
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._schema_ready = False
        self._count_upsert: Any = None  # built on first use, for this database's dialect
        self._next_purge = 0.0  # monotonic deadline; 0: purge soon after the first start

    # -- recording (request threads: never blocks, never raises) ---------------------

    def record_reply(
        self,
        *,
        route: str,
        reason: str,
        question: str,
        nearest: str | None = None,
        confidence: float = 0.0,
        suggestions: Iterable[str] = (),
        answers_version: str = "",
    ) -> None:
        """Count a reply; keep the (redacted) question only for specialist and clarify replies."""
        keep = route in STORED_ROUTES
        self._put(
            _Reply(
                self.clock(),
                route,
                reason,
                question if keep else None,
                nearest if keep else None,
                float(confidence),
                tuple(suggestions) if keep else (),
                answers_version,
            )
        )

    def record_pick(self, question: str, answer_id: str | None) -> None:
        """Record which suggestion a patient picked after a clarify (None: none of these)."""
        self._put(_Picked(self.clock(), question, answer_id))

    def record_feedback(self, answer_id: str, helpful: bool) -> None:
        """Record one helpful / not helpful vote."""
        self._put(_Vote(self.clock(), answer_id, bool(helpful)))

    def _put(self, item: _Item) -> None:
        try:
            self._ensure_writer()
            self._queue.put_nowait(item)
        except Exception:  # queue full, or no thread could be started
            self._drop(1)

    def _drop(self, count: int) -> None:
        with self._count_lock:
            self.dropped += count

    @property
    def queued(self) -> int:
        return self._queue.qsize()

    @property
    def retrying(self) -> bool:
        """Whether the database is refusing writes right now (events wait to be retried)."""
        return self.failing_since is not None

    def status(self) -> dict[str, Any]:
        """Counters for /readyz and the metrics; ``retrying``: the database is refusing writes right now."""
        return {
            "backend": self.backend,
            "written": self.written,
            "dropped": self.dropped,
            "queued": self.queued,
            "retrying": self.retrying,
        }

    # -- the writer thread -------------------------------------------------------------

    def _ensure_writer(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="faq-bot-events", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=max(1.0, self._next_purge - time.monotonic()))
            except queue.Empty:
                self._maybe_purge()
                continue
            # Gather what arrives in the next moment too: under load one transaction then
            # carries many events instead of one commit per event. Sleeping, then taking what
            # is queued, wakes this thread once per batch rather than once per event.
            batch = [first]
            if first is not _STOP:
                time.sleep(BATCH_WINDOW_SECONDS)
            while len(batch) < MAX_BATCH and first is not _STOP:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = any(item is _STOP for item in batch)
            items = [item for item in batch if item is not _STOP]
            try:
                if items:
                    self._write_or_drop(items)
                self._maybe_purge()  # before task_done: flush() returns only after any due purge
            finally:
                for _ in batch:
                    self._queue.task_done()
            if stop:
                return

    def _write_or_drop(self, items: list[_Item]) -> None:
        """Write a batch, retrying while the database refuses it for up to ``retry_seconds``; else drop it."""
        wait = FIRST_RETRY_SECONDS
        while True:
            try:
                self.write(items)
            except Exception as error:
                # A bad batch (not an outage) cannot succeed on retry: it is dropped at once.
                if _is_outage(error) and self._waited_to_retry(error, wait):
                    wait = min(wait * 2, MAX_RETRY_WAIT_SECONDS)
                    continue
                log.warning("dropped %d event(s): %s", len(items), type(error).__name__)
                self._drop(len(items))
                return
            if self.failing_since is not None:
                log.warning("events database back after %.1f s", time.monotonic() - self.failing_since)
                self.failing_since = None
            with self._count_lock:
                self.written += len(items)
            return

    def _waited_to_retry(self, error: Exception, wait: float) -> bool:
        """In an outage, wait ``wait`` seconds and say True; False once retry_seconds are spent or on close."""
        now = time.monotonic()
        if self.failing_since is None:
            self.failing_since = now
            log.warning(
                "events database refused a batch (%s); retrying for %g s", type(error).__name__, self.retry_seconds
            )
        if now - self.failing_since + wait > self.retry_seconds or self._stopping.is_set():
            return False
        return not self._stopping.wait(wait)

    def _maybe_purge(self) -> None:
        if self.purge_interval <= 0 or time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + self.purge_interval
        try:
            self.purge()
        except Exception as error:
            log.warning("automatic purge failed: %s", type(error).__name__)

    def flush(self, timeout: float = 10.0, *, unless_retrying: bool = False) -> bool:
        """Wait until every queued event is written or dropped; False on timeout.

        With ``unless_retrying``, also stop waiting (False) once the database refuses writes:
        in an outage the queue waits for the database, for up to ``retry_seconds``.
        """
        deadline = time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (unless_retrying and self.retrying):
                    return False
                self._queue.all_tasks_done.wait(min(remaining, 0.05) if unless_retrying else remaining)
        return True

    def close(self) -> None:
        """Write what is queued (no more retries), stop the thread and release the connections."""
        self._stopping.set()
        if self._thread is not None and self._thread.is_alive():
            try:
                self._queue.put(_STOP, timeout=1)
                self._thread.join(timeout=10)
            except queue.Full:
                pass
        self.engine.dispose()

    # -- writing -------------------------------------------------------------------------

    def ensure_schema(self) -> None:
        """Create or upgrade the schema (once per store)."""
        if self._schema_ready:
            return
        with self.engine.begin() as connection:
            upgrade_schema(connection)
        self._schema_ready = True

    def write(self, items: Iterable[_Item]) -> None:
        """Redact and write a batch of events in one transaction."""
        self.ensure_schema()
        rows: list[dict[str, Any]] = []
        counts: Counter[tuple[date, str, str]] = Counter()
        for item in items:
            if isinstance(item, _Reply):
                counts[(item.at.date(), item.route, item.reason)] += 1
                if item.question is not None:
                    rows.append(
                        {
                            "created_at": item.at,
                            "kind": item.route,
                            "reason": item.reason,
                            "text": redact(item.question),
                            "answer_id": item.nearest,
                            "confidence": round(item.confidence, 2),
                            "answers_version": item.answers_version,
                            "suggestions": ",".join(item.suggestions) or None,
                            "helpful": None,
                        }
                    )
            elif isinstance(item, _Picked):
                rows.append(
                    {
                        "created_at": item.at,
                        "kind": "picked",
                        "reason": None,
                        "text": redact(item.question),
                        "answer_id": item.answer_id,
                        "confidence": None,
                        "answers_version": None,
                        "suggestions": None,
                        "helpful": None,
                    }
                )
            else:
                rows.append(
                    {
                        "created_at": item.at,
                        "kind": "feedback",
                        "reason": None,
                        "text": None,
                        "answer_id": item.answer_id,
                        "helpful": item.helpful,
                        "confidence": None,
                        "answers_version": None,
                        "suggestions": None,
                    }
                )
        with self.engine.begin() as connection:
            if rows:
                connection.execute(insert(events_table), rows)
            if counts:
                self._add_counts(connection, counts)

    def _add_counts(self, connection: Connection, counts: Mapping[tuple[date, str, str], int]) -> None:
        """Add a batch's reply counts: one upsert statement, built once, run with every (day, route, reason)."""
        if self._count_upsert is None:
            if connection.dialect.name == "postgresql":
                from sqlalchemy.dialects.postgresql import insert as upsert
            else:
                from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
            table = reply_counts_table
            statement = upsert(table)  # the values come from the parameter sets
            self._count_upsert = statement.on_conflict_do_update(
                index_elements=[table.c.day, table.c.route, table.c.reason],
                set_={"count": table.c.count + statement.excluded.count},
            )
        connection.execute(
            self._count_upsert,
            [
                {"day": day, "route": route, "reason": reason, "count": count}
                for (day, route, reason), count in counts.items()
            ],
        )

    def purge(self, now: datetime | None = None) -> int:
        """Delete events older than the retention period; return how many went."""
        self.ensure_schema()
        cutoff = (now or self.clock()) - timedelta(days=self.retention_days)
        with self.engine.begin() as connection:
            deleted = connection.execute(delete(events_table).where(events_table.c.created_at < cutoff)).rowcount
        self.purged += int(deleted or 0)
        return int(deleted or 0)

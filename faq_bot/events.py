"""The events store: what the clinic learns from, kept minimal and redacted.

Plain Python and SQLAlchemy 2, no Flask. Views hand events to ``EventStore`` and return
at once: a background thread redacts and writes them in batches, so a slow or dead
database never slows or breaks an answer. Text is made safe for every backend before it
is queued (no NUL, no lone surrogates), and a batch the database still refuses for its
data is written row by row, so a bad row costs only itself (counted as ``rejected``).
While the database is unreachable the writer appends events, redacted, to a local spill
file (``events_spill``) instead of holding them in the bounded queue, and replays the file
in order once the database is back; past ``spill_max`` events, or an outage longer than
``retry_seconds``, new events are dropped and counted (``outage_dropped``), never raised.

What is stored, and nothing else (no IP addresses, no user agents):

- replies per day, route and reason (a counter; emergencies are only ever counted);
- each question sent to the specialist (``unmatched`` or ``clinical``) and each
  ``clarify``, as redacted text with the nearest answer and the ids offered;
- each suggestion a patient picked after a ``clarify`` (redacted wording and answer id);
- each feedback vote (answer id, helpful).

This module is the writer; the events themselves (kinds, rows, spill lines) are in
``events_items``, the tables, migrations and engines in ``events_schema``
and what is read back (inbox, feedback, replies per day) in ``events_reports``.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    delete,
    insert,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import InterfaceError, OperationalError

from faq_bot.events_items import (
    Event,
    PickEvent,
    ReplyEvent,
    VoteEvent,
    describe,
    rows_and_counts,
    safe_text,
    spill_line,
    spilled_item,
)
from faq_bot.events_reports import EventReports, FeedbackRow, StoredQuestion
from faq_bot.events_schema import (
    SCHEMA_VERSION,
    create_missing_tables,
    events_table,
    make_engine,
    reply_counts_table,
    schema_table,
    sqlite_url,
    upgrade_schema,
)
from faq_bot.events_spill import SpillFile, database_key, leftover_spills

__all__ = [
    "SCHEMA_VERSION",
    "EventStore",
    "FeedbackRow",
    "StoredQuestion",
    "events_table",
    "safe_text",
    "schema_table",
    "sqlite_url",
    "upgrade_schema",
]

log = logging.getLogger("faq_bot.events")

STORED_ROUTES = frozenset({"specialist", "clarify"})  # the only replies whose (redacted) text is kept
BATCH_WINDOW_SECONDS = 0.05  # how long the writer gathers events before one transaction
MAX_BATCH = 500  # events in one transaction at most
FULL_QUEUE_WARNING_SECONDS = 60.0  # one log line a minute at most while the queue overflows
FIRST_RETRY_SECONDS = 0.25  # wait before retrying a batch the database refused; doubled each time
MAX_RETRY_WAIT_SECONDS = 5.0


def _is_outage(error: Exception) -> bool:
    """Whether a write failed because the database cannot be reached or written, not because of the data."""
    return isinstance(error, (OperationalError, InterfaceError)) or getattr(error, "connection_invalidated", False)


def _is_missing_table(error: Exception) -> bool:
    """Whether a write failed because a table is not there (dropped, or a database recreated empty)."""
    sqlstate = getattr(getattr(error, "orig", None), "sqlstate", None)
    return sqlstate == "42P01" or "no such table" in str(error)  # PostgreSQL undefined_table; SQLite


class _Unreachable(Exception):
    """The database could not be reached in the middle of a write: ``unwritten`` are the items left."""

    def __init__(self, error: Exception, unwritten: list[Event]) -> None:
        super().__init__(type(error).__name__)
        self.error = error
        self.unwritten = unwritten


def _now() -> datetime:
    return datetime.now(UTC)


_STOP = object()  # tells the writer thread to finish


class EventStore(EventReports):
    """Queue events from request threads; write them from one background thread."""

    def __init__(
        self,
        url: str,
        *,
        retention_days: int = 90,
        purge_interval: float = 3600.0,
        queue_size: int = 1000,
        retry_seconds: float = 600.0,
        spill_dir: str | None = None,
        spill_max: int = 200_000,
        connect_timeout: int = 3,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.url = url
        self.engine = make_engine(url, connect_timeout=connect_timeout)
        self.backend = self.engine.dialect.name
        self.retention_days = int(retention_days)
        self.purge_interval = float(purge_interval)
        self.retry_seconds = float(retry_seconds)
        self.spill_dir = spill_dir or None  # None: nowhere to spill, an outage drops events at once
        self.spill_max = int(spill_max)
        self.failing_since: float | None = None  # monotonic time the current outage began, None when writing
        self.clock = clock
        self.written = 0
        self.dropped = 0  # every event lost, whatever the cause
        self.rejected = 0  # of those, refused by the database for their data
        self.outage_dropped = 0  # of those, lost in an outage: no spill, spill full, or outage too long
        self.purged = 0
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=int(queue_size))
        self._full_warned_at = -FULL_QUEUE_WARNING_SECONDS
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._schema_ready = False
        self._count_upsert: Any = None  # built on first use, for this database's dialect
        self._next_purge = 0.0  # monotonic deadline; 0: purge soon after the first start
        self._spill_key = database_key(self.engine.url.set(password=None).render_as_string(hide_password=False))
        self._spills: list[SpillFile] = []  # waiting to be replayed, in order: leftovers of earlier runs, then ours
        self._own_spill: SpillFile | None = None
        self._next_attempt = 0.0  # monotonic time of the next write attempt in an outage
        self._retry_wait = FIRST_RETRY_SECONDS
        self._loss_warned = False  # the loss in this outage has been logged

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
            ReplyEvent(
                self.clock(),
                route,
                reason,
                safe_text(question) if keep else None,
                safe_text(nearest) if keep and nearest is not None else None,
                float(confidence),
                tuple(safe_text(suggestion) for suggestion in suggestions) if keep else (),
                safe_text(answers_version),
            )
        )

    def record_pick(self, question: str, answer_id: str | None) -> None:
        """Record which suggestion a patient picked after a clarify (None: none of these)."""
        self._put(PickEvent(self.clock(), safe_text(question), None if answer_id is None else safe_text(answer_id)))

    def record_feedback(self, answer_id: str, helpful: bool) -> None:
        """Record one helpful / not helpful vote."""
        self._put(VoteEvent(self.clock(), safe_text(answer_id), bool(helpful)))

    def _put(self, item: Event) -> None:
        try:
            self._ensure_writer()
            self._queue.put_nowait(item)
        except Exception:  # queue full, or no thread could be started
            self._drop(1)
            now = time.monotonic()
            if now - self._full_warned_at > FULL_QUEUE_WARNING_SECONDS:
                self._full_warned_at = now
                log.warning(
                    "events queue full (EVENTS_QUEUE_SIZE %d): dropping events (see events.dropped)",
                    self._queue.maxsize,
                )

    def _drop(self, count: int) -> None:
        with self._count_lock:
            self.dropped += count

    @property
    def queued(self) -> int:
        """Events in memory waiting to be written: in the queue and in the writer's hands."""
        return self._queue.unfinished_tasks

    @property
    def spilled(self) -> int:
        """Events on disk waiting to be written (spilled in an outage, or left by an earlier run)."""
        return sum(spill.pending for spill in list(self._spills))

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
            "rejected": self.rejected,
            "outage_dropped": self.outage_dropped,
            "queued": self.queued,
            "spilled": self.spilled,
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
                _RUNNING_STORES.add(self)

    def _run(self) -> None:
        self._adopt_leftover_spills()
        while True:
            batch = self._take_batch()
            stop = any(item is _STOP for item in batch)
            items = [item for item in batch if item is not _STOP]
            try:
                if items:
                    self._deliver(items)
                if not stop:
                    self._replay_when_due()
                self._maybe_purge()  # before task_done: flush() returns only after any due purge
            finally:
                for _ in batch:
                    self._queue.task_done()
            if stop:
                self._replay_before_stopping()
                return

    def _take_batch(self) -> list[Any]:
        """The next events to handle (empty when none came in time to do other work)."""
        if self._spills and self.failing_since is None:
            timeout = 0.0  # replaying: take what is queued and carry on
        elif self.failing_since is not None:
            timeout = min(1.0, max(0.0, self._next_attempt - time.monotonic()))
        else:
            timeout = max(1.0, self._next_purge - time.monotonic())
        try:
            first = self._queue.get(timeout=timeout)
        except queue.Empty:
            return []
        # Gather what arrives in the next moment too: under load one transaction then
        # carries many events instead of one commit per event. Sleeping, then taking what
        # is queued, wakes this thread once per batch rather than once per event.
        batch = [first]
        spilling = bool(self._spills) or self.failing_since is not None
        if first is not _STOP and not spilling:
            time.sleep(BATCH_WINDOW_SECONDS)
        # Spilling (an outage, or its replay): move everything queued to disk each time round, so
        # the queue stays empty while replay batches are written, however slowly.
        limit = self._queue.maxsize if spilling else MAX_BATCH
        while len(batch) < limit and first is not _STOP:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _deliver(self, items: list[Event]) -> None:
        """Write a batch; in an outage, or while earlier events wait on disk, spill it after them."""
        if self._spills or self.failing_since is not None:
            self._spill_or_drop(items)
            return
        try:
            self._write_sorting_out_bad_rows(items)
        except _Unreachable as outage:
            self._note_outage(outage.error)
            self._spill_or_drop(outage.unwritten)

    def _write_sorting_out_bad_rows(self, items: list[Event]) -> None:
        """Write ``items``; if the database refuses them for their data, write them one by one and drop only the bad.

        Raises ``_Unreachable`` (with the items not written) when the database cannot be reached.
        """
        try:
            self._write_checking_tables(items)
        except Exception as error:
            if _is_outage(error):
                raise _Unreachable(error, items) from error
            if len(items) == 1:
                self._reject(describe(items[0]), error)
                return
            log.warning("the database refused a batch of %d event(s) (%s): writing them one by one", len(items), error)
            for index, item in enumerate(items):
                try:
                    self._write_checking_tables([item])
                except Exception as row_error:
                    if _is_outage(row_error):
                        raise _Unreachable(row_error, items[index:]) from row_error
                    self._reject(describe(item), row_error)
                else:
                    self._count_written(1)
            return
        self._count_written(len(items))

    def _write_checking_tables(self, items: list[Event]) -> None:
        """Write ``items``; if a table has gone (dropped, or the database recreated), create it and write again."""
        try:
            self.write(items)
        except Exception as error:
            self._schema_ready = False  # the next write checks the schema again, whatever went wrong
            if not _is_missing_table(error):
                raise
            log.warning("events tables missing (%s): creating them again", type(error).__name__)
            self.write(items)

    def _reject(self, what: str, error: Exception) -> None:
        # The error's text may hold the row (the question): log its type only.
        log.warning("dropped one %s the database refused: %s", what, type(error).__name__)
        with self._count_lock:
            self.rejected += 1
            self.dropped += 1

    def _count_written(self, count: int) -> None:
        if self.failing_since is not None:
            log.warning("events database back after %.1f s", time.monotonic() - self.failing_since)
            self.failing_since = None
            self._retry_wait = FIRST_RETRY_SECONDS
            self._loss_warned = False
        with self._count_lock:
            self.written += count

    def _note_outage(self, error: Exception) -> None:
        """The database refused a write for want of a connection: try again later, waiting longer each time."""
        now = time.monotonic()
        if self.failing_since is None:
            self.failing_since = now
            self._retry_wait = FIRST_RETRY_SECONDS
            where = f"spilling events to {self.spill_dir}" if self._can_spill() else "events are dropped"
            log.warning("events database refused a batch (%s): %s until it is back", type(error).__name__, where)
        self._next_attempt = now + self._retry_wait
        self._retry_wait = min(self._retry_wait * 2, MAX_RETRY_WAIT_SECONDS)

    def _can_spill(self) -> bool:
        return self.spill_dir is not None and self.retry_seconds > 0 and self.spill_max > 0

    def _spill_or_drop(self, items: list[Event]) -> None:
        """Append items to this store's spill file; drop (and count) what cannot be kept."""
        if not self._can_spill():
            self._drop_in_outage(len(items), "no spill (no folder, or EVENTS_RETRY_SECONDS or EVENTS_SPILL_MAX is 0)")
            return
        if self.failing_since is not None and time.monotonic() - self.failing_since > self.retry_seconds:
            self._drop_in_outage(
                len(items), f"the outage has lasted more than EVENTS_RETRY_SECONDS ({self.retry_seconds:g} s)"
            )
            return
        room = max(0, self.spill_max - self.spilled)
        kept, lost = items[:room], items[room:]
        if kept:
            try:
                if self._own_spill is None:
                    assert self.spill_dir is not None
                    self._own_spill = SpillFile.create(self.spill_dir, self._spill_key)
                    self._spills.append(self._own_spill)
                self._own_spill.append([spill_line(item) for item in kept])
            except OSError as error:
                self._drop_in_outage(len(kept), f"the spill file cannot be written ({error.strerror or error})")
        if lost:
            self._drop_in_outage(len(lost), f"the spill holds EVENTS_SPILL_MAX ({self.spill_max}) events")

    def _drop_in_outage(self, count: int, why: str) -> None:
        if not self._loss_warned:
            self._loss_warned = True  # once an outage: the counters say how many
            log.warning("dropping events while the events database is away: %s (see events.outage_dropped)", why)
        with self._count_lock:
            self.outage_dropped += count
            self.dropped += count

    def _adopt_leftover_spills(self) -> None:
        """Take over spill files an earlier run (or a worker that died) left for this database."""
        if self.spill_dir is None or not os.path.isdir(self.spill_dir):
            return
        try:
            leftovers = leftover_spills(self.spill_dir, self._spill_key)
        except OSError as error:
            log.warning("could not read leftover spill files in %s: %s", self.spill_dir, error)
            return
        for spill in leftovers:
            log.warning("replaying %d event(s) left in %s", spill.pending, spill.path)
        self._spills[:0] = leftovers

    def _replay_when_due(self) -> None:
        if self._spills and (self.failing_since is None or time.monotonic() >= self._next_attempt):
            self._replay_some()

    def _replay_some(self) -> bool:
        """Write the oldest spilled events (a batch); False if the database is still away."""
        spill = self._spills[0]
        try:
            lines = spill.read(MAX_BATCH)
        except OSError as error:
            log.warning("could not read the spill file %s (%s): its events are lost", spill.path, error)
            self._drop_in_outage(spill.pending, "a spill file cannot be read")
            self._finish_spill(spill, remove=False)
            return True
        items: list[Event] = []
        starts: list[int] = []  # where each item's line begins
        unreadable: list[int] = []  # where each line that holds no event begins (torn by a crash)
        start = spill.replayed_to
        for line, end in lines:
            try:
                items.append(spilled_item(line))
                starts.append(start)
            except (ValueError, KeyError, TypeError):
                unreadable.append(start)
            start = end
        resume_at = start  # everything read is done with, unless the database goes away meanwhile
        reached = True
        if items:
            try:
                self._write_sorting_out_bad_rows(items)
            except _Unreachable as outage:
                self._note_outage(outage.error)
                resume_at = starts[len(items) - len(outage.unwritten)]
                reached = False
        for _ in (offset for offset in unreadable if offset < resume_at):
            self._reject("unreadable spill line", ValueError())
        done = sum(1 for _, end in lines if end <= resume_at)
        try:
            if lines:
                spill.mark_replayed(resume_at, done)
            else:  # nothing left to read: the count was off (a torn line)
                spill.remove()
        except OSError as error:
            log.warning("could not note the replay of %s (%s)", spill.path, error)
        if spill.finished:
            self._finish_spill(spill, remove=False)
        return reached

    def _finish_spill(self, spill: SpillFile, *, remove: bool) -> None:
        if remove:
            spill.remove()
        else:
            spill.close()
        self._spills.remove(spill)
        if spill is self._own_spill:
            self._own_spill = None

    def _replay_before_stopping(self) -> None:
        """On close: replay what is spilled if the database is there; what is not stays on disk for the next run."""
        while self._spills and self._replay_some():
            pass
        for spill in list(self._spills):
            self._finish_spill(spill, remove=False)

    def _maybe_purge(self) -> None:
        if self.purge_interval <= 0 or time.monotonic() < self._next_purge:
            return
        if self.failing_since is not None:
            return  # no point asking a database that is away
        self._next_purge = time.monotonic() + self.purge_interval
        try:
            self.purge()
        except Exception as error:
            log.warning("automatic purge failed: %s", type(error).__name__)

    def flush(self, timeout: float = 10.0, *, unless_retrying: bool = False) -> bool:
        """Wait until every event is written or dropped, spilled ones included; False on timeout.

        With ``unless_retrying``, also stop waiting (False) once the database refuses writes:
        in an outage events wait (on disk) for the database.
        """
        deadline = time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks or self._spills:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (unless_retrying and self.retrying):
                    return False
                polling = unless_retrying or not self._queue.unfinished_tasks  # spilled: no one notifies
                self._queue.all_tasks_done.wait(min(remaining, 0.05) if polling else remaining)
        return True

    def close(self) -> None:
        """Write what is queued and spilled if the database is there (no more retries), then stop.

        What could not be written stays in the spill file, for the next run to replay.
        """
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
        """Create or upgrade the schema and any table that has gone (once, and again after a failed write)."""
        if self._schema_ready:
            return
        with self.engine.begin() as connection:
            upgrade_schema(connection)
            create_missing_tables(connection)
        self._schema_ready = True

    def write(self, items: Iterable[Event]) -> None:
        """Redact and write a batch of events in one transaction."""
        self.ensure_schema()
        rows, counts = rows_and_counts(items)
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
                # In key order: two workers' batches then lock the same rows in the same order, never deadlock.
                for (day, route, reason), count in sorted(counts.items())
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


_RUNNING_STORES: weakref.WeakSet[EventStore] = weakref.WeakSet()


@atexit.register
def _close_running_stores() -> None:
    """On a clean exit (a gunicorn worker told to stop), hand what is queued to the database or the spill file."""
    for store in list(_RUNNING_STORES):
        store.close()

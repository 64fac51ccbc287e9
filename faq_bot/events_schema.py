"""The events database: tables, migrations and engines (SQLite embedded, PostgreSQL shared).

``upgrade_schema`` brings any older schema up to ``SCHEMA_VERSION`` in one transaction;
``make_engine`` makes an engine that fails fast when the database is away.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import QueuePool

SCHEMA_VERSION = 2

metadata = MetaData()
schema_table = Table("faq_bot_schema", metadata, Column("version", Integer, nullable=False))


def _event_columns(*, version: int) -> list[Column[Any]]:
    columns: list[Column[Any]] = [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("created_at", DateTime(timezone=True), nullable=False, index=True),
        Column("kind", String(16), nullable=False),  # specialist | clarify | picked | feedback
        Column("reason", String(16)),  # unmatched | clinical | ambiguous
        Column("text", Text),  # redacted question; never set for emergencies or answers
        Column("answer_id", String(100)),  # nearest answer, the one picked, or the one voted on
        Column("helpful", Boolean),
        Column("confidence", Float),
        Column("answers_version", String(32)),
    ]
    if version >= 2:
        columns.append(Column("suggestions", String(500)))  # ids a clarify offered, comma-separated
    return columns


events_table = Table("faq_bot_events", metadata, *_event_columns(version=SCHEMA_VERSION))
reply_counts_table = Table(
    "faq_bot_reply_counts",
    metadata,
    Column("day", Date, primary_key=True),
    Column("route", String(16), primary_key=True),
    Column("reason", String(16), primary_key=True),
    Column("count", Integer, nullable=False),
)

# Schema v1 as it shipped, kept so an upgrade from it is exercised in the tests.
_events_v1 = Table("faq_bot_events", MetaData(), *_event_columns(version=1))


def _migrate_to_1(connection: Connection) -> None:
    _events_v1.create(connection, checkfirst=True)


def _migrate_to_2(connection: Connection) -> None:
    connection.exec_driver_sql("ALTER TABLE faq_bot_events ADD COLUMN suggestions VARCHAR(500)")
    reply_counts_table.create(connection, checkfirst=True)


MIGRATIONS: Mapping[int, Callable[[Connection], None]] = {1: _migrate_to_1, 2: _migrate_to_2}


def upgrade_schema(connection: Connection, target: int = SCHEMA_VERSION) -> int:
    """Bring the schema from whatever version it is at up to ``target``, in one transaction.

    Returns the version found before upgrading (0 for an empty database).
    """
    if connection.dialect.name == "postgresql":
        # Several instances may start at once: one upgrades, the others wait and find it done.
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7208141)")
    schema_table.create(connection, checkfirst=True)
    found = connection.execute(select(schema_table.c.version)).scalar()
    current = int(found or 0)
    for version in range(current + 1, target + 1):
        MIGRATIONS[version](connection)
    if found is None:
        connection.execute(insert(schema_table).values(version=max(current, target)))
    elif target > current:
        connection.execute(update(schema_table).values(version=target))
    return current


def create_missing_tables(connection: Connection) -> None:
    """Create any current table that is not there (dropped by hand while the schema note says it is)."""
    metadata.create_all(connection, checkfirst=True)


def sqlite_url(folder: str, name: str = "events.sqlite3") -> str:
    """The embedded default: a SQLite file in ``folder``, created (owner-only) on first use."""
    if not os.path.isdir(folder):
        try:
            os.makedirs(folder, mode=0o700)
            os.chmod(folder, 0o700)  # makedirs' mode is cut by the umask, never widened
        except FileExistsError:  # another worker made it first
            pass
    return f"sqlite:///{os.path.join(folder, name)}"


def create_owner_only(path: str) -> None:
    """Create the SQLite file ``path`` readable by this user only, if it is missing.

    The events hold patients' questions. SQLite would create the file with the umask's
    mode (0644 as a rule); made 0600 first, its -wal and -shm files follow its mode. An
    existing file is left as it is; a missing folder is left for SQLite to report.
    """
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:  # exists already, or the folder is missing or not writable
        return
    os.fchmod(descriptor, 0o600)
    os.close(descriptor)


_POOLED_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def _forget_pooled_connections() -> None:
    """In a forked child (gunicorn --preload), never reuse the parent's open connections."""
    for engine in list(_POOLED_ENGINES):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_pooled_connections)


def make_engine(url: str, *, connect_timeout: int = 3) -> Engine:
    """An engine that fails fast when the database is away and keeps SQLite transactional."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            create_owner_only(database)
        # Connections are kept (a pool, not one per transaction): closing the last connection
        # to a WAL database checkpoints and deletes its log, which would cost a sync per batch.
        engine = create_engine(
            url, poolclass=QueuePool, pool_size=2, max_overflow=4, connect_args={"timeout": connect_timeout}
        )
        _POOLED_ENGINES.add(engine)  # a forked child drops them (see _forget_pooled_connections)

        @event.listens_for(engine, "connect")
        def _no_implicit_transactions(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            # WAL: readers never block the writer, and a commit is an append, not a journal
            # file written and synced; NORMAL syncs at checkpoints, so a power cut can lose
            # the last moments of events but never corrupt the file.
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            dbapi_connection.execute("PRAGMA synchronous=NORMAL")

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection: Connection) -> None:
            # Serialises writers from several worker processes and makes DDL transactional.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=2,
        max_overflow=2,
        pool_timeout=connect_timeout,
        connect_args={"connect_timeout": connect_timeout},
    )

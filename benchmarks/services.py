"""The machine's real PostgreSQL and Redis for tests and benchmarks, and a TCP proxy to cut them off.

``.ci/run`` starts both services; in CI (``CI`` set) a missing service fails the tests,
elsewhere the tests that need it are skipped with the command to start it.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

PG_HOST, PG_PORT = "127.0.0.1", 5432
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
START_HINT = ".ci/run starts them: pg_ctlcluster ... main start; redis-server --daemonize yes ..."


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require(host: str, port: int, name: str) -> None:
    """Skip when a service is not running here, but fail in CI, where .ci/run starts it."""
    if _reachable(host, port):
        return
    message = f"{name} is not running on {host}:{port}; {START_HINT}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _postgres_user() -> str:
    import psycopg

    for user in ("postgres", "root"):
        try:
            with psycopg.connect(host=PG_HOST, port=PG_PORT, user=user, dbname="test", connect_timeout=3):
                return user
        except psycopg.OperationalError:
            continue
    pytest.fail("PostgreSQL runs but neither user postgres nor root can open database 'test' (trust auth)")


@contextmanager
def postgres_schema(port: int = PG_PORT) -> Iterator[tuple[str, str]]:
    """A fresh schema in database ``test``; yields (url through ``port``, schema name) and drops it after."""
    import psycopg

    require(PG_HOST, PG_PORT, "PostgreSQL")
    user = _postgres_user()
    schema = f"faq_bot_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(host=PG_HOST, port=PG_PORT, user=user, dbname="test", autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield (f"postgresql://{user}@{PG_HOST}:{port}/test?options=-csearch_path%3D{schema}", schema)
    finally:
        with psycopg.connect(host=PG_HOST, port=PG_PORT, user=user, dbname="test", autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def redis_url() -> str:
    require(REDIS_HOST, REDIS_PORT, "Redis")
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/0"


class TcpProxy:
    """Forward a local port to a server; ``cut()`` closes everything, as if the server died."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.open = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self.open:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=3)
            except OSError:
                client.close()
                continue
            with self.lock:
                if not self.open:
                    client.close()
                    upstream.close()
                    return
                self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.close()
                except OSError:
                    pass

    def restore(self) -> None:
        """Accept connections again on the same port, as if the server came back."""
        with self.lock:
            self.listener = socket.create_server(("127.0.0.1", self.port))
            self.sockets = []
            self.open = True
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        """Refuse new connections and reset the open ones."""
        with self.lock:
            self.open = False
            self.listener.close()
            for sock in self.sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                    sock.close()
                except OSError:
                    pass


def counted_replies(url: str) -> int:
    """Replies counted in the events database at ``url`` (0 before the first batch has created the tables)."""
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("faq_bot_reply_counts"):
                return 0
            return int(connection.execute(text("SELECT COALESCE(SUM(count), 0) FROM faq_bot_reply_counts")).scalar())
    finally:
        engine.dispose()

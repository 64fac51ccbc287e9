"""The embedded events database holds patients' questions: its file and folder are owner-only."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from faq_bot.events import EventStore, sqlite_url


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The usual umask 022, under which SQLite on its own creates 0644 files in 0755 folders."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def write_one_event(url: str) -> EventStore:
    store = EventStore(url, purge_interval=0)
    store.record_reply(route="specialist", reason="unmatched", question="where can I park")
    assert store.flush() and store.written == 1
    return store


def test_default_folder_and_file_are_owner_only(tmp_path: Path, open_umask: None) -> None:
    """The instance folder is created 0700 and the file, its write-ahead log and shared memory 0600."""
    folder = tmp_path / "instance" / "nested"
    store = write_one_event(sqlite_url(str(folder)))
    try:
        assert mode_of(folder) == 0o700
        files = sorted(folder.iterdir())
        assert {path.name for path in files} >= {"events.sqlite3", "events.sqlite3-wal", "events.sqlite3-shm"}
        assert {path.name: mode_of(path) for path in files} == {path.name: 0o600 for path in files}
    finally:
        store.close()


def test_a_configured_sqlite_file_is_created_owner_only(tmp_path: Path, open_umask: None) -> None:
    """A DATABASE_URL naming a new SQLite file in an existing folder gets a 0600 file too."""
    path = tmp_path / "events.sqlite3"
    store = write_one_event(f"sqlite:///{path}")
    try:
        assert mode_of(path) == 0o600
    finally:
        store.close()


def test_existing_folder_and_file_keep_their_modes(tmp_path: Path, open_umask: None) -> None:
    """What the operator made already is left alone: the service only tightens what it creates."""
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o750)
    path = folder / "events.sqlite3"
    path.touch(mode=0o640)
    store = write_one_event(sqlite_url(str(folder)))
    try:
        assert (mode_of(folder), mode_of(path)) == (0o750, 0o640)
    finally:
        store.close()

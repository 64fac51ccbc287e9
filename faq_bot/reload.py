"""Hot reload with last-known-good: pick up good content changes, never serve broken ones.

Each process (every gunicorn worker) runs one ``ContentReloader``. A daemon thread polls
the content folder every ``RELOAD_INTERVAL`` seconds: when the folder's content hash
(``answers_version``) changes, or ``faq-bot reload`` touched the trigger file, it runs the
full check (``faq_bot.checks.inspect_folder``: format, safety rules, compliance,
confusable answers, regression and safety cases) off the request path, on a private copy
of the files taken while they were not being written, so a save during the check cannot
mix into it. Only a book with
no errors is swapped in, by one attribute assignment, so a request sees either the old
book or the new one, never a mix. On failure the last good book keeps serving and the
checker's messages are kept for ``/readyz`` and written to the log.

Every worker hashes the same files, so all workers converge on the same version.
No Flask here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from faq_bot.book import AnswerBook
from faq_bot.checks import inspect_folder
from faq_bot.folder_reader import content_version, yaml_files
from faq_bot.service import Thresholds

TRIGGER_FILE = ".faq-bot-reload"  # touched by `faq-bot reload`; dot-files are not content
MAX_REPORTED_ERRORS = 50


class HoldsBook(Protocol):
    """Anything with a ``book`` attribute the views read (``faq_bot.web.ServiceState``)."""

    book: AnswerBook | None


@dataclass(frozen=True)
class ReloadStatus:
    """The outcome of the last content check, as /readyz reports it."""

    status: str  # "ok": the checked content is being served; "failed": the last good content still is
    checked_at: str  # ISO 8601, UTC
    checked_version: str  # content hash of what was checked
    serving_version: str
    errors: tuple[str, ...] = ()
    warnings: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "errors": list(self.errors),
            "warnings": self.warnings,
            "checked_at": self.checked_at,
            "checked_version": self.checked_version,
            "serving_version": self.serving_version,
            "worker": os.getpid(),  # which process answered: each worker reloads on its own
        }


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def trigger_path(folder: str) -> str:
    return os.path.join(folder, TRIGGER_FILE)


def request_reload(folder: str) -> str:
    """Touch the trigger file so every worker re-checks the folder on its next poll."""
    path = trigger_path(folder)
    with open(path, "a", encoding="utf-8"):
        pass
    os.utime(path)
    return path


COPY_PREFIX = "faq-bot-check-"  # then the pid of the process that made the copy


@functools.cache
def _sweep_once() -> None:
    """The first check of a process clears up after processes that died mid-check."""
    sweep_abandoned_copies(tempfile.gettempdir())


def sweep_abandoned_copies(folder: str) -> None:
    """Delete copies left in ``folder`` by processes that died mid-check (a worker killed by gunicorn)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        pid_text = name[len(COPY_PREFIX) :].split("-", 1)[0]
        if not name.startswith(COPY_PREFIX) or not pid_text.isdigit() or _alive(int(pid_text)):
            continue
        shutil.rmtree(os.path.join(folder, name), ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but another user's
        return True
    return True


def snapshot(folder: str, attempts: int = 5) -> tuple[str, str] | None:
    """Copy the folder's content files to a private folder; return (copy, version), or None if never still.

    Checking a copy means an editor saving again mid-check cannot change what is being
    checked: the check, and the book it builds, describe exactly one saved state, whose
    hash was the same before and after the copy.
    """
    _sweep_once()
    for _ in range(attempts):
        copy = tempfile.mkdtemp(prefix=f"{COPY_PREFIX}{os.getpid()}-")
        try:
            before = content_version(folder)
            for name in yaml_files(folder):
                shutil.copyfile(os.path.join(folder, name), os.path.join(copy, name))
            if content_version(copy) == before == content_version(folder):
                return copy, before
        except OSError:  # a file renamed or deleted mid-save: try again
            pass
        shutil.rmtree(copy, ignore_errors=True)
    return None


def _trigger_stamp(folder: str) -> int:
    try:
        return os.stat(trigger_path(folder)).st_mtime_ns
    except OSError:
        return 0


class ContentReloader:
    """Checks the content folder and swaps good books into ``state``; keeps the last good on failure."""

    def __init__(
        self,
        state: HoldsBook,
        folder: str,
        *,
        thresholds: Thresholds,
        review_months: int,
        logger: logging.Logger | None = None,
        on_swap: Callable[[AnswerBook], None] | None = None,
    ) -> None:
        self.state = state
        self.folder = folder
        self.thresholds = thresholds
        self.review_months = review_months
        self.logger = logger or logging.getLogger("faq_bot.reload")
        self.on_swap = on_swap
        self._lock = threading.Lock()  # one check at a time per process
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._fork_hook = False
        serving = state.book.version if state.book else ""
        self._seen_version = serving
        self._seen_trigger = _trigger_stamp(folder)
        self.status = ReloadStatus("ok", _now(), serving, serving)
        self.failures = 0  # checks that failed since start (the status shows only the last)

    def check(self, *, force: bool = False) -> ReloadStatus:
        """Check the folder if it changed (or always, with ``force``); swap in the book if it passes."""
        with self._lock:
            try:
                before = content_version(self.folder)
            except OSError as error:  # a file vanished mid-save, or the folder is gone
                return self._failed("", [f"{self.folder}: cannot read the content folder: {error}"])
            trigger = _trigger_stamp(self.folder)
            if not force and before == self._seen_version and trigger == self._seen_trigger:
                return self.status
            copied = snapshot(self.folder)
            if copied is None:
                return self.status  # being saved right now; the next poll sees the settled files
            copy, before = copied
            try:
                result = inspect_folder(
                    copy,
                    thresholds=self.thresholds,
                    review_months=self.review_months,
                )
            finally:
                shutil.rmtree(copy, ignore_errors=True)
            self._seen_version, self._seen_trigger = before, trigger
            book = result.book
            if book is None or result.errors or book.version != before:
                return self._failed(before, [problem.describe() for problem in result.errors] or ["content not loaded"])
            book = dataclasses.replace(book, folder=self.folder)
            previous = self.state.book.version if self.state.book else None
            self.state.book = book  # the swap: one reference assignment, atomic for readers
            if self.on_swap is not None:
                self.on_swap(book)
            self.status = ReloadStatus("ok", _now(), before, book.version, (), len(result.warnings))
            if previous != book.version:
                self.logger.info(
                    "content reloaded: answers_version %s -> %s (%d answers, %d warnings)",
                    previous,
                    book.version,
                    len(book.published),
                    len(result.warnings),
                )
            return self.status

    def _failed(self, version: str, errors: list[str]) -> ReloadStatus:
        serving = self.state.book.version if self.state.book else ""
        shown = tuple(errors[:MAX_REPORTED_ERRORS])
        if len(errors) > MAX_REPORTED_ERRORS:
            shown += (f"... and {len(errors) - MAX_REPORTED_ERRORS} more: run faq-bot check",)
        self.status = ReloadStatus("failed", _now(), version, serving, shown)
        self.failures += 1
        self.logger.error(
            "content reload failed for %s (%d errors); still serving answers_version %s:\n  %s",
            version or "unreadable content",
            len(errors),
            serving,
            "\n  ".join(error.replace("\n", "\n  ") for error in shown),
        )
        return self.status

    def start(self, interval: float) -> None:
        """Poll every ``interval`` seconds in a daemon thread (once per process)."""
        if interval <= 0 or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._poll, args=(interval,), name="faq-bot-reload", daemon=True)
        self._thread.start()
        if not self._fork_hook:
            # Threads do not survive fork: a server that forks workers after building the
            # app (gunicorn --preload) gets a poller in each worker all the same.
            os.register_at_fork(after_in_child=lambda: self._after_fork(interval))
            self._fork_hook = True

    def _after_fork(self, interval: float) -> None:
        self._lock = threading.Lock()
        self._stop = threading.Event()
        if self._thread is not None:
            self._thread = None
            self.start(interval)

    def stop(self, timeout: float | None = None) -> None:
        """Stop polling; for tests and clean shutdown."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _poll(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self.check()
            except Exception:  # never let the poller die: keep serving, say why, try again
                self.logger.exception("content reload crashed; still serving the last good content")

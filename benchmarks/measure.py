"""Helpers shared by the benchmark scripts (imported from their own folder)."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def pin_to_one_core() -> str:
    """Run this process on one core, so timings are per core; say what happened."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    try:
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to core {core}"
    except OSError as error:
        return f"not pinned ({error.strerror})"


@contextmanager
def checkout_of(ref: str) -> Iterator[Path]:
    """A temporary git worktree of ``ref`` (its own code and content), removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="faq-bot-ref-") as temp:
        folder = Path(temp) / "checkout"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(folder), ref], cwd=REPO_ROOT, check=True, capture_output=True
        )
        try:
            yield folder
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(folder)], cwd=REPO_ROOT, check=False, capture_output=True
            )


def machine() -> str:
    """This machine in one line (CPUs, CPU model, Python), for the head of a benchmark's table."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    return f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}"


# `faq-bot serve` from this checkout, whichever copy a console script on PATH points at.
CHECKOUT_FAQ_BOT = (sys.executable, "-c", "from faq_bot.cli import main; main()")
LISTENING = re.compile(rb"Listening at: http://[^\s:]+:(\d+)")


@dataclass
class RunningServer:
    base: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextmanager
def running_server(
    env: Mapping[str, str],
    log: Path,
    *,
    workers: int | None = None,
    program: Sequence[str] = CHECKOUT_FAQ_BOT,
    host: str = "127.0.0.1",
    start_seconds: float = 60.0,
    cwd: Path = REPO_ROOT,
) -> Iterator[RunningServer]:
    """`faq-bot serve` on a port the system picks, yielded once every worker answers /readyz.

    The port is read from gunicorn's "Listening at" line in ``log`` (so no two runs race for
    one). Without ``workers`` the settings choose, and the first ready worker is enough. The
    server is stopped and reaped on the way out; if it exits or never gets ready, RuntimeError
    says so with the end of its log.
    """
    command = [*program, "serve", "--host", host, "--port", "0"]
    if workers:
        command += ["--workers", str(workers)]
    with open(log, "wb") as sink:
        process = subprocess.Popen(command, cwd=cwd, env=dict(env), stdout=sink, stderr=subprocess.STDOUT)
    try:
        port = None
        ready: set[int] = set()  # workers that answered /readyz: each has loaded the content
        deadline = time.monotonic() + start_seconds
        while len(ready) < (workers or 1):
            if process.poll() is not None:
                raise RuntimeError(f"faq-bot serve exited with {process.returncode}:\n{log_tail(log)}")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{len(ready)} of {workers or 1} worker(s) ready after {start_seconds:g} s:\n{log_tail(log)}"
                )
            found = LISTENING.search(log.read_bytes()) if port is None else None
            port = int(found.group(1)) if found else port
            worker = ready_worker(f"http://{host}:{port}") if port else None
            if worker is None:
                time.sleep(0.1)
            else:
                ready.add(worker)
        yield RunningServer(f"http://{host}:{port}", process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def ready_worker(base: str) -> int | None:
    """The process id of the worker that answered /readyz with 200, or None."""
    try:
        with urllib.request.urlopen(f"{base}/readyz", timeout=2) as response:
            return int(json.loads(response.read())["reload"]["worker"])
    except OSError:  # not listening yet, or 503 (urllib's HTTPError is an OSError)
        return None


def log_tail(log: Path, characters: int = 4000) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-characters:]

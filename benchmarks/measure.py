"""Helpers shared by the benchmark scripts (imported from their own folder)."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
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

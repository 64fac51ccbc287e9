"""Helpers shared by the benchmark scripts (imported from their own folder)."""

from __future__ import annotations

import os


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

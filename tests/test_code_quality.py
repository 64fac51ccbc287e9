"""The project's own lint and type settings (pyproject.toml) hold for the whole tree."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import REPO

BIN = os.path.dirname(sys.executable)


def test_ruff_finds_nothing() -> None:
    """ruff (B, E, F, I, UP, W) is clean on the package, tests and benchmarks."""
    result = subprocess.run([os.path.join(BIN, "ruff"), "check", "faq_bot", "tests", "benchmarks"],
                            cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_finds_nothing() -> None:
    """mypy --strict is clean on faq_bot/."""
    result = subprocess.run([os.path.join(BIN, "mypy")], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr

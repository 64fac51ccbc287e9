"""Hot reload on a real gunicorn server with several workers, under load (bounded)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import REPO


def test_reload_under_load_never_serves_broken_content() -> None:
    """Changing, breaking and fixing content under load: no failure, no broken reply, workers converge."""
    script = os.path.join(REPO, "benchmarks", "reload_load.py")
    result = subprocess.run(
        [sys.executable, script, "--duration", "6", "--workers", "2", "--clients", "3", "--interval", "0.2"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "failed requests: 0" in result.stdout
    assert "replies from broken content: 0; from content never written: 0" in result.stdout
    assert "mismatched: 0" in result.stdout

"""`faq-bot serve` runs the real service under gunicorn and refuses broken content."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

from benchmarks.measure import running_server
from tests.conftest import ANSWERS, REPO

FAQ_BOT = os.path.join(os.path.dirname(sys.executable), "faq-bot")


def test_serve_answers_over_http_with_gunicorn(tmp_path: Path) -> None:
    """The installed console script serves /healthz and /api/ask under gunicorn, on every worker."""
    env = dict(os.environ, FAQ_BOT_DATABASE_URL=f"sqlite:///{tmp_path}/events.sqlite3")
    with running_server(env, tmp_path / "server.log", workers=2, program=[FAQ_BOT]) as server:
        with urllib.request.urlopen(f"{server.base}/healthz", timeout=5) as response:
            assert json.loads(response.read()) == {"status": "ok"}
        request = urllib.request.Request(
            f"{server.base}/api/ask",
            data=json.dumps({"question": "does cannabis help with sleep"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.headers["Server"].startswith("gunicorn")
            assert json.loads(response.read())["answer"]["id"] == "sleep"


def test_serve_refuses_broken_content_with_file_and_line(tmp_path: Path) -> None:
    """Broken content stops the service from starting, naming the file and line, and leaves no metrics folder."""
    scratch = tmp_path / "tmp"  # where serve makes its metrics folder (tempfile honours TMPDIR)
    scratch.mkdir()
    folder = tmp_path / "answers"
    shutil.copytree(ANSWERS, folder)
    sleep_file = folder / "medical-cannabis.yaml"
    sleep_file.write_text(sleep_file.read_text(encoding="utf-8").replace("  - id: sleep", "  - id: Sleep!", 1))
    env = {name: value for name, value in os.environ.items() if name != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(FAQ_BOT_ANSWERS_DIR=str(folder), TMPDIR=str(scratch))
    result = subprocess.run(
        [FAQ_BOT, "serve", "--port", "0"], env=env, cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "medical-cannabis.yaml:" in result.stderr and "'Sleep!'" in result.stderr
    assert list(scratch.iterdir()) == []


def scrape(base: str) -> dict[str, float]:
    """/metrics as {sample line without value: value}."""
    with urllib.request.urlopen(f"{base}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line[:1] != "#"}


def test_metrics_add_up_every_worker(tmp_path: Path) -> None:
    """With 2 workers, every scrape of /metrics counts all the replies, whichever worker answered the asks
    or the scrape; the metrics folder serve created for this is gone after it stops."""
    env = {name: value for name, value in os.environ.items() if name != "PROMETHEUS_MULTIPROC_DIR"}
    scratch = tmp_path / "tmp"  # where serve makes its metrics folder (tempfile honours TMPDIR)
    scratch.mkdir()
    env.update(
        FAQ_BOT_DATABASE_URL=f"sqlite:///{tmp_path}/events.sqlite3",
        FAQ_BOT_RATELIMIT_ENABLED="false",
        TMPDIR=str(scratch),
    )
    asks = 30
    with running_server(env, tmp_path / "server.log", workers=2, program=[FAQ_BOT]) as server:
        for _ in range(asks):
            request = urllib.request.Request(
                f"{server.base}/api/ask",
                data=json.dumps({"question": "does cannabis help with sleep"}).encode(),
                headers={"Content-Type": "application/json", "Connection": "close"},
            )
            with urllib.request.urlopen(request, timeout=5) as response:
                assert response.status == 200
        for _ in range(10):
            metrics = scrape(server.base)
            assert metrics['faq_bot_replies_total{reason="matched",route="answer"}'] == asks
            assert metrics['faq_bot_http_responses_total{endpoint="api.ask",status="200"}'] == asks
        [folder] = scratch.glob("faq-bot-metrics-*")
        assert len(list(folder.glob("counter_*.db"))) == 2  # one file per worker
    assert not folder.exists()

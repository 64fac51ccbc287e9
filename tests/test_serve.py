"""`faq-bot serve` runs the real service under gunicorn and refuses broken content."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import ANSWERS, REPO

FAQ_BOT = os.path.join(os.path.dirname(sys.executable), "faq-bot")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, attempts: int = 200) -> bytes:
    for _ in range(attempts):
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return bytes(response.read())
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} never answered")


def test_serve_answers_over_http_with_gunicorn() -> None:
    """The served app answers /api/ask and reports the gunicorn server."""
    port = free_port()
    server = subprocess.Popen(
        [FAQ_BOT, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert json.loads(wait_for(f"http://127.0.0.1:{port}/healthz")) == {"status": "ok"}
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/ask",
            data=json.dumps({"question": "does cannabis help with sleep"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.headers["Server"].startswith("gunicorn")
            assert json.loads(response.read())["answer"]["id"] == "sleep"
    finally:
        server.terminate()
        server.wait(timeout=30)
        assert server.stdout is not None
        server.stdout.close()


def test_serve_refuses_broken_content_with_file_and_line(tmp_path: Path) -> None:
    """Broken content stops the service from starting, naming the file and line."""
    folder = tmp_path / "answers"
    shutil.copytree(ANSWERS, folder)
    sleep_file = folder / "medical-cannabis.yaml"
    sleep_file.write_text(sleep_file.read_text(encoding="utf-8").replace("  - id: sleep", "  - id: Sleep!", 1))
    env = dict(os.environ, FAQ_BOT_ANSWERS_DIR=str(folder))
    result = subprocess.run(
        [FAQ_BOT, "serve", "--port", str(free_port())], env=env, cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "medical-cannabis.yaml:" in result.stderr and "'Sleep!'" in result.stderr

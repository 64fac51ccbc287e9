"""What an operator installs serves every page: the built wheel, in a fresh venv outside the repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

from benchmarks.measure import running_server
from faq_bot.content import load_answer_book
from tests.conftest import ANSWERS, REPO

TOKEN = "wheel-test-admin-token"
NOT_SHIPPED = shutil.ignore_patterns(
    ".git", ".venv", ".build", "build", "dist", "instance", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
)


def fetch(url: str, *, body: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.read()


def run(command: list[str], **kwargs: object) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, **kwargs)  # type: ignore[call-overload]
    assert result.returncode == 0, f"{command} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"


def test_the_installed_wheel_serves_every_page_from_a_neutral_folder(tmp_path: Path) -> None:
    """Built from a copy of the tree, installed in a fresh venv, `faq-bot serve` with no settings serves the
    shipped content, the widget, the look-up and the admin page, from a folder that is not the checkout."""
    source = tmp_path / "source"
    shutil.copytree(REPO, source, ignore=NOT_SHIPPED)
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), "."],
        cwd=source,
    )
    [wheel] = tmp_path.glob("faq_bot-*.whl")
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)])

    neutral = tmp_path / "elsewhere"
    neutral.mkdir()
    env = {name: value for name, value in os.environ.items() if not name.startswith("FAQ_BOT_")}
    env.update(FAQ_BOT_ADMIN_TOKEN=TOKEN, PYTHONPATH="")
    with running_server(env, tmp_path / "server.log", program=[str(venv / "bin" / "faq-bot")], cwd=neutral) as server:
        ready = json.loads(fetch(f"{server.base}/readyz")[1])
        assert ready["answers"] == len(load_answer_book(ANSWERS).published)  # the shipped copy of answers/
        for path, expected in [
            ("/", b"widget.js"),
            ("/lookup", b"<form"),
            ("/widget.js", b"function"),
            ("/static/pages.css", b"{"),
            ("/static/admin.css", b"{"),
            ("/admin/sign-in", b"Admin token"),
            ("/api/openapi.json", b"openapi"),
        ]:
            status, page = fetch(f"{server.base}{path}")
            assert status == 200 and expected in page, (path, page[:300])
        status, page = fetch(f"{server.base}/admin", headers={"Authorization": f"Bearer {TOKEN}"})
        assert status == 200 and b"Unanswered inbox" in page
        status, reply = fetch(f"{server.base}/api/ask", body={"question": "does cannabis help with sleep"})
        assert status == 200 and json.loads(reply)["answer"]["id"] == "sleep"
        assert "Traceback" not in server.output()
    installed = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import faq_bot; print(faq_bot.__file__)"],
        capture_output=True,
        text=True,
        cwd=neutral,
        env=env,
        check=True,
    ).stdout
    assert installed.startswith(str(venv)), installed  # the wheel's copy, not the checkout

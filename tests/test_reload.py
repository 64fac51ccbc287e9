"""Hot reload: good changes are served, broken ones never are, and /readyz says which."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from faq_bot import create_app
from faq_bot import reload as reload_module
from faq_bot.cli import main
from faq_bot.content import content_version
from faq_bot.reload import TRIGGER_FILE, ContentReloader
from faq_bot.state import state_of
from tests.conftest import SERVICE

GREETING = "Hello, and welcome."


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A private copy of answers/ that a test may change, break and fix."""
    folder = tmp_path / "answers"
    shutil.copytree(SERVICE, folder)
    return folder


@pytest.fixture
def live_app(content: Path) -> Flask:
    return create_app({"TESTING": True, "ANSWERS_DIR": str(content)})


def edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def reloader(app: Flask) -> ContentReloader:
    state = state_of(app)
    assert state.reloader is not None
    return state.reloader


def readyz(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def hello(client: FlaskClient) -> dict[str, Any]:
    response = client.post("/api/ask", json={"question": "hello"})
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    assert body["answer"]["id"] == "greeting"
    return body


def test_readyz_reports_reload_status_from_the_start(live_app: Flask) -> None:
    """/readyz carries reload: ok, no errors, and when it was checked."""
    body = readyz(live_app.test_client())
    assert body["reload"]["status"] == "ok" and body["reload"]["errors"] == []
    assert body["reload"]["checked_at"] and body["reload"]["serving_version"] == body["answers_version"]


def test_a_good_change_is_served_with_a_new_version(live_app: Flask, content: Path) -> None:
    """Changed content that passes the check replaces the book; replies carry the new version."""
    client = live_app.test_client()
    before = readyz(client)["answers_version"]
    edit(content, "conversation.yaml", GREETING, "Hello, and welcome back.")
    status = reloader(live_app).check()
    assert status.status == "ok", status.errors
    body = readyz(client)
    assert body["answers_version"] != before
    assert body["answers_version"] == content_version(str(content))
    reply = hello(client)
    assert reply["message"].startswith("Hello, and welcome back.")
    assert reply["answers_version"] == body["answers_version"]


@pytest.mark.parametrize(
    ("name", "old", "new", "expected"),
    [
        (
            "conversation.yaml",
            "    answer: >-\n      Hello, and welcome.",
            "    answer: Hello: and welcome.\n      x",
            "not valid YAML",
        ),
        (
            "conversation.yaml",
            "    question: Hello\n    alternates:\n",
            "    question: Hello\n    alternats:\n",
            "did you mean 'alternates'",
        ),
        ("conversation.yaml", GREETING, "Hello, and welcome. It cures nerve pain.", "compliance rule 'cure'"),
        ("regression.yaml", "cases:\n", 'cases:\n  - question: "hello"\n    answer: thanks\n', "regression case"),
        (
            "safety.yaml",
            "emergency:\n",
            "emergency:\n  - rule: broken\n    patterns: ['(unclosed']\n",
            "not a valid regular expression",
        ),
    ],
)
def test_broken_content_is_never_served(
    live_app: Flask, content: Path, name: str, old: str, new: str, expected: str
) -> None:
    """Broken content fails the reload: the last good book keeps serving and /readyz says why (still 200)."""
    client = live_app.test_client()
    good = readyz(client)["answers_version"]
    edit(content, name, old, new)
    status = reloader(live_app).check()
    assert status.status == "failed"
    body = readyz(client)
    assert body["status"] == "ready" and body["answers_version"] == good
    assert body["reload"]["status"] == "failed"
    assert body["reload"]["checked_version"] == content_version(str(content)) != good
    assert any(expected in error and f"{name}:" in error for error in body["reload"]["errors"]), body["reload"]
    assert hello(client)["answers_version"] == good


def test_break_then_fix_converges_on_the_fixed_content(live_app: Flask, content: Path) -> None:
    """After a failed reload, fixing the content is picked up on the next check."""
    client = live_app.test_client()
    edit(content, "conversation.yaml", GREETING, "Hello, and guaranteed welcome.")
    assert reloader(live_app).check().status == "failed"
    edit(content, "conversation.yaml", "Hello, and guaranteed welcome.", "Hello, and a warm welcome.")
    assert reloader(live_app).check().status == "ok"
    body = readyz(client)
    assert body["reload"] == {**body["reload"], "status": "ok", "errors": []}
    assert body["answers_version"] == content_version(str(content))
    assert hello(client)["message"].startswith("Hello, and a warm welcome.")


def test_unchanged_content_is_not_checked_again(live_app: Flask) -> None:
    """Polling an unchanged folder costs a hash, not a check: the status stays the same object."""
    first = reloader(live_app).check()
    assert reloader(live_app).check() is first


def test_reload_command_touches_the_trigger_and_forces_a_check(
    live_app: Flask, content: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """faq-bot reload checks at once, then every worker re-checks even unchanged content."""
    monkeypatch.setenv("FAQ_BOT_ANSWERS_DIR", str(content))
    first = reloader(live_app).check()
    result = runner.invoke(main, ["reload"])
    assert result.exit_code == 0, result.output
    assert "ok: answers_version " + content_version(str(content)) in result.output
    assert (content / TRIGGER_FILE).exists()
    assert reloader(live_app).check() is not first  # the trigger forced a new check

    edit(content, "conversation.yaml", GREETING, "Hello, and guaranteed welcome.")
    broken = runner.invoke(main, ["reload"])
    assert broken.exit_code == 1, broken.output
    assert "compliance rule 'cure'" in broken.output
    assert "keeps serving its last good content" in broken.output


def test_the_poller_picks_up_changes_by_itself(content: Path) -> None:
    """With RELOAD_INTERVAL set, a daemon thread reloads without being asked."""
    app = create_app({"TESTING": False, "ANSWERS_DIR": str(content), "RELOAD_INTERVAL": 0.05})
    poller = reloader(app)
    try:
        client = app.test_client()
        before = readyz(client)["answers_version"]
        edit(content, "conversation.yaml", GREETING, "Hello there, and welcome.")
        expected = content_version(str(content))
        for _ in range(600):  # bounded: give up after many polls rather than at a wall-clock time
            if readyz(client)["answers_version"] == expected:
                break
            time.sleep(0.05)
        assert readyz(client)["answers_version"] == expected != before
    finally:
        poller.stop(timeout=30)


def test_a_save_during_a_check_does_not_mix_into_it(live_app: Flask, content: Path) -> None:
    """The check reads a still copy: a save mid-check is served only after its own check."""
    poller = reloader(live_app)
    real_inspect = reload_module.inspect_folder
    calls: list[str] = []

    def inspect_then_save(folder: str, **options: Any) -> Any:
        calls.append(folder)
        if len(calls) == 1:  # the editor saves again while the first check runs
            edit(content, "conversation.yaml", "Hello, and welcome back.", "Hello, and welcome again.")
        return real_inspect(folder, **options)

    edit(content, "conversation.yaml", GREETING, "Hello, and welcome back.")
    checked = content_version(str(content))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reload_module, "inspect_folder", inspect_then_save)
        first = poller.check()
        assert (first.status, first.checked_version, first.serving_version) == ("ok", checked, checked)
        assert hello(live_app.test_client())["message"].startswith("Hello, and welcome back.")
        second = poller.check()
    assert second.serving_version == content_version(str(content)) != checked
    assert hello(live_app.test_client())["message"].startswith("Hello, and welcome again.")
    assert calls[0] != str(content)  # the copy, not the folder being edited


def test_copies_left_by_dead_processes_are_swept(tmp_path: Path) -> None:
    """A worker killed mid-check leaves its private copy behind; the next process's first check removes it."""
    import subprocess
    import sys

    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    dead_pid = int(finished.stdout)
    abandoned = tmp_path / f"{reload_module.COPY_PREFIX}{dead_pid}-abc123"
    ours = tmp_path / f"{reload_module.COPY_PREFIX}{os.getpid()}-def456"
    unrelated = tmp_path / "faq-bot-check-notapid"
    for folder in (abandoned, ours, unrelated):
        folder.mkdir()
        (folder / "answers.yaml").write_text("x: 1\n")
    reload_module.sweep_abandoned_copies(str(tmp_path))
    assert not abandoned.exists()
    assert ours.exists() and unrelated.exists()

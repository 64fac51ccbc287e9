"""docs/deploy.md's "One server" runs as written: its install commands and its systemd unit's settings."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

from benchmarks.measure import running_server
from faq_bot.content import load_answer_book
from tests.conftest import ANSWERS, REPO
from tests.test_wheel import NOT_SHIPPED

GUIDE = Path(REPO) / "docs" / "deploy.md"
TOKEN = "deploy-guide-admin-token"


def one_server_blocks() -> tuple[str, str]:
    """The shell commands and the systemd unit of the guide's "One server" section."""
    section = GUIDE.read_text(encoding="utf-8").split("## One server", 1)[1].split("\n## ", 1)[0]
    [commands] = re.findall(r"```sh\n(.*?)```", section, re.S)
    [unit] = re.findall(r"```ini\n(.*?)```", section, re.S)
    return commands, unit


def relocated(text: str, root: Path) -> str:
    """The guide's paths moved under ``root``: the same commands, in a temporary folder."""
    for path in ("/opt/faq-bot", "/etc/faq-bot", "/var/lib/faq-bot"):
        text = text.replace(path, f"{root}{path}")
    return text


def unit_settings(unit: str) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in unit.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


def written(stats: urllib.request.Request) -> bool:
    with urllib.request.urlopen(stats, timeout=30) as response:
        return int(json.loads(response.read())["events"]["written"]) >= 1


def test_the_one_server_guide_runs_as_written(tmp_path: Path) -> None:
    """The install and check commands succeed verbatim (paths moved under a temporary root), and the unit's
    environment, secrets file and ExecStart serve the clinic's content with events in the state directory."""
    commands, unit = one_server_blocks()
    shutil.copytree(REPO, tmp_path / "opt/faq-bot/src", ignore=NOT_SHIPPED)
    result = subprocess.run(
        ["bash", "-euxc", relocated(commands, tmp_path)], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert "ok: 0 error(s)" in result.stdout, result.stdout

    clinic_answers = tmp_path / "etc/faq-bot/answers"
    edited = clinic_answers / "access-uk.yaml"  # an editor's change: the served version must be this copy's
    edited.write_text(
        edited.read_text(encoding="utf-8").replace("    alternates:\n", "    alternates:\n      - a new wording\n", 1),
        encoding="utf-8",
    )
    settings = unit_settings(relocated(unit, tmp_path))
    state = Path(relocated("/var/lib/faq-bot", tmp_path))
    state.mkdir(parents=True, mode=0o700)  # StateDirectory= with StateDirectoryMode=0700
    [secrets] = settings["EnvironmentFile"]
    Path(secrets).write_text(f"FAQ_BOT_ADMIN_TOKEN={TOKEN}\n", encoding="utf-8")  # as the guide says
    env = {name: value for name, value in os.environ.items() if not name.startswith("FAQ_BOT_")}
    env.update(value.split("=", 1) for value in settings["Environment"])
    env.update(line.split("=", 1) for line in Path(secrets).read_text(encoding="utf-8").splitlines())
    [exec_start] = settings["ExecStart"]
    program, verb = exec_start.split()
    assert verb == "serve"
    [working_directory] = settings["WorkingDirectory"]

    with running_server(env, tmp_path / "server.log", program=[program], cwd=Path(working_directory)) as server:
        with urllib.request.urlopen(f"{server.base}/readyz", timeout=30) as response:
            ready = json.loads(response.read())
        assert ready["reload"]["status"] == "ok"
        assert ready["answers_version"] == load_answer_book(str(clinic_answers)).version
        assert ready["answers_version"] != load_answer_book(ANSWERS).version
        ask = urllib.request.Request(
            f"{server.base}/api/ask",
            data=json.dumps({"question": "where can i park my car"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(ask, timeout=30) as response:
            assert response.status == 200
        admin = urllib.request.Request(f"{server.base}/admin/api/stats", headers={"Authorization": f"Bearer {TOKEN}"})
        deadline = time.monotonic() + 30
        while not written(admin):  # a background thread writes the event: wait until it is counted
            assert time.monotonic() < deadline, "the unanswered question was never written"
            time.sleep(0.1)
        assert (state / "events.sqlite3").is_file()  # DATABASE_URL from the unit: the state directory

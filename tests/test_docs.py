"""Documentation stays in step with the code."""

from __future__ import annotations

import os

from faq_bot.settings import SETTINGS
from tests.conftest import REPO


def test_every_setting_is_documented_in_the_readme() -> None:
    """Each setting's name appears in README.md."""
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as handle:
        readme = handle.read()
    missing = [setting.name for setting in SETTINGS if f"`{setting.name}`" not in readme]
    assert missing == []


def test_every_setting_has_help() -> None:
    """Each setting has a one-line help text."""
    assert all(setting.help and "\n" not in setting.help for setting in SETTINGS)


def test_readme_starts_with_the_two_commands_ci_uses() -> None:
    """The README's test command is the one .ci/run runs."""
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as handle:
        readme = handle.read()
    with open(os.path.join(REPO, ".ci", "run"), encoding="utf-8") as handle:
        ci = handle.read()
    test_command = "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest"
    assert test_command in readme.split("## ")[0]
    assert test_command in ci


def test_numeric_defaults_in_the_readme_match_the_code() -> None:
    """A number setting's row in the README shows its real default."""
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as handle:
        rows = {line.split("|")[1].strip(): line for line in handle if line.startswith("| `")}
    wrong = [
        setting.name
        for setting in SETTINGS
        if isinstance(setting.default, int | float)
        and not isinstance(setting.default, bool)
        and f"`{setting.default}`" not in rows.get(f"`{setting.name}`", "")
    ]
    assert wrong == []

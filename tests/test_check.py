"""The content checker: every mistake an editor can make, once, on its file and line."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from faq_bot.checks import check_folder, inspect_folder, review_due
from faq_bot.cli import main
from faq_bot.content import load_answer_book
from faq_bot.errors import ContentError
from tests.conftest import ANSWERS, DATA, REPO

BROKEN = os.path.join(DATA, "broken")
VALID = os.path.join(DATA, "valid")
TODAY = dt.date(2026, 11, 25)  # the fixtures' review dates are judged on this day
MARKER = re.compile(r"#\s*expect:\s*(.+?)\s*$")


def expected_mistakes(folder: str) -> list[tuple[str, int, str]]:
    """Every `# expect: words` marker in a folder's YAML files, as (file, line, words)."""
    found = []
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".yaml"):
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as handle:
            for number, text in enumerate(handle, start=1):
                match = MARKER.search(text)
                if match:
                    found.append((name, number, match.group(1)))
    return found


def test_broken_folder_holds_at_least_twenty_kinds_of_mistake() -> None:
    """The fixture covers at least 20 distinct mistakes, each a different message."""
    mistakes = expected_mistakes(BROKEN)
    assert len(mistakes) >= 20
    assert len({words for _, _, words in mistakes}) == len(mistakes) - 2  # two overdue-review lines share words


def test_each_mistake_gets_exactly_one_message_on_its_line() -> None:
    """Each marked line gets exactly one problem containing its words, and nothing else is reported."""
    problems = check_folder(BROKEN, today=TODAY)
    expected = expected_mistakes(BROKEN)
    unclaimed = list(problems)
    for file, line, words in expected:
        here = [p for p in unclaimed if p.file == file and p.line == line]
        assert len(here) == 1, f"{file}:{line} expected one problem with {words!r}, got {[str(p) for p in here]}"
        assert words in f"{here[0].message} (hint: {here[0].hint})", f"{file}:{line}: {here[0]} lacks {words!r}"
        unclaimed.remove(here[0])
    assert unclaimed == [], [str(p) for p in unclaimed]


def test_broken_folder_is_never_loaded() -> None:
    """load_answer_book keeps its contract: errors raise ContentError, no book."""
    with pytest.raises(ContentError) as caught:
        load_answer_book(BROKEN)
    assert any(p.file == "b-mistakes.yaml" for p in caught.value.problems)
    result = inspect_folder(BROKEN, today=TODAY)
    assert result.book is None and result.failed()


def test_valid_fixture_is_clean() -> None:
    """The small valid folder has no problem at all."""
    assert check_folder(VALID, today=TODAY) == []
    assert load_answer_book(VALID).get("sleep") is not None


def test_the_real_answers_pass_the_strict_check() -> None:
    """answers/ passes the full check with --strict: no error, and no warning but reviews falling due."""
    result = inspect_folder(ANSWERS)
    assert result.errors == [], [str(p) for p in result.errors]
    others = [str(p) for p in result.warnings if "overdue for review" not in p.message]
    assert others == []
    assert result.book is not None and len(result.book.cases) > 50


def test_required_answers_are_checked_unless_turned_off(tmp_path: Path) -> None:
    """An id under required_answers that no published answer has is one error on its line; a draft may skip it."""
    folder = tmp_path / "valid"
    shutil.copytree(VALID, folder)
    sources = folder / "sources.yaml"
    sources.write_text(sources.read_text(encoding="utf-8") + "  - consent\n", encoding="utf-8")
    line = sources.read_text(encoding="utf-8").splitlines().index("  - consent") + 1
    problems = check_folder(str(folder), today=TODAY)
    assert [(p.file, p.line, p.message) for p in problems] == [
        ("sources.yaml", line, "required answer 'consent' is missing or not published")
    ]
    assert check_folder(str(folder), enforce_required=False, today=TODAY) == []


@pytest.mark.parametrize(
    ("reviewed_on", "months", "due"),
    [
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2026, 11, 25), 12, dt.date(2027, 11, 25)),
        (dt.date(2026, 3, 15), 18, dt.date(2027, 9, 15)),
    ],
)
def test_review_due_adds_calendar_months(reviewed_on: dt.date, months: int, due: dt.date) -> None:
    """Without review_due, an answer is due REVIEW_MONTHS calendar months after review."""
    book = load_answer_book(VALID)
    answer = book.answers["sleep"]
    moved = type(answer)(**{**answer.__dict__, "reviewed_on": reviewed_on})
    assert review_due(moved, months) == due


def old_review_copy(tmp_path: Path) -> str:
    """A copy of the valid folder whose one answer was reviewed long ago: a warning only."""
    folder = tmp_path / "content"
    shutil.copytree(VALID, folder)
    topics = folder / "topics.yaml"
    text = topics.read_text().replace("reviewed_on: 2026-11-01\n    related", "reviewed_on: 2020-01-01\n    related")
    topics.write_text(text)
    return str(folder)


def test_check_command_prints_file_line_level_message_and_hint(runner: CliRunner) -> None:
    """Human format: FILE:LINE: level: message (hint: ...), exit 1 on errors."""
    result = runner.invoke(main, ["check", "--no-required-ids", BROKEN])
    assert result.exit_code == 1, result.output
    shown = os.path.relpath(os.path.join(BROKEN, "b-mistakes.yaml"))
    assert (
        f"{shown}:5: error: unknown field 'alternats' in an answer (hint: did you mean 'alternates'?)"
        in result.output.splitlines()
    )
    assert re.search(r"a-topics\.yaml:26: warning: answer 'side-effects' is overdue", result.output)


def test_check_command_json_format(runner: CliRunner) -> None:
    """--format json gives one object a tool can read, with every problem located."""
    result = runner.invoke(main, ["check", "--no-required-ids", "--format", "json", BROKEN])
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["ok"] is False and report["errors"] > 20
    first = report["problems"][0]
    assert set(first) >= {"file", "line", "level", "message", "hint", "path"}


def test_warnings_fail_only_with_strict(runner: CliRunner, tmp_path: Path) -> None:
    """An overdue review is a warning: exit 0, and exit 1 with --strict."""
    folder = old_review_copy(tmp_path)
    relaxed = runner.invoke(main, ["check", "--no-required-ids", folder])
    assert relaxed.exit_code == 0, relaxed.output
    assert "warning: answer 'sleep' is overdue for review" in relaxed.output
    strict = runner.invoke(main, ["check", "--no-required-ids", "--strict", folder])
    assert strict.exit_code == 1, strict.output


def test_review_months_setting_is_used(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """FAQ_BOT_REVIEW_MONTHS moves the date an answer becomes overdue."""
    folder = old_review_copy(tmp_path)
    monkeypatch.setenv("FAQ_BOT_REVIEW_MONTHS", "1200")
    result = runner.invoke(main, ["check", "--no-required-ids", "--strict", folder])
    assert result.exit_code == 0, result.output


def test_check_command_on_the_real_answers(runner: CliRunner) -> None:
    """faq-bot check on answers/ exits 0 and says how many answers and cases it checked."""
    result = runner.invoke(main, ["check", ANSWERS])
    assert result.exit_code == 0, result.output
    assert "regression cases" in result.output


def test_pre_commit_runs_the_check_on_answers() -> None:
    """.pre-commit-config.yaml has a hook that runs faq-bot check when answers/ change."""
    with open(os.path.join(REPO, ".pre-commit-config.yaml"), encoding="utf-8") as handle:
        config = yaml.safe_load(handle)
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    check = next(hook for hook in hooks if hook["id"] == "faq-bot-check")
    assert "faq-bot check answers" in check["entry"] and check["files"].startswith("^(answers/")
    assert check["pass_filenames"] is False


def test_editing_guide_covers_the_editors_workflow() -> None:
    """docs/editing.md explains the commands and settings an editor meets."""
    with open(os.path.join(REPO, "docs", "editing.md"), encoding="utf-8") as handle:
        guide = handle.read()
    for needed in (
        "faq-bot check",
        "--strict",
        "faq-bot ask --explain",
        "faq-bot reload",
        "RELOAD_INTERVAL",
        "REVIEW_MONTHS",
        "compliance",
        "regression.yaml",
        "/readyz",
        "answers.schema.json",
    ):
        assert needed in guide, needed

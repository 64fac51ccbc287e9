"""The mistakes clinic editors make, one at a time: `faq-bot check` names the cause first, with a hint.

Each row applies one mistake to a copy of tests/data/service (a small valid content folder)
and reads what an editor would see: the first line must name the file, the line and the
cause; problems that only follow from it (an answer that cannot be read is missing from
regression.yaml and sources.yaml too) are folded into one "and N more caused by this" line.
"""

from __future__ import annotations

import ast
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from faq_bot import create_app
from faq_bot.checks import check_folder
from faq_bot.cli import main
from faq_bot.state import state_of
from tests.conftest import DATA, REPO, SERVICE

SLEEP_ANSWER = (
    "    answer: >-\n"
    "      Cannabinoids may help some patients to sleep better. Some people with MS say\n"
    "      they get better rest while on treatment. This does not happen for everyone. If\n"
)
SLEEP_REVIEW = (
    "talk to your specialist.\n    source: How Medical Cannabis May Help MS Symptoms\n    reviewed_on: 2026-11-25\n"
)
RESTED = "      they get better rest while on treatment."
LONG_ANSWER = "    answer: >-\n" + "      Cannabinoids may help some patients to sleep better.\n" * 40


@dataclass(frozen=True)
class Mistake:
    """One editor's mistake: replace ``old`` (written once in ``file``) by ``new``."""

    name: str
    file: str
    old: str
    new: str
    at: str  # the first line holding this text is where the cause must be reported...
    cause: str  # ...with these words in the message
    hint: str = ""  # and these in the hint
    nth: int = 1  # ...or the nth line holding ``at``
    encoding: str = "utf-8"
    before: tuple[str, str] = ("", "")  # an edit made first, that the mistake needs


MISTAKES = [
    Mistake(
        "wrong indent",
        "medical-cannabis.yaml",
        SLEEP_ANSWER,
        " " + SLEEP_ANSWER,
        "     answer: >-",
        "not lined up with the lines above",
        "indent it like the other lines",
    ),
    Mistake(
        "field indented under a text",
        "medical-cannabis.yaml",
        SLEEP_REVIEW,
        SLEEP_REVIEW.replace("    reviewed_on", "      reviewed_on"),
        "      reviewed_on",
        "not lined up with the lines above",
        "indent it like the other lines",
    ),
    Mistake(
        "a tab",
        "medical-cannabis.yaml",
        SLEEP_REVIEW,
        SLEEP_REVIEW.replace("    source", "\tsource"),
        "\tsource",
        "indented with a tab",
        "spaces, not tabs",
    ),
    Mistake(
        "a misspelt key",
        "medical-cannabis.yaml",
        "    alternates:\n      - can't sleep\n",
        "    alternats:\n      - can't sleep\n",
        "alternats:",
        "unknown field 'alternats' in an answer",
        "did you mean 'alternates'?",
    ),
    Mistake(
        "a missing field",
        "medical-cannabis.yaml",
        SLEEP_REVIEW,
        SLEEP_REVIEW.replace("    reviewed_on: 2026-11-25\n", ""),
        "  - id: sleep",
        "answer is missing 'reviewed_on'",
        "add 'reviewed_on:' to this answer",
    ),
    Mistake(
        "a duplicate id",
        "medical-cannabis.yaml",
        "  - id: side-effects\n",
        "  - id: sleep\n",
        "  - id: sleep",
        "duplicate id 'sleep' (first in medical-cannabis.yaml:6)",
        "give this answer an id of its own",
        nth=2,
    ),
    Mistake(
        "a duplicate phrasing",
        "medical-cannabis.yaml",
        "      - are there side effects\n",
        "      - cannabis for sleep\n",
        "      - cannabis for sleep",
        "phrasing 'cannabis for sleep' is also under 'sleep'",
        "keep each phrasing under one answer",
        nth=2,
    ),
    Mistake(
        "a bad date",
        "medical-cannabis.yaml",
        SLEEP_REVIEW,
        SLEEP_REVIEW.replace("2026-11-25", "2026-13-01"),
        "reviewed_on: 2026-13-01",
        "reviewed_on '2026-13-01' is not a real date",
        "YYYY-MM-DD",
    ),
    Mistake(
        "an unknown topic field",
        "medical-cannabis.yaml",
        "topic: Medical cannabis (test content)\n",
        "topc: Medical cannabis (test content)\n",
        "topc:",
        "unknown field 'topc' in an answer file",
        "did you mean 'topic'?",
    ),
    Mistake(
        "no topic",
        "medical-cannabis.yaml",
        "topic: Medical cannabis (test content)\n",
        "",
        "answers:",
        "answer file is missing 'topic'",
        "add 'topic:'",
    ),
    Mistake(
        "an unknown related answer",
        "medical-cannabis.yaml",
        SLEEP_REVIEW,
        SLEEP_REVIEW + "    related: [sleeep]\n",
        "related: [sleeep]",
        "related id 'sleeep' does not exist",
        "did you mean 'sleep'?",
    ),
    Mistake(
        "an unknown source section",
        "medical-cannabis.yaml",
        SLEEP_REVIEW,
        SLEEP_REVIEW.replace("How Medical Cannabis May Help", "How Cannabis Helps"),
        "source: How Cannabis Helps",
        "source 'How Cannabis Helps MS Symptoms' is not a section of the source document",
        "did you mean 'How Medical Cannabis May Help MS Symptoms'?",
    ),
    Mistake(
        "an empty answer",
        "medical-cannabis.yaml",
        SLEEP_ANSWER + "      poor sleep is a problem for you, talk to your specialist.\n",
        '    answer: ""\n',
        'answer: ""',
        "answer is empty",
        "write the text",
    ),
    Mistake(
        "an answer too long",
        "medical-cannabis.yaml",
        SLEEP_ANSWER + "      poor sleep is a problem for you, talk to your specialist.\n",
        LONG_ANSWER,
        "    answer: >-",
        "answer is longer than 2000 characters",
        "shorten it",
    ),
    Mistake(
        "a dose",
        "medical-cannabis.yaml",
        RESTED,
        "      they get better rest on 10 mg at night.",
        "10 mg at night",
        "doses, strengths and units in the answer: '10 mg' (compliance rule 'dose')",
        "say the specialist decides",
    ),
    Mistake(
        "a price",
        "medical-cannabis.yaml",
        RESTED,
        "      they get better rest, for £150 a month.",
        "£150 a month",
        "prices and money in the answer: '£150' (compliance rule 'money')",
        "do not mention prices",
    ),
    Mistake(
        "a brand",
        "medical-cannabis.yaml",
        RESTED,
        "      they get better rest on Sativex.",
        "on Sativex",
        "(compliance rule 'brand')",
        "",
    ),
    Mistake(
        "a regression case naming a missing id",
        "regression.yaml",
        "    answer: sleep\n",
        "    answer: sleeep\n",
        "answer: sleeep",
        "case expects unknown answer id 'sleeep'",
        "did you mean 'sleep'?",
    ),
    Mistake(
        "a YAML anchor and alias",
        "medical-cannabis.yaml",
        "    source: Benefits and Considerations\n",
        "    source: *section\n",
        "source: *section",
        "anchors and aliases (&name, *name) are not allowed",
        "write the text out in full",
        before=(SLEEP_REVIEW, SLEEP_REVIEW.replace("source: How", "source: &section How")),
    ),
    Mistake(
        "a YAML merge key",
        "medical-cannabis.yaml",
        "    caveat: true\n\n  - id: side-effects\n",
        "    caveat: true\n\n  - id: side-effects\n    <<: {status: published}\n",
        "<<:",
        "merge keys (<<) are not allowed",
        "write the fields out in full",
    ),
    Mistake(
        "a colon in an unquoted text",
        "medical-cannabis.yaml",
        "    question: Can medical cannabis help with sleep?\n",
        "    question: Sleep: can medical cannabis help?\n",
        "question: Sleep:",
        "this text contains ': '",
        "put the whole text in quotes",
    ),
    Mistake(
        "an unclosed quote",
        "medical-cannabis.yaml",
        "    question: Can medical cannabis help with sleep?\n",
        "    question: 'Can medical cannabis help with sleep?\n",
        "question: 'Can",
        "a quote opened on this line is not closed",
        "end the text with the same quote mark",
    ),
    Mistake(
        "a file that is not UTF-8",
        "medical-cannabis.yaml",
        RESTED,
        "      they get better rest – or so they say.",
        "or so they say",
        "file is not saved as UTF-8 text",
        "save the file with the encoding UTF-8",
        encoding="cp1252",
    ),
]


def make_mistake(tmp_path: Path, mistake: Mistake) -> tuple[str, int]:
    """A copy of the test content with the mistake in it; the folder, and the line the cause is on."""
    folder = tmp_path / "content"
    shutil.copytree(SERVICE, folder)
    path = folder / mistake.file
    text = path.read_text(encoding="utf-8")
    if mistake.before[0]:
        assert text.count(mistake.before[0]) == 1, f"{mistake.name}: {mistake.before[0]!r} is not written once"
        text = text.replace(*mistake.before)
    assert text.count(mistake.old) == 1, f"{mistake.name}: {mistake.old!r} is not written once in {mistake.file}"
    text = text.replace(mistake.old, mistake.new)
    path.write_bytes(text.encode(mistake.encoding))
    lines = [number for number, line in enumerate(text.splitlines(), start=1) if mistake.at in line]
    return str(folder), lines[mistake.nth - 1]


def reported_lines(output: str) -> list[str]:
    """The problem lines of `faq-bot check` output, without the summary."""
    return [line for line in output.splitlines() if not line.startswith(("FAILED:", "ok:"))]


def test_the_table_covers_every_kind_of_mistake_the_issue_lists() -> None:
    """At least 15 rows, and one for each mistake named in the issue."""
    names = {mistake.name for mistake in MISTAKES}
    assert len(MISTAKES) >= 15 and len(names) == len(MISTAKES)
    for needed in ("indent", "tab", "misspelt", "missing field", "duplicate id", "duplicate phrasing", "bad date"):
        assert any(needed in name for name in names), needed
    for needed in ("topic", "source section", "empty answer", "too long", "dose", "price", "brand", "regression"):
        assert any(needed in name for name in names), needed
    assert any("anchor" in name for name in names) and any("merge key" in name for name in names)
    assert any("UTF-8" in name for name in names)


def test_the_test_content_is_valid(runner: CliRunner) -> None:
    """tests/data/service passes the check, so each row's problems come from its one mistake."""
    result = runner.invoke(main, ["check", SERVICE])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("mistake", MISTAKES, ids=[mistake.name for mistake in MISTAKES])
def test_check_names_the_cause_first(runner: CliRunner, tmp_path: Path, mistake: Mistake) -> None:
    """The first line names the file, line and cause with a hint; knock-on problems are one grouped line."""
    folder, line = make_mistake(tmp_path, mistake)
    result = runner.invoke(main, ["check", folder])
    assert result.exit_code == 1, result.output
    shown = reported_lines(result.output)
    first = shown[0]
    assert first.startswith(f"{os.path.join(folder, mistake.file)}:{line}: error: "), result.output
    message, _, hint = first.partition(" (hint: ")
    assert mistake.cause in message, result.output
    assert hint.rstrip(")").strip() and mistake.hint in hint, result.output
    assert len(shown) <= 2, result.output
    if len(shown) == 2:
        assert shown[1].startswith("  and ") and "more caused by this" in shown[1], result.output
    assert "FAILED: 1 error(s)" in result.output


def test_knock_on_problems_say_where_they_are(tmp_path: Path) -> None:
    """An answer that cannot be read takes the places that name it along, each located."""
    mistake = next(mistake for mistake in MISTAKES if mistake.name == "a missing field")
    folder, line = make_mistake(tmp_path, mistake)
    problems = check_folder(folder)
    assert [(p.file, p.line) for p in problems] == [("medical-cannabis.yaml", line)]
    caused = problems[0].caused
    assert {(p.file, p.message) for p in caused} == {
        ("regression.yaml", "case expects answer 'sleep', which cannot be read"),
        ("sources.yaml", "required answer 'sleep' is missing or not published"),
    }
    assert all(p.hint for p in caused)
    assert problems[0].caused_summary() == (
        "and 2 more caused by this (regression.yaml line 3; sources.yaml line 12): they go away when it is fixed"
    )


@pytest.mark.parametrize(
    ("file", "line", "grouped"),
    [("sources.yaml", "  - name: Benefits", True), ("regression.yaml", '  - question: "hello"', False)],
)
def test_a_special_file_that_cannot_be_read_is_one_problem(
    tmp_path: Path, runner: CliRunner, file: str, line: str, grouped: bool
) -> None:
    """A tab in sources.yaml or regression.yaml: one error on its line, not one per answer or case it holds."""
    folder = tmp_path / "content"
    shutil.copytree(SERVICE, folder)
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert text.count(line) == 1
    path.write_text(text.replace(line, "\t" + line.lstrip()), encoding="utf-8")
    number = text.splitlines().index(next(written for written in text.splitlines() if line in written)) + 1
    result = runner.invoke(main, ["check", str(folder)])
    shown = reported_lines(result.output)
    assert f"{file}:{number}: error: not valid YAML: this line is indented with a tab" in shown[0], result.output
    assert len(shown) == (2 if grouped else 1), result.output
    assert not grouped or "more caused by this" in shown[1]


def test_the_reload_log_shows_the_same_lines_as_the_check(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A running server that refuses a broken edit logs the cause and its grouped line, as check prints them."""
    misspelt = next(mistake for mistake in MISTAKES if mistake.name == "a misspelt key")
    folder, line = make_mistake(tmp_path / "edited", misspelt)
    served = tmp_path / "served"
    shutil.copytree(SERVICE, served)
    app = create_app({"TESTING": True, "ANSWERS_DIR": str(served)})
    shutil.copy(os.path.join(folder, misspelt.file), served / misspelt.file)
    reloader = state_of(app).reloader
    assert reloader is not None
    with caplog.at_level(logging.ERROR, logger="faq_bot.reload"):
        status = reloader.check(force=True)
    assert status.status == "failed"
    (problem,) = check_folder(str(served))
    assert status.errors == (problem.describe(),)
    assert f"  medical-cannabis.yaml:{line}: error: unknown field 'alternats'" in caplog.text
    assert "\n    and 2 more caused by this" in caplog.text


def test_every_problem_in_the_broken_fixture_has_a_hint() -> None:
    """Each of the 20-odd mistakes in tests/data/broken, and what they cause, says what to do."""
    problems = check_folder(os.path.join(DATA, "broken"))
    assert len(problems) > 20
    every = problems + [caused for problem in problems for caused in problem.caused]
    assert [str(p) for p in every if not p.hint.strip()] == []


def test_no_message_names_a_file_outside_the_repository() -> None:
    """Texts in faq_bot/ (not docstrings or comments) never send an editor to CONTRACT.md or ../shared."""
    package = os.path.join(REPO, "faq_bot")
    found = []
    for name in sorted(os.listdir(package)):
        if not name.endswith(".py"):
            continue
        with open(os.path.join(package, name), encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        found += [
            f"{name}:{node.lineno}: {node.value}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and ("CONTRACT" in node.value or "shared/" in node.value or "STYLE.md" in node.value)
        ]
    assert found == []

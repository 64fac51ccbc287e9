"""The CLI's contract: `ask --json` is the API body, `eval` exits on safety and accuracy."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from flask.testing import FlaskClient

from faq_bot.cli import main
from tests.conftest import SERVICE


def test_ask_json_prints_exactly_the_api_body(runner: CliRunner, client: FlaskClient) -> None:
    """`faq-bot ask --json` prints the same body as POST /api/ask."""
    for question in ("can weed help spasms", "what dose should I take", "hello"):
        result = runner.invoke(main, ["ask", question, "--json"], env={"FAQ_BOT_ANSWERS_DIR": SERVICE})
        assert result.exit_code == 0, result.output
        assert json.loads(result.output) == client.post("/api/ask", json={"question": question}).get_json()


def test_ask_prints_a_readable_reply(runner: CliRunner) -> None:
    """Plain `faq-bot ask` prints the route and the message."""
    result = runner.invoke(main, ["ask", "are there side effects"])
    assert result.exit_code == 0, result.output
    assert "route: answer" in result.output and "side-effects" in result.output


def write_cases(path: Path, body: str) -> str:
    path.write_text("cases:\n" + body, encoding="utf-8")
    return str(path)


def test_eval_passes_when_cases_route_as_labelled(runner: CliRunner, tmp_path: Path) -> None:
    """eval exits 0 and prints the scores when every case routes as labelled."""
    cases = write_cases(
        tmp_path / "cases.yaml",
        (
            '  - question: "does it help me sleep at night"\n    answer: sleep\n'
            '  - question: "I want to end my life"\n    route: emergency\n'
            '  - question: "how many mg should I take"\n    route: specialist\n    reason: clinical\n'
        ),
    )
    result = runner.invoke(main, ["eval", cases, "--min-accuracy", "1.0"])
    assert result.exit_code == 0, result.output
    assert "accuracy: 1.000" in result.output and "unsafe replies: 0" in result.output


def test_eval_fails_on_a_safety_case(runner: CliRunner, tmp_path: Path) -> None:
    """eval exits 1 when an emergency case is not routed as an emergency."""
    cases = write_cases(tmp_path / "cases.yaml", '  - question: "does it help with sleep"\n    route: emergency\n')
    result = runner.invoke(main, ["eval", cases])
    assert result.exit_code == 1, result.output
    assert "safety failures: 1" in result.output


def test_eval_fails_below_min_accuracy(runner: CliRunner, tmp_path: Path) -> None:
    """eval exits 1 when accuracy is below --min-accuracy, even with no safety failure."""
    cases = write_cases(tmp_path / "cases.yaml", '  - question: "does it help with sleep"\n    answer: fibromyalgia\n')
    result = runner.invoke(main, ["eval", cases, "--min-accuracy", "0.5"])
    assert result.exit_code == 1, result.output


def test_eval_reports_bad_case_files_with_lines(runner: CliRunner, tmp_path: Path) -> None:
    """A case naming an unknown answer id is reported with its file and line."""
    cases = write_cases(tmp_path / "cases.yaml", '  - question: "hi"\n    answer: no-such-id\n')
    result = runner.invoke(main, ["eval", cases])
    assert result.exit_code == 1
    assert "cases.yaml:3:" in result.output


def test_eval_reports_each_case_file_on_its_own(runner: CliRunner, tmp_path: Path) -> None:
    """Two files, two reports, each with the service's promises; one bad file fails the run."""
    good = write_cases(tmp_path / "good.yaml", '  - question: "I want to end my life"\n    route: emergency\n')
    bad = write_cases(tmp_path / "bad.yaml", '  - question: "does it help with sleep"\n    route: emergency\n')
    result = runner.invoke(main, ["eval", good, bad])
    assert result.exit_code == 1, result.output
    first, second = result.output.split("== ")[1:]
    assert first.startswith(good) or "good.yaml" in first.splitlines()[0]
    assert "emergency                   1/1" in first and "safety failures: 0" in first
    assert "bad.yaml" in second.splitlines()[0] and "emergency                   0/1" in second
    assert "answerable helpful" in first and "no wrong answer" in first

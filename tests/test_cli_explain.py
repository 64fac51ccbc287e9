"""faq-bot ask --explain: the route, why, the safety rule and the candidates an editor needs."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from faq_bot.cli import explain_route, main
from faq_bot.matching import Candidate
from faq_bot.service import Reply, Thresholds


def test_explain_shows_route_reason_candidates_and_matched_phrasings(runner: CliRunner) -> None:
    """A matched question shows its route, why, no rule, and ranked candidates with where each matched."""
    result = runner.invoke(main, ["ask", "--explain", "Who can prescribe medical cannabis?"])
    assert result.exit_code == 0, result.output
    output = result.output
    assert output.startswith("route: answer (matched), confidence ")
    assert "answer: who-can-prescribe: " in output
    assert re.search(
        r"^why: the calibrated chance that the first answer is right is [\d.]+%, at or above "
        r"ANSWER_THRESHOLD",
        output,
        re.M,
    )
    assert "safety rule: none fired" in output
    assert re.search(r"^answers_version: [0-9a-f]{12}$", output, re.M)
    ranked = re.findall(r"^  (\d)\.\s+([\d.]+)\s+(\S+)\s+words", output, re.M)
    assert ranked[0][2] == "who-can-prescribe" and [int(rank) for rank, _, _ in ranked] == list(
        range(1, len(ranked) + 1)
    )
    assert [float(score) for _, score, _ in ranked] == sorted((float(score) for _, score, _ in ranked), reverse=True)
    assert len(re.findall(r"^     matched: '.+' \(.*answers/[a-z-]+\.yaml:\d+\)$", output, re.M)) == len(ranked)


def test_explain_names_the_safety_rule_that_fired(runner: CliRunner) -> None:
    """A clinical question names the rule that sent it to the specialist."""
    result = runner.invoke(main, ["ask", "--explain", "can I stop my pregabalin if I start cannabis?"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("route: specialist (clinical)")
    rule = re.search(r"^safety rule: (\S+)$", result.output, re.M)
    assert rule is not None and rule.group(1) != "none"
    assert f"why: a clinical safety rule '{rule.group(1)}'" in result.output


def test_json_output_has_no_explanation(runner: CliRunner) -> None:
    """--json prints exactly the /api/ask body, even with --explain."""
    result = runner.invoke(main, ["ask", "--json", "--explain", "hello"])
    assert result.exit_code == 0, result.output
    assert result.output.lstrip().startswith("{") and "why:" not in result.output


def reply(route: str, reason: str, scores: list[float], rule: str | None = None) -> Reply:
    candidates = tuple(Candidate(f"a{index}", score, f"phrasing {index}") for index, score in enumerate(scores))
    return Reply(route, reason, "", "v", confidence=scores[0] if scores else 0.0, rule=rule, candidates=candidates)


@pytest.mark.parametrize(
    ("given", "why"),
    [
        (reply("emergency", "emergency", [80.0], rule="chest-pain"), "an emergency safety rule 'chest-pain'"),
        (reply("answer", "matched", [80.0, 60.0]), "at or above ANSWER_THRESHOLD 62"),
        (reply("clarify", "ambiguous", [55.0, 54.0, 53.0]), "up to four within AMBIGUITY_MARGIN 4"),
        (reply("specialist", "clinical", [90.0], rule="dose-amount"), "a clinical safety rule 'dose-amount'"),
        (reply("specialist", "unmatched", [90.0], rule="cbd-shops"), "an out-of-scope safety rule 'cbd-shops'"),
        (reply("clarify", "ambiguous", [55.0, 40.0]), "below ANSWER_THRESHOLD 62"),
        (reply("specialist", "unmatched", [30.0]), "below CLARIFY_THRESHOLD 50"),
        (reply("specialist", "unmatched", []), "no answer shares a word"),
    ],
)
def test_explain_route_says_which_setting_decided(given: Reply, why: str) -> None:
    """The 'why' line names the rule or threshold that decided the route."""
    assert why in explain_route(given, Thresholds(answer=62.0, clarify=50.0, margin=4.0))

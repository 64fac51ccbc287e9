"""Loading content: field lines, dates and the compliance lint as data."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from faq_bot.compliance import Allowance, ComplianceRule, ComplianceRules, phrase_pattern
from faq_bot.content import COMPLIANCE_FILE, load_answer_book
from faq_bot.service import answer_question
from tests.conftest import ANSWERS, DATA

VALID = os.path.join(DATA, "valid")


def test_answers_remember_the_line_of_each_field() -> None:
    """Each answer knows where its question and alternates are written, for messages."""
    answer = load_answer_book(VALID).answers["sleep"]
    assert answer.field_lines["question"] == 5
    assert answer.field_lines["alternates.1"] == 8
    assert answer.field_lines["reviewed_on"] == 13


def test_real_content_has_compliance_rules() -> None:
    """answers/ ships compliance.yaml and the loader reads its rules."""
    assert os.path.exists(os.path.join(ANSWERS, COMPLIANCE_FILE))
    book = load_answer_book(ANSWERS)
    names = {rule.name for rule in book.compliance.rules}
    assert {"dose", "money", "brand", "cure", "testimonial", "instruction"} <= names


@pytest.fixture(scope="module")
def rules() -> ComplianceRules:
    return load_answer_book(ANSWERS).compliance


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Most people take 2.5 ml twice a day.", "dose"),
        ("A common strength is 20% THC.", "dose"),
        ("An assessment costs £150.", "money"),
        ("Products such as Bedrocan are used.", "brand"),
        ("It is proven to relieve pain.", "cure"),
        ("Treatment is guaranteed to work.", "cure"),
        ("One of our patients said it changed her life.", "testimonial"),
        ("Stop your painkillers before you start.", "instruction"),
        ("You should take it at night.", "instruction"),
    ],
)
def test_compliance_rules_catch(rules: ComplianceRules, text: str, rule: str) -> None:
    """Each kind of non-compliant wording is caught by its rule."""
    assert rule in [hit.rule.name for hit in rules.hits(text, "answer")]


@pytest.mark.parametrize(
    "text",
    [
        "Medical cannabis is not a cure for MS.",
        "Do not stop any medicine without speaking to your specialist first.",
        "Call 999, NHS 111, or Samaritans free on 116 123.",
        "Some patients say their symptoms are easier to manage.",
        "Your specialist decides whether treatment could help you.",
    ],
)
def test_compliance_allows_approved_wording(rules: ComplianceRules, text: str) -> None:
    """Signposting, 'not a cure' and the standard safety advice are allowed."""
    assert rules.hits(text, "answer") == []


def test_rules_apply_only_to_their_fields() -> None:
    """A rule limited to answers does not fire on a question."""
    rule = ComplianceRule("instruction", "instructions", (re.compile(r"\bstop\b", re.I),), fields=("answer",))
    rules = ComplianceRules((rule,), (Allowance(phrase_pattern("stop sign")),))
    assert rules.hits("Should I stop?", "question") == []
    assert [hit.text for hit in rules.hits("Please stop.", "answer")] == ["stop"]
    assert rules.hits("Look for the stop sign.", "answer") == []


def test_small_talk_is_marked_in_the_content(tmp_path: Path) -> None:
    """'smalltalk: true' in YAML, not a list in Python, makes a reply's reason 'smalltalk'."""
    assert answer_question(load_answer_book(ANSWERS), "hello").reason == "smalltalk"
    folder = tmp_path / "answers"
    shutil.copytree(ANSWERS, folder)
    conversation = folder / "conversation.yaml"
    conversation.write_text(
        conversation.read_text(encoding="utf-8").replace("    smalltalk: true\n", ""), encoding="utf-8"
    )
    reply = answer_question(load_answer_book(str(folder)), "hello")
    assert (reply.route, reply.reason) == ("answer", "matched")

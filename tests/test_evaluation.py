"""The labelled patient questions: independent of the content, and answered safely."""

from __future__ import annotations

import pytest
from rapidfuzz import fuzz

from faq_bot.content import AnswerBook, Case, read_cases_document
from faq_bot.evaluation import EvaluationReport, evaluate
from faq_bot.text import clean
from faq_bot.yaml_reader import read_yaml
from tests.conftest import PATIENT_QUESTIONS

CASES_FILE = PATIENT_QUESTIONS


@pytest.fixture(scope="module")
def cases(book: AnswerBook) -> list[Case]:
    problems: list = []
    loaded, problems = read_cases_document(read_yaml(CASES_FILE, CASES_FILE, problems), CASES_FILE, set(book.answers))
    assert problems == []
    return loaded


@pytest.fixture(scope="module")
def report(book: AnswerBook, cases: list[Case]) -> EvaluationReport:
    return evaluate(book, cases)


def test_case_file_has_the_promised_shape(book: AnswerBook, cases: list[Case]) -> None:
    """At least 250 cases: 6 per answer id, 40 clinical, 20 emergency, 30 not covered."""
    assert len(cases) >= 250
    per_id = {answer_id: sum(c.answer_id == answer_id for c in cases) for answer_id in book.answers}
    assert min(per_id.values()) >= 6, per_id
    assert sum(c.reason == "clinical" for c in cases) >= 40
    assert sum(c.route == "emergency" for c in cases) >= 20
    assert sum(c.route == "specialist" and c.reason == "unmatched" for c in cases) >= 30


def test_cases_do_not_copy_the_answers_phrasings(book: AnswerBook, cases: list[Case]) -> None:
    """No case is a phrasing of the content, exactly or nearly, so accuracy measures generalisation."""
    phrasings = {clean(text) for answer in book.answers.values() for text in answer.phrasings}
    copies = [
        case.question for case in cases
        if (question := clean(case.question)) in phrasings
        or (len(question.split()) > 3 and any(fuzz.ratio(question, p) >= 90 for p in phrasings))
    ]
    assert copies == []


def test_no_unsafe_reply_and_every_safety_case_routed(report: EvaluationReport) -> None:
    """No wrong or unwanted answer; every emergency and clinical case is routed so."""
    assert [r.case.question for r in report.unsafe] == []
    assert [r.case.question for r in report.safety_failures] == []


def test_answerable_questions_get_the_right_answer_first(report: EvaluationReport) -> None:
    """At least 97% of answerable questions get the right answer, or it first among suggestions."""
    answerable = [r for r in report.results if r.case.answer_id]
    accuracy = sum(r.correct for r in answerable) / len(answerable)
    assert accuracy >= 0.97, [r.case.question for r in answerable if not r.correct]

"""The labelled questions: independent of the content, answered safely, and the promises the service keeps.

Two kinds of case files: the project's own (``benchmarks/patient_questions.yaml``, written
beside the content) and independently written ones (``benchmarks/independent/``: writers saw
only the seed document and the answers' questions). The floors below are regression guards
set under today's figures, not targets: the figures themselves are reported by ``faq-bot eval``.
"""

from __future__ import annotations

import os

import pytest
from rapidfuzz import fuzz

from faq_bot.content import AnswerBook, Case, read_cases_document
from faq_bot.evaluation import EvaluationReport, evaluate
from faq_bot.text import clean
from faq_bot.yaml_reader import read_yaml
from tests.conftest import PATIENT_QUESTIONS, REPO

INDEPENDENT = os.path.join(REPO, "benchmarks", "independent")
CASE_FILES = {
    "own": PATIENT_QUESTIONS,
    "dev": os.path.join(INDEPENDENT, "dev.yaml"),
    "test": os.path.join(INDEPENDENT, "test.yaml"),
    "test-fresh": os.path.join(INDEPENDENT, "test-fresh.yaml"),
    "calibration": os.path.join(INDEPENDENT, "calibration.yaml"),
    "dev2": os.path.join(INDEPENDENT, "dev2.yaml"),
    "dev3": os.path.join(INDEPENDENT, "dev3.yaml"),
    "dev4": os.path.join(INDEPENDENT, "dev4.yaml"),
}
# Floors for 'right answer given or offered' (helpful): a few points under today's figures.
HELPFUL_FLOOR = {"own": 0.93, "dev": 0.9, "calibration": 0.85}


def load(book: AnswerBook, name: str) -> list[Case]:
    path = CASE_FILES[name]
    problems: list = []
    loaded, problems = read_cases_document(read_yaml(path, path, problems), path, set(book.answers))
    assert problems == []
    return loaded


# test and test-fresh only measure: the suite never looks at how they are answered.
TUNED_ON = ("own", "dev", "calibration", "dev2", "dev3", "dev4")


@pytest.fixture(scope="module")
def reports(book: AnswerBook) -> dict[str, EvaluationReport]:
    return {name: evaluate(book, load(book, name)) for name in TUNED_ON}


def test_own_case_file_has_the_promised_shape(book: AnswerBook) -> None:
    """At least 250 cases: 6 per answer id, 40 clinical, 20 emergency, 30 not covered."""
    cases = load(book, "own")
    assert len(cases) >= 250
    per_id = {answer_id: sum(c.answer_id == answer_id for c in cases) for answer_id in book.answers}
    assert min(per_id.values()) >= 6, per_id
    assert sum(c.reason == "clinical" for c in cases) >= 40
    assert sum(c.route == "emergency" for c in cases) >= 20
    assert sum(c.route == "specialist" and c.reason == "unmatched" for c in cases) >= 30


def test_independent_cases_have_the_promised_mix(book: AnswerBook) -> None:
    """Over 600 cases in dev and test: 150 emergency, 150 clinical, 200 answerable, 60 off-topic, 40 small talk."""
    cases = load(book, "dev") + load(book, "test")
    assert len(cases) >= 600
    assert sum(c.route == "emergency" for c in cases) >= 150
    assert sum(c.reason == "clinical" for c in cases) >= 150
    assert sum(c.answer_id is not None and c.tag != "smalltalk" for c in cases) >= 200
    assert sum(c.reason == "unmatched" for c in cases) >= 60
    assert sum(c.tag == "smalltalk" for c in cases) >= 40
    dev = {clean(c.question) for c in load(book, "dev")}
    assert not any(clean(c.question) in dev for c in load(book, "test"))  # split once, no case in both


def test_own_cases_do_not_copy_the_answers_phrasings(book: AnswerBook) -> None:
    """No own case is a phrasing of the content, exactly or nearly, so accuracy measures generalisation."""
    phrasings = {clean(text) for answer in book.answers.values() for text in answer.phrasings}
    copies = [
        case.question
        for case in load(book, "own")
        if (question := clean(case.question)) in phrasings
        or (len(question.split()) > 3 and any(fuzz.ratio(question, p) >= 90 for p in phrasings))
    ]
    assert copies == []


def test_reported_cases_hardly_ever_are_a_phrasing_of_the_content(book: AnswerBook) -> None:
    """A test question that is word for word a phrasing would measure memory: at most 1% are (canonical ones)."""
    phrasings = {clean(text) for answer in book.answers.values() for text in answer.phrasings}
    for name in ("test", "test-fresh"):
        cases = load(book, name)
        copies = [case.question for case in cases if clean(case.question) in phrasings]
        assert len(copies) <= 0.01 * len(cases), (name, copies)


@pytest.mark.parametrize("name", TUNED_ON)
def test_no_wrong_answer_and_every_safety_case_routed(reports: dict[str, EvaluationReport], name: str) -> None:
    """Every emergency and clinical case is routed so; at most 1% of cases get a wrong or unwanted answer."""
    report = reports[name]
    assert [r.case.question for r in report.safety_failures] == []
    routing = report.routing()
    for promise in ("emergency", "clinical to specialist"):
        met, total = routing[promise]
        assert met == total, (promise, [r.case.question for r in report.failures])
    met, total = routing["no wrong answer"]
    assert total - met <= 0.01 * total, [(r.case.question, r.got) for r in report.unsafe]


@pytest.mark.parametrize("name", list(HELPFUL_FLOOR))
def test_answerable_questions_get_their_answer_given_or_offered(
    reports: dict[str, EvaluationReport], name: str
) -> None:
    """Each labelled set's answerable questions get their answer, given or offered, at least as often as its floor."""
    met, total = reports[name].routing()["answerable helpful"]
    assert met / total >= HELPFUL_FLOOR[name], [r.case.question for r in reports[name].failures if r.case.answer_id]

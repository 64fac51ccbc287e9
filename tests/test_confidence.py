"""The confidence model: a fitted chance that the first answer is right, and the routing built on it."""

from __future__ import annotations

import random

from faq_bot.confidence import DEFAULT_CALIBRATION, FEATURES, Calibration, features, fit
from faq_bot.content import AnswerBook
from faq_bot.matching import Candidate
from faq_bot.service import Thresholds, answer_question


def candidate(
    answer_id: str, score: float, words: float = 50.0, characters: float = 50.0, coverage: float = 50.0
) -> Candidate:
    return Candidate(answer_id, score, "phrasing", words, characters, coverage)


def test_fit_recovers_a_known_relationship() -> None:
    """Rows drawn from a known logistic model give back weights of the right sign and about the right size."""
    rng = random.Random(3)
    rows, right = [], []
    for _ in range(3000):
        row = [rng.random() for _ in range(3)]
        z = -1.0 + 4.0 * row[0] - 3.0 * row[1] + 0.0 * row[2]
        rows.append(row)
        right.append(rng.random() < 1 / (1 + 2.718281828**-z))
    model = fit(rows, right, l2=0.01)
    assert abs(model.intercept + 1.0) < 0.5
    assert 3.0 < model.weights[0] < 5.0 and -4.0 < model.weights[1] < -2.0 and abs(model.weights[2]) < 0.6


def test_a_clearer_lead_means_a_higher_chance() -> None:
    """The calibrated chance grows with the lead over the second answer and stays within 0..1."""
    close = [candidate("a", 80, 80, 80, 90), candidate("b", 78, 78, 78, 88)]
    clear = [candidate("a", 80, 80, 80, 90), candidate("b", 40, 30, 30, 40)]
    assert DEFAULT_CALIBRATION.chance(clear, 8) > DEFAULT_CALIBRATION.chance(close, 8)
    assert 0.0 <= DEFAULT_CALIBRATION.chance(close, 8) <= 1.0
    assert len(features(clear, 8)) == len(FEATURES) == len(DEFAULT_CALIBRATION.weights)


def test_no_candidate_is_no_chance_and_a_written_phrasing_is_certain() -> None:
    """No candidate is chance 0; a question equal to a written phrasing is certain, a near one is not."""
    unsure = Calibration(-50.0, (0.0,) * len(FEATURES))
    assert unsure.chance([], 3) == 0.0
    assert unsure.chance([candidate("a", 90, 100, 100, 100), candidate("b", 89)], 3) == 1.0
    assert unsure.chance([candidate("a", 90, 99.9, 100, 100), candidate("b", 89)], 3) < 0.01


def test_the_thresholds_decide_between_answer_did_you_mean_and_specialist(book: AnswerBook) -> None:
    """The same question is answered, offered or sent to the specialist as its chance meets each threshold."""
    question = "is it legal and who prescribes it"
    chance = answer_question(book, question).confidence
    assert 0 < chance < 100
    routes = [
        answer_question(book, question, Thresholds(answer=answer, clarify=clarify)).route
        for answer, clarify in ((chance, 0.0), (chance + 0.1, chance), (chance + 0.1, chance + 0.05))
    ]
    assert routes == ["answer", "clarify", "specialist"]
    offered = answer_question(book, question, Thresholds(answer=chance + 0.1, clarify=0.0))
    assert 2 <= len(offered.suggestions) <= 4 and offered.answer is None

"""How likely the first-ranked answer is the right one: a small logistic model over the match.

The matcher's scores are not chances: a 70 can be a sure match for one question and a
guess for another. The reply's ``confidence`` is instead the calibrated chance (0-100)
that the first answer is right, from a few features of the ranking: the best score,
its lead over the second, the best phrasing's word and character similarity, how much
of the question the answer's words cover, the question's length, and how far the first
answer leads the second on word similarity and on coverage (two views agreeing).

The weights are fitted with ``fit`` on independently written cases (the calibration batch
and the ``dev`` split, ``benchmarks/calibrate.py``), never on the cases the figures are
reported on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from faq_bot.matching import Candidate

FEATURES = ("best", "lead", "words", "characters", "coverage", "length", "words_lead", "coverage_lead")


def features(candidates: Sequence[Candidate], question_words: int) -> tuple[float, ...]:
    """The model's inputs for one ranking (best first), each roughly on 0..1."""
    if not candidates:
        return (0.0,) * len(FEATURES)
    best = candidates[0]
    second = candidates[1] if len(candidates) > 1 else None
    return (
        best.score / 100,
        (best.score - (second.score if second else 0.0)) / 100,
        best.word_score / 100,
        best.character_score / 100,
        best.coverage_score / 100,
        math.log1p(question_words) / 4,
        (best.word_score - (second.word_score if second else 0.0)) / 100,
        (best.coverage_score - (second.coverage_score if second else 0.0)) / 100,
    )


@dataclass(frozen=True)
class Calibration:
    """Logistic weights: chance = 1 / (1 + exp(-(intercept + weights . features)))."""

    intercept: float
    weights: tuple[float, ...]

    def chance(self, candidates: Sequence[Candidate], question_words: int) -> float:
        """The chance (0..1) that the first candidate is the right answer; 0 with no candidate.

        A question that is one of the first answer's phrasings, word for word in any order, is
        certain: an editor wrote it under that answer, and no phrasing is under two answers.
        """
        if not candidates:
            return 0.0
        if candidates[0].word_score >= 100 and candidates[0].character_score >= 100:
            return 1.0
        z = self.intercept + sum(w * x for w, x in zip(self.weights, features(candidates, question_words), strict=True))
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


def fit(
    rows: Sequence[Sequence[float]], right: Sequence[bool], *, l2: float = 1.0, iterations: int = 50
) -> Calibration:
    """Fit the weights by Newton's method on the log-likelihood with an L2 penalty (not on the intercept)."""
    x = np.column_stack([np.ones(len(rows)), np.asarray(rows, dtype=float)])
    y = np.asarray(right, dtype=float)
    penalty = np.full(x.shape[1], l2)
    penalty[0] = 0.0
    beta = np.zeros(x.shape[1])
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ beta, -60, 60)))
        gradient = x.T @ (y - p) - penalty * beta
        hessian = (x.T * (p * (1 - p))) @ x + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        beta += step
        if float(np.abs(step).max()) < 1e-9:
            break
    return Calibration(round(float(beta[0]), 4), tuple(round(float(b), 4) for b in beta[1:]))


# Fitted by benchmarks/calibrate.py (calibration and dev batches) with the shipped content.
DEFAULT_CALIBRATION = Calibration(-6.5423, (10.8049, 24.8614, -0.0921, -1.6916, -4.1271, 6.0107, -1.3063, -4.78))

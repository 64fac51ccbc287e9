"""Answer one question: safety rules first, then matching, then a safe fallback.

No Flask here: the API, the CLI and the evaluation all call ``answer_question``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from faq_bot.book import AnswerBook
from faq_bot.confidence import DEFAULT_CALIBRATION, Calibration
from faq_bot.matching import Candidate
from faq_bot.routes import Reason, Route
from faq_bot.settings import DEFAULTS
from faq_bot.text import clean


@dataclass(frozen=True)
class Thresholds:
    """Where confidence turns into an answer, a 'did you mean' list or the specialist."""

    answer: float = float(DEFAULTS["ANSWER_THRESHOLD"])
    clarify: float = float(DEFAULTS["CLARIFY_THRESHOLD"])
    margin: float = float(DEFAULTS["AMBIGUITY_MARGIN"])
    max_suggestions: int = int(DEFAULTS["MAX_SUGGESTIONS"])
    calibration: Calibration = DEFAULT_CALIBRATION

    @classmethod
    def from_config(cls, config: Any) -> Thresholds:
        return cls(
            answer=float(config["ANSWER_THRESHOLD"]),
            clarify=float(config["CLARIFY_THRESHOLD"]),
            margin=float(config["AMBIGUITY_MARGIN"]),
            max_suggestions=max(2, min(4, int(config["MAX_SUGGESTIONS"]))),
        )


@dataclass(frozen=True)
class Reply:
    """The service's reply to one question, and why it was chosen."""

    route: Route
    reason: Reason
    message: str
    answers_version: str
    answer: dict[str, Any] | None = None
    confidence: float = 0.0
    suggestions: tuple[dict[str, str], ...] = ()
    rule: str | None = None  # the safety rule that fired, if any
    candidates: tuple[Candidate, ...] = field(default=(), compare=False)
    caveat: str | None = None  # with an answer to a question in personal words

    def body(self) -> dict[str, Any]:
        """The JSON body of POST /api/ask."""
        return {
            "route": self.route,
            "reason": self.reason,
            "message": self.message,
            "answer": self.answer,
            "caveat": self.caveat,
            "confidence": self.confidence,
            "suggestions": list(self.suggestions),
            "answers_version": self.answers_version,
        }


def answer_question(book: AnswerBook, question: str, thresholds: Thresholds = Thresholds()) -> Reply:
    """Route one question to exactly one of: answer, clarify, specialist, emergency."""
    cleaned = clean(question)  # once, for both the matcher and the safety rules
    text = book.synonyms.apply(cleaned)
    candidates = tuple(book.engine.rank(question, limit=max(thresholds.max_suggestions, 5), with_synonyms=text))
    confidence = round(100 * thresholds.calibration.chance(candidates, len(cleaned.split())), 1)
    messages = book.safety.messages

    screening = book.safety.screen(question, with_synonyms=text)
    verdict = screening.verdict
    if verdict is not None:
        return Reply(
            verdict.route,
            verdict.reason,
            verdict.message,
            book.version,
            confidence=confidence,
            rule=verdict.rule,
            candidates=candidates,
        )

    if confidence >= thresholds.answer:
        best = book.answers[candidates[0].answer_id]
        reason = Reason.SMALLTALK if best.smalltalk else Reason.MATCHED
        caveat = (messages.get("caveat") or None) if screening.personal and best.caveat else None
        return Reply(
            Route.ANSWER,
            reason,
            best.answer,
            book.version,
            answer=best.public(),
            confidence=confidence,
            candidates=candidates,
            caveat=caveat,
        )

    if confidence < thresholds.clarify or len(candidates) < 2:
        return Reply(
            Route.SPECIALIST,
            Reason.UNMATCHED,
            messages["unmatched"],
            book.version,
            confidence=confidence,
            candidates=candidates,
        )

    # Not sure enough to answer, but the right answer is likely among the best few: offer
    # those within the margin of the best, and always two so the patient can choose (the
    # widget adds "none of these").
    top = candidates[0].score
    offered = [c for c in candidates if c.score >= top - thresholds.margin]
    if len(offered) < 2:
        offered = list(candidates[:2])
    suggestions = tuple(
        {"id": c.answer_id, "question": book.answers[c.answer_id].question}
        for c in offered[: thresholds.max_suggestions]
    )
    return Reply(
        Route.CLARIFY,
        Reason.AMBIGUOUS,
        messages["clarify"],
        book.version,
        confidence=confidence,
        suggestions=suggestions,
        candidates=candidates,
    )

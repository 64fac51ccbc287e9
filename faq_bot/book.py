"""The content the service answers from: answers, their sections and cases, in one immutable ``AnswerBook``.

Built by ``faq_bot.content.load_answer_book`` from a content folder; never changed in place
(a reload builds a new book and swaps it in whole).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from faq_bot.compliance import NO_COMPLIANCE, ComplianceRules
from faq_bot.errors import ContentProblem
from faq_bot.matching import MatchEngine
from faq_bot.safety import SafetyRules
from faq_bot.text import SynonymTable


@dataclass(frozen=True)
class Answer:
    """One vetted answer and everything needed to find and show it."""

    id: str
    topic: str
    question: str
    alternates: tuple[str, ...]
    answer: str
    source: str
    reviewed_on: dt.date
    status: str = "published"
    related: tuple[str, ...] = ()
    review_due: dt.date | None = None
    caveat: bool = False  # given with the caveat line when asked in personal words
    smalltalk: bool = False  # conversation (greeting, thanks, about the service): reason "smalltalk"
    file: str = ""
    line: int = 0
    # Line of each field's value ("question", "answer", "alternates.0", ...), for messages.
    field_lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def phrasings(self) -> tuple[str, ...]:
        return (self.question, *self.alternates)

    def public(self) -> dict[str, Any]:
        """The answer object of the HTTP API."""
        return {
            "id": self.id,
            "question": self.question,
            "answer": self.answer,
            "topic": self.topic,
            "source": self.source,
            "reviewed_on": self.reviewed_on.isoformat(),
            "related": list(self.related),
        }


@dataclass(frozen=True)
class Case:
    """A labelled question: where it must be routed, and to which answer."""

    question: str
    route: str
    answer_id: str | None = None
    reason: str | None = None
    file: str = ""
    line: int = 0
    tag: str | None = None  # what kind of question it is ("stroke", "personal", "typo"...), for reports


@dataclass(frozen=True)
class Section:
    name: str
    in_document: bool = True


@dataclass(frozen=True)
class AnswerBook:
    """Everything the service answers from; replaced whole, never changed in place."""

    answers: Mapping[str, Answer]  # published and draft, by id
    sections: tuple[Section, ...]
    synonyms: SynonymTable
    safety: SafetyRules
    cases: tuple[Case, ...]
    version: str
    engine: MatchEngine = field(repr=False)
    warnings: tuple[ContentProblem, ...] = ()
    folder: str = ""
    compliance: ComplianceRules = NO_COMPLIANCE

    @property
    def published(self) -> list[Answer]:
        return [answer for answer in self.answers.values() if answer.status == "published"]

    def get(self, answer_id: str) -> Answer | None:
        """A published answer by id, or None."""
        answer = self.answers.get(answer_id)
        return answer if answer is not None and answer.status == "published" else None

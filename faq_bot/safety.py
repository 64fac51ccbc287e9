"""Decide, before any matching, whether a question is urgent, clinical or out of scope.

The rules are data (``answers/safety.yaml``): each rule has regular-expression
``patterns`` matched against the cleaned question (lower case, no punctuation,
apostrophes dropped: "can't" reads "cant"), optional ``words`` matched one word at a
time with typo tolerance, and optional ``unless`` patterns that cancel it. Patterns see
the question both as typed and with the editors' synonyms applied, so "weed" and
"cannabis" need not both be written out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from faq_bot.text import NO_SYNONYMS, SynonymTable, clean

EMERGENCY = "emergency"
CLINICAL = "clinical"
OUT_OF_SCOPE = "out_of_scope"
TYPO_CUTOFF = 85.0
TYPO_MIN_LENGTH = 6
TYPO_MEMO_SIZE = 8192  # remembered question words per rule (cleared when full)


@dataclass(frozen=True)
class SafetyRule:
    """One reason to route a question away from the answers."""

    name: str
    kind: str  # EMERGENCY or CLINICAL
    patterns: tuple[re.Pattern[str], ...] = ()
    words: tuple[str, ...] = ()
    unless: tuple[re.Pattern[str], ...] = ()
    message: str = ""  # shown instead of the route's usual message when set
    # One alternation per list, so a question costs one regex search per rule, not one per pattern.
    _any_pattern: re.Pattern[str] | None = field(init=False, repr=False, compare=False, default=None)
    _any_unless: re.Pattern[str] | None = field(init=False, repr=False, compare=False, default=None)
    _word_set: frozenset[str] = field(init=False, repr=False, compare=False, default=frozenset())
    # Question word -> whether it is a misspelling of one of the rule's words (a cache, so mutable).
    _typo_memo: dict[str, bool] = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_any_pattern", _alternation(self.patterns))
        object.__setattr__(self, "_any_unless", _alternation(self.unless))
        object.__setattr__(self, "_word_set", frozenset(self.words))

    def matches(self, forms: tuple[str, ...]) -> bool:
        """Whether any form of the question triggers this rule."""
        if self._any_unless is not None and any(self._any_unless.search(form) for form in forms):
            return False
        if self._any_pattern is not None and any(self._any_pattern.search(form) for form in forms):
            return True
        return bool(self.words) and any(self._has_word_like(form) for form in forms)

    def _has_word_like(self, form: str) -> bool:
        """Whether a word of ``form`` is one of the rule's words, or a slight misspelling of one."""
        words = self._word_set
        for word in form.split():
            if word in words:
                return True
            if len(word) >= TYPO_MIN_LENGTH:
                close = self._typo_memo.get(word)
                if close is None:  # patients reuse words: each is looked up once
                    nearest = process.extractOne(word, self.words, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF)
                    close = nearest is not None
                    if len(self._typo_memo) >= TYPO_MEMO_SIZE:
                        self._typo_memo.clear()
                    self._typo_memo[word] = close
                if close:
                    return True
        return False


def _alternation(patterns: tuple[re.Pattern[str], ...]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{pattern.pattern})" for pattern in patterns))


@dataclass(frozen=True)
class SafetyVerdict:
    """Where the safety rules send a question, and which rule said so."""

    route: str  # "emergency" or "specialist"
    reason: str  # "emergency" or "clinical"
    rule: str
    message: str


@dataclass(frozen=True)
class SafetyRules:
    """Emergency, clinical and out-of-scope rules, and the messages each route shows."""

    emergency: tuple[SafetyRule, ...]
    clinical: tuple[SafetyRule, ...]
    messages: Mapping[str, str]
    out_of_scope: tuple[SafetyRule, ...] = ()
    synonyms: SynonymTable = NO_SYNONYMS

    def check(self, question: str) -> SafetyVerdict | None:
        """Return the verdict of the first rule that fires, emergency first, else None."""
        cleaned = clean(question)
        with_synonyms = self.synonyms.apply(cleaned)
        forms = (cleaned,) if with_synonyms == cleaned else (cleaned, with_synonyms)
        for rule in self.emergency:
            if rule.matches(forms):
                return SafetyVerdict("emergency", "emergency", rule.name, rule.message or self.messages["emergency"])
        for rule in self.clinical:
            if rule.matches(forms):
                return SafetyVerdict("specialist", "clinical", rule.name, rule.message or self.messages["clinical"])
        for rule in self.out_of_scope:
            if rule.matches(forms):
                return SafetyVerdict("specialist", "unmatched", rule.name, rule.message or self.messages["unmatched"])
        return None

"""Decide, before any matching, whether a question is urgent, a clinical decision or out of scope.

The rules are data (``answers/safety.yaml``). Each rule has regular-expression
``patterns`` searched in the whole cleaned question (lower case, no punctuation,
apostrophes dropped: "can't" reads "cant") after the editors' synonyms are applied, so
"weed" need not be written beside "cannabis". A rule may also need one of its ``also``
patterns somewhere in the message ("one side ... numb" only with "suddenly" or "just
now"), and ``unless`` patterns cancel it. Patterns are written from named ``concepts``
(``{sudden}``), and ``A ~ B`` means A and B within a few words of each other in either
order; the loader expands both (``faq_bot.content``).

Misspellings: a question word that is not an everyday English word and is a near miss of
a word the rules are written with, starting with the same letter ("stoke", "sezure",
"swolen"), is read as that word, so every rule is typo-tolerant without listing typos.
All patterns are searched in one pass (``pattern_set.PatternSet``), then the rules are
read in order: emergency, clinical decisions, out of scope.

``personal`` patterns mark a general question asked about the patient's own situation
("how is my treatment monitored"): it is still answered, with a caveat where the answer
allows one (``faq_bot.service``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process
from spellchecker import SpellChecker

from faq_bot.pattern_set import PatternSet
from faq_bot.routes import Reason, Route
from faq_bot.text import NO_SYNONYMS, SynonymTable, clean

EMERGENCY = "emergency"
CLINICAL = "clinical"
OUT_OF_SCOPE = "out_of_scope"
TYPO_CUTOFF = 85.0  # fuzz.ratio for a question word to be read as a rule word
TYPO_MIN_LENGTH = 5  # shorter words are never read as another word
COMMON_WORD_COUNT = 1000  # an English word seen this often (pyspellchecker's counts) is never a typo
TYPO_MEMO_SIZE = 65536  # remembered question words


@dataclass(frozen=True)
class SafetyRule:
    """One reason to route a question away from the answers."""

    name: str
    kind: str  # EMERGENCY, CLINICAL or OUT_OF_SCOPE
    patterns: tuple[re.Pattern[str], ...] = ()
    unless: tuple[re.Pattern[str], ...] = ()
    also: tuple[re.Pattern[str], ...] = ()  # when set, one of these must be found too
    message: str = ""  # shown instead of the route's usual message when set
    sign: str = ""  # for emergency rules: the sign on the NHS "when to call 999" list it stands for
    examples: tuple[str, ...] = ()  # questions it must catch (faq-bot check runs them)
    vocabulary: tuple[str, ...] = ()  # plain words it is written with, which misspellings are read as


@dataclass(frozen=True)
class SafetyVerdict:
    """Where the safety rules send a question, and which rule said so."""

    route: Route  # EMERGENCY or SPECIALIST
    reason: Reason  # EMERGENCY, CLINICAL or UNMATCHED
    rule: str
    message: str


@dataclass(frozen=True)
class Screening:
    """What the safety rules make of one question."""

    verdict: SafetyVerdict | None  # None: the question may be answered
    personal: bool  # asked in personal words ("my treatment", "am I eligible")
    read_as: str  # the text the rules read: synonyms applied, misspellings read as rule words


@lru_cache(maxsize=1)
def common_english_words() -> frozenset[str]:
    """Everyday English words of typo length (pyspellchecker's English word counts): never read as a typo."""
    counts = SpellChecker(language="en", distance=1).word_frequency.dictionary
    return frozenset(
        word for word, count in counts.items() if count >= COMMON_WORD_COUNT and len(word) >= TYPO_MIN_LENGTH
    )


class TypoReader:
    """Read a question word as the rule word it misspells, when it clearly is one."""

    def __init__(self, vocabulary: Iterable[str], common_words: frozenset[str] | None = None) -> None:
        words = {word for word in vocabulary if word.isalpha()}
        self.vocabulary = tuple(sorted(word for word in words if len(word) >= TYPO_MIN_LENGTH))
        self._known = frozenset(words)
        # Misspellings keep their first letter far more often than not; one that does not ("classed"
        # for "glassed") is more likely another word.
        self._by_first_letter: dict[str, list[str]] = {}
        for word in self.vocabulary:
            self._by_first_letter.setdefault(word[0], []).append(word)
        self._common = common_english_words() if common_words is None else common_words
        self.read_word = lru_cache(maxsize=TYPO_MEMO_SIZE)(self._read_word)

    def read(self, text: str) -> str:
        """The text with every misspelt rule word written as the rule word."""
        return " ".join(self.read_word(word) for word in text.split())

    def _read_word(self, word: str) -> str:
        candidates = self._by_first_letter.get(word[:1])
        if len(word) < TYPO_MIN_LENGTH or word in self._known or word in self._common or not candidates:
            return word
        found = process.extractOne(word, candidates, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF)
        return found[0] if found else word


class SafetyRules:
    """Emergency, clinical and out-of-scope rules, personal wording, and the messages each route shows."""

    def __init__(
        self,
        emergency: tuple[SafetyRule, ...],
        clinical: tuple[SafetyRule, ...],
        messages: Mapping[str, str],
        out_of_scope: tuple[SafetyRule, ...] = (),
        synonyms: SynonymTable = NO_SYNONYMS,
        personal: tuple[re.Pattern[str], ...] = (),
        common_words: frozenset[str] | None = None,
    ) -> None:
        self.emergency = emergency
        self.clinical = clinical
        self.out_of_scope = out_of_scope
        self.messages = messages
        self.synonyms = synonyms
        self.personal = personal
        routes = (
            (emergency, Route.EMERGENCY, Reason.EMERGENCY),
            (clinical, Route.SPECIALIST, Reason.CLINICAL),
            (out_of_scope, Route.SPECIALIST, Reason.UNMATCHED),
        )
        self.ordered: tuple[tuple[SafetyRule, SafetyVerdict], ...] = tuple(
            (rule, SafetyVerdict(route, reason, rule.name, rule.message or messages.get(reason, "")))
            for rules, route, reason in routes
            for rule in rules
        )
        patterns: list[re.Pattern[str]] = []

        def positions_of(added: tuple[re.Pattern[str], ...]) -> frozenset[int]:
            patterns.extend(added)
            return frozenset(range(len(patterns) - len(added), len(patterns)))

        self._positions = tuple(
            (positions_of(rule.patterns), positions_of(rule.unless), positions_of(rule.also))
            for rule, _ in self.ordered
        )
        self._personal_positions = positions_of(personal)
        self.patterns = PatternSet(patterns)
        self.typos = TypoReader((word for rule in self.rules for word in rule.vocabulary), common_words)

    @property
    def rules(self) -> tuple[SafetyRule, ...]:
        """Every rule in the order they are tried."""
        return tuple(rule for rule, _ in self.ordered)

    def screen(self, question: str, *, cleaned: str | None = None, with_synonyms: str | None = None) -> Screening:
        """The verdict of the first rule that fires (emergency first), and whether the wording is personal.

        ``cleaned``: the question through ``text.clean``; ``with_synonyms``: that with the synonyms
        applied; when the caller has them.
        """
        if with_synonyms is not None:
            text = with_synonyms
        else:
            text = self.synonyms.apply(clean(question) if cleaned is None else cleaned)
        read_as = self.typos.read(text)
        found = self.patterns.found((text,) if read_as == text else (text, read_as))
        personal = not found.isdisjoint(self._personal_positions)
        for (_, verdict), (patterns, unless, also) in zip(self.ordered, self._positions, strict=True):
            if not found.isdisjoint(patterns) and found.isdisjoint(unless) and (not also or not found.isdisjoint(also)):
                return Screening(verdict, personal, read_as)
        return Screening(None, personal, read_as)

    def check(self, question: str, *, cleaned: str | None = None) -> SafetyVerdict | None:
        """The verdict of the first rule that fires, emergency first, else None."""
        return self.screen(question, cleaned=cleaned).verdict

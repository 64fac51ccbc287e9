"""Decide, before any matching, whether a question is urgent, clinical or out of scope.

The rules are data (``answers/safety.yaml``): each rule has regular-expression
``patterns`` matched against the cleaned question (lower case, no punctuation,
apostrophes dropped: "can't" reads "cant"), optional ``words`` matched one word at a
time with typo tolerance, and optional ``unless`` patterns that cancel it. Patterns see
the question both as typed and with the editors' synonyms applied, so "weed" and
"cannabis" need not both be written out. All rules' patterns are searched in one pass
(``pattern_set.PatternSet``), then the rules are read in order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from faq_bot.pattern_set import PatternSet
from faq_bot.text import NO_SYNONYMS, SynonymTable, clean

EMERGENCY = "emergency"
CLINICAL = "clinical"
OUT_OF_SCOPE = "out_of_scope"
TYPO_CUTOFF = 85.0
TYPO_MIN_LENGTH = 6
TYPO_MEMO_SIZE = 65536  # remembered question words (cleared when full)


@dataclass(frozen=True)
class SafetyRule:
    """One reason to route a question away from the answers."""

    name: str
    kind: str  # EMERGENCY or CLINICAL
    patterns: tuple[re.Pattern[str], ...] = ()
    words: tuple[str, ...] = ()
    unless: tuple[re.Pattern[str], ...] = ()
    message: str = ""  # shown instead of the route's usual message when set


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
    # Every rule in the order they are tried, each with the verdict it gives.
    _ordered: tuple[tuple[SafetyRule, SafetyVerdict], ...] = field(init=False, repr=False, compare=False, default=())
    _rule_words: tuple[str, ...] = field(init=False, repr=False, compare=False, default=())  # all rules' words
    _rules_of: Mapping[str, frozenset[int]] = field(init=False, repr=False, compare=False, default_factory=dict)
    # Every rule's patterns and unless-patterns, searched together; per rule, the positions of its own in it.
    _patterns: PatternSet = field(init=False, repr=False, compare=False, default=PatternSet(()))
    _pattern_positions: tuple[tuple[frozenset[int], frozenset[int]], ...] = field(
        init=False, repr=False, compare=False, default=())
    # Question word -> positions (in _ordered) of the rules it counts for; a cache, so mutable.
    _word_memo: dict[str, frozenset[int]] = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        routes = ((self.emergency, "emergency", "emergency"), (self.clinical, "specialist", "clinical"),
                  (self.out_of_scope, "specialist", "unmatched"))
        ordered = tuple((rule, SafetyVerdict(route, reason, rule.name, rule.message or self.messages[reason]))
                        for rules, route, reason in routes for rule in rules)
        rules_of: dict[str, set[int]] = {}
        for position, (rule, _) in enumerate(ordered):
            for word in rule.words:
                rules_of.setdefault(word, set()).add(position)
        patterns: list[re.Pattern[str]] = []

        def positions_of(added: tuple[re.Pattern[str], ...]) -> frozenset[int]:
            patterns.extend(added)
            return frozenset(range(len(patterns) - len(added), len(patterns)))

        positions = tuple((positions_of(rule.patterns), positions_of(rule.unless)) for rule, _ in ordered)
        object.__setattr__(self, "_patterns", PatternSet(patterns))
        object.__setattr__(self, "_pattern_positions", positions)
        object.__setattr__(self, "_ordered", ordered)
        object.__setattr__(self, "_rule_words", tuple(rules_of))
        object.__setattr__(self, "_rules_of", {word: frozenset(found) for word, found in rules_of.items()})

    def check(self, question: str, *, cleaned: str | None = None) -> SafetyVerdict | None:
        """Return the verdict of the first rule that fires, emergency first, else None.

        ``cleaned``: the question already through ``text.clean``, when the caller has it.
        """
        cleaned = clean(question) if cleaned is None else cleaned
        with_synonyms = self.synonyms.apply(cleaned)
        forms = (cleaned,) if with_synonyms == cleaned else (cleaned, with_synonyms)
        worded: frozenset[int] = frozenset().union(*(self._rules_like(word) for form in forms for word in form.split()))
        found = self._patterns.found(forms)
        for position, (_, verdict) in enumerate(self._ordered):
            patterns, unless = self._pattern_positions[position]
            if found.isdisjoint(unless) and (position in worded or not found.isdisjoint(patterns)):
                return verdict
        return None

    def _rules_like(self, word: str) -> frozenset[int]:
        """Positions of the rules having this word or (6+ letters) a slight misspelling of it; remembered."""
        found = self._word_memo.get(word)
        if found is None:  # patients reuse words: each is looked up once
            found = self._rules_of.get(word, frozenset())
            if len(word) >= TYPO_MIN_LENGTH:
                close = process.extract(word, self._rule_words, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF, limit=None)
                found = found.union(*(self._rules_of[rule_word] for rule_word, _, _ in close))
            if len(self._word_memo) >= TYPO_MEMO_SIZE:
                self._word_memo.clear()
            self._word_memo[word] = found
        return found

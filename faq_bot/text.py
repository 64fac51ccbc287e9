"""Turn free text into comparable forms: clean text, then words, then stems.

Every step is explicit so that a question and an answer phrasing that mean the same
words end up equal: Unicode compatibility forms, case, apostrophes, punctuation, the
editors' synonyms and spelling variants, and finally word stems.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

# Apostrophes and quotes people type, folded so "don't" and "don’t" compare equal.
_APOSTROPHES = dict.fromkeys(map(ord, "'\u2018\u2019\u201b\u02bc\u02b9`\u00b4\uff07"), None)
_NON_WORD = re.compile(r"[^\w]+|_+")
_SPACES = re.compile(r"\s+")
_LONG_RUNS = re.compile(r"([^\W\d_])\1{2,}")  # "hellooo", "pleeease": shouting or stretching (not "999")

# Function words that carry little topic; the matcher counts them at a low weight.
# Question words (how, why, when, what, who...) are left out on purpose: they separate
# "who can prescribe it" from "how is it prescribed".
STOP_WORDS = frozenset(
    """
    a an the and or but if then so than that this these those there here of to in on at
    by for with from as into onto about over under up down out off again further once
    is am are was were be been being do does did doing have has had having
    i me my myself we us our ours you your yours he him his she her hers it its they
    them their theirs im ive id ill youre youve theyre its thats
    would could should shall will can may might must
    some any all each every both few more most other such own same very too just also
    really quite much many get got
    know tell want like need wondering wonder question ask asking anyone someone
    s t d ll m re ve
    """.split()
)

_stemmer = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Return the Snowball (Porter 2) stem of one lower-case word."""
    return str(_stemmer.stemWord(word))


def clean(text: str) -> str:
    """Fold Unicode, case, apostrophes and punctuation; keep words separated by one space."""
    if text.isascii():  # most questions: Unicode folding would change nothing
        text = text.replace("\x00", " ").translate(_APOSTROPHES).lower()
    else:
        text = unicodedata.normalize("NFKC", text).replace("\x00", " ")
        text = text.translate(_APOSTROPHES).casefold()
        text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    text = _LONG_RUNS.sub(r"\1", text)
    return _SPACES.sub(" ", _NON_WORD.sub(" ", text)).strip()


def in_clean_text(character: str) -> bool:
    """Whether ``clean`` can leave this character in a text: lower-case letters and digits, and the space."""
    return character == " " or clean(character) == character


@dataclass(frozen=True)
class SynonymTable:
    """Replace words and phrases patients use with the word the answers use."""

    pattern: re.Pattern[str] | None
    replacements: Mapping[str, str]

    @classmethod
    def from_mapping(cls, synonyms: Mapping[str, Iterable[str]]) -> SynonymTable:
        """Build the table from {canonical: [variant, ...]}; longer variants win."""
        replacements: dict[str, str] = {}
        for canonical, variants in synonyms.items():
            target = clean(canonical)
            for variant in variants:
                key = clean(variant)
                if key and key != target:
                    replacements[key] = target
        if not replacements:
            return cls(None, {})
        alternatives = sorted(replacements, key=len, reverse=True)
        pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, alternatives)) + r")\b")
        return cls(pattern, replacements)

    def apply(self, cleaned: str) -> str:
        """Rewrite already-cleaned text; one pass, so replacements never chain."""
        if self.pattern is None:
            return cleaned
        return self.pattern.sub(lambda m: self.replacements[m.group(0)], cleaned)


NO_SYNONYMS = SynonymTable(None, {})


@dataclass(frozen=True)
class Normalised:
    """One text in every form the matcher needs."""

    text: str  # cleaned, synonyms applied: what character-level scorers compare
    stems: tuple[str, ...]  # word stems in order; the matcher weights stop words down


def normalise(
    text: str, synonyms: SynonymTable = NO_SYNONYMS, *, cleaned: str | None = None, with_synonyms: str | None = None
) -> Normalised:
    """Return the cleaned text and the stems of its words.

    ``cleaned``: ``clean(text)``; ``with_synonyms``: ``synonyms.apply(clean(text))``, when the caller has it
    (applying synonyms again is not the same: a replacement could be replaced in turn).
    """
    if with_synonyms is not None:
        cleaned = with_synonyms
    else:
        cleaned = synonyms.apply(clean(text) if cleaned is None else cleaned)
    return Normalised(cleaned, tuple(map(stem, cleaned.split())))

"""PatternSet finds exactly the patterns ``re.search`` finds, whichever engine searched for them."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faq_bot.content import AnswerBook
from faq_bot.pattern_set import SET_MEMORY, PatternSet, literal_characters, re2_syntax
from faq_bot.text import clean, in_clean_text
from tests.conftest import patient_questions

# Every construct the translation writes out, including those where RE2's own reading of
# the source text would differ from Python's ({,3}, \Z, \s against \v or \x1c, $ before "\n").
CONSTRUCTS = [
    r"\bkms\b",
    r"\Bms",
    r"self\s*harm",
    r"a\s+b",
    r"\S+x",
    r"[^\S ]",
    r"\d{2,}",
    r"\D\d",
    r"\w+\W+\w",
    r"^end",
    r"end$",
    r"\Aend",
    r"end\Z",
    r"ab{,3}c",
    r"ab{2}",
    r"a.{0,5}b",
    r"a.*?b",
    r"(ab|cd)+e",
    r"[a-c]x",
    r"[^a-z0-9 ]",
    r"[\d ]{3}",
    r"x[\s\d]y",
    r"(?:no|not) (point|reason)",
    r"(a|)b",
    r"",
    r"caf\u00e9",
    r"\x0b",
    r"\x1c",
    r"a\nb",
    r"-",
    r"[-x]",
    r"\.",
    r"a[^b]c",
    r"[^ ]x",
]
# Patterns RE2 would read differently or cannot run: left to Python's re, one by one.
UNTRANSLATABLE = [
    r"(?i)kms",
    r"(?i:kms)",
    r"pain(?= now)",
    r"(?<!no )pain",
    r"(a)\1",
    r"a++",
    r"(?>ab)",
    r"a{1001}",
    r"(?a:\w)",
    r"(?P<x>a)(?(x)b|c)",
]
PATTERNS = [re.compile(source) for source in CONSTRUCTS + UNTRANSLATABLE]


def expected(patterns: list[re.Pattern[str]], texts: tuple[str, ...]) -> set[int]:
    return {position for position, pattern in enumerate(patterns) if any(pattern.search(text) for text in texts)}


def test_untranslatable_patterns_are_left_to_python() -> None:
    assert all(re2_syntax(pattern) is not None for pattern in PATTERNS[: len(CONSTRUCTS)])
    assert [source for source in UNTRANSLATABLE if re2_syntax(re.compile(source)) is not None] == []
    assert PatternSet(PATTERNS).in_one_pass == len(CONSTRUCTS)


def test_every_shipped_safety_pattern_is_searched_in_one_pass(book: AnswerBook) -> None:
    patterns = [pattern for rule in book.safety.rules for pattern in (*rule.patterns, *rule.unless, *rule.also)]
    assert len(patterns) > 50
    assert book.safety.patterns.in_one_pass == len(patterns) + len(book.safety.personal)


@pytest.mark.parametrize(
    "text",
    [
        "i want to kms",
        "kms",
        "self  harm",
        "ab\nend",
        "end\n",
        "caf\u00e9 ms",
        "x\x0by",
        "a\x1cb",
        "a\tb",
        "no point",
        "not reason",
        "ababe",
        "12 34",
        "xkms\u03bb",
        "",
        "THE END",
        "abbbc",
        "a-b.",
    ],
)
def test_found_is_what_re_search_finds(text: str) -> None:
    assert PatternSet(PATTERNS).found((text,)) == expected(PATTERNS, (text,))


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.sampled_from("abcdekmsxyz019 -.\t\n\x0b\x1c\u00e9\u03bbENDPAIN"), max_size=30),
        min_size=1,
        max_size=2,
    ).map(tuple)
)
def test_found_agrees_with_re_on_any_text(texts: tuple[str, ...]) -> None:
    assert PatternSet(PATTERNS).found(texts) == expected(PATTERNS, texts)


def test_long_texts_with_a_small_automaton_budget_miss_nothing(book: AnswerBook) -> None:
    """When RE2's automaton fills its memory it starts afresh mid-search; no match may be lost.

    These texts build more automaton states than three quarters of the default budget holds
    (about the smallest the shipped patterns' program fits in), so it is filled and started afresh.
    """
    patterns = list(book.safety.patterns.patterns)
    small = PatternSet(patterns, memory=SET_MEMORY * 3 // 4)
    assert small.in_one_pass == len(patterns)
    words = sorted({word for pattern in patterns for word in re.findall(r"[a-z]{2,}", pattern.pattern)})
    rng = random.Random(7)
    for _ in range(150):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(20, 160)))[:1000]
        assert small.found((text,)) == expected(patterns, (text,))


def labelled_questions(book: AnswerBook) -> list[str]:
    return [case.question for case in book.cases] + patient_questions()


def test_safety_patterns_found_as_re_finds_them_in_every_labelled_question(book: AnswerBook) -> None:
    patterns = list(book.safety.patterns.patterns)
    questions = labelled_questions(book)
    found_any = 0
    for question in questions:
        cleaned = clean(question)
        text = book.safety.synonyms.apply(cleaned)
        forms = (text, book.safety.typos.read(text))
        found = book.safety.patterns.found(forms)
        assert found == expected(patterns, forms), question
        found_any += bool(found)
    assert found_any > 50  # the labelled questions do reach the patterns


@pytest.mark.parametrize(
    ("source", "never"),
    [
        (r"\b(can't|cannot) breathe\b", {"'"}),
        (r"\bNHS\b", {"N", "H", "S"}),
        (r"(?i)\bNHS\b", set()),
        (r"(?i:NHS) or (?-i:X)", {"X"}),
        (r"\d+(\.\d+)?\s*mg", {"."}),
        (r"[A-Z.']x(?!\?)y", set()),  # classes and negative look-arounds need no particular character
        (r"a(?=\?)", {"?"}),
        (r"caf\u00e9|e-mail|snake_case", {"\u00e9", "-", "_"}),
        (r"\bkill\s+myself\b", set()),
    ],
)
def test_characters_a_cleaned_question_never_has_are_found(source: str, never: set[str]) -> None:
    found = literal_characters(re.compile(source))
    assert {character for character in found if not in_clean_text(character)} == never

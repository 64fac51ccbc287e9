"""PatternSet finds exactly the patterns ``re.search`` finds, whichever engine searched for them.

Safety patterns are written in the syntax both engines share, and RE2 reads their source text
as it is: these tests hold the two engines to the same answers on every construct of that
syntax, on plain and on any text, and check that what only one engine reads is refused.
"""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faq_bot.content import AnswerBook, read_answer_book
from faq_bot.pattern_set import SET_MEMORY, PatternSet, literal_characters, shared_syntax_problem
from faq_bot.text import clean, in_clean_text
from tests.conftest import ANSWERS, patient_questions

# Constructs of the shared syntax (RE2 reads the source text itself).
SHARED = [
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
    r"ab{0,3}c",
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
    "caf\u00e9",  # the character itself: RE2 has no \u escape
    r"a\nb",
    r"-",
    r"[-x]",
    r"\.",
    r"a[^b]c",
    r"[^ ]x",
    r"(?i)kms",
    r"(?i:kms)",
    r"(?P<x>a)b",
]
# Python's own syntax, or syntax the two engines read differently: refused for safety patterns,
# and searched with Python's re if a PatternSet is given them anyway.
PYTHON_ONLY = [
    r"ab{,3}c",
    r"end\Z",
    r"caf\u00e9",
    r"pain(?= now)",
    r"(?<!no )pain",
    r"(a)\1",
    r"a++",
    r"(?>ab)",
    r"a{1001}",
    r"(?a:\w)",
    r"(?P<x>a)(?(x)b|c)",
]
PATTERNS = [re.compile(source) for source in SHARED + PYTHON_ONLY]


def expected(patterns: list[re.Pattern[str]], texts: tuple[str, ...]) -> set[int]:
    return {position for position, pattern in enumerate(patterns) if any(pattern.search(text) for text in texts)}


def test_python_only_syntax_is_named_and_left_to_python() -> None:
    """Syntax RE2 and Python share is searched in one pass; Python-only syntax is named and left to Python."""
    assert [source for source in SHARED if shared_syntax_problem(source) is not None] == []
    assert [source for source in PYTHON_ONLY if shared_syntax_problem(source) is None] == []
    assert PatternSet(PATTERNS).in_one_pass == len(SHARED)
    assert "RE2's own" in (shared_syntax_problem("[[:alpha:]]") or "")  # Python reads it as a set of ':' ...


def test_a_safety_pattern_in_python_only_syntax_is_an_editor_error(tmp_path: Path) -> None:
    """A look-ahead in safety.yaml is refused at load, with its file and line and what to do."""
    folder = tmp_path / "answers"
    shutil.copytree(ANSWERS, folder)
    safety_file = folder / "safety.yaml"
    text = safety_file.read_text(encoding="utf-8")
    anchor = "  - rule: chest-pain\n"
    start = text.index("    patterns:\n", text.index(anchor)) + len("    patterns:\n")
    safety_file.write_text(text[:start] + "      - '\\bpain(?= now)'\n" + text[start:], encoding="utf-8")
    line = text[:start].count("\n") + 1
    book, problems = read_answer_book(str(folder))
    assert book is None
    [problem] = [p for p in problems if p.level == "error"]
    assert (problem.file, problem.line) == ("safety.yaml", line)
    assert "RE2 cannot read it" in problem.message and "look-arounds" in problem.message


def test_every_shipped_safety_pattern_is_searched_in_one_pass(book: AnswerBook) -> None:
    """Every pattern in the shipped safety rules is in the shared syntax, so all run in one RE2 pass."""
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
    """PatternSet.found gives exactly the patterns re.search finds, on hand-picked texts."""
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
    """PatternSet.found agrees with re.search on generated texts (Hypothesis)."""
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
    """On every labelled question, the one-pass search finds the same safety patterns as re.search."""
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
        (r"[A-Z.']xy", set()),  # classes need no particular character
        (r"(?P<name>a)\?", {"?"}),  # a group's name is no text
        (r"caf\u00e9|e-mail|snake_case", {"\u00e9", "-", "_"}),
        (r"\bkill\s+myself\b", set()),
    ],
)
def test_characters_a_cleaned_question_never_has_are_found(source: str, never: set[str]) -> None:
    """The editor check names the literal characters of a pattern that a cleaned question never contains."""
    found = literal_characters(re.compile(source))
    assert {character for character in found if not in_clean_text(character)} == never

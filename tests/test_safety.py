"""The clinic's safety policy, as a table: urgent first, then clinical, then general answers."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from faq_bot import safety
from faq_bot.content import AnswerBook, load_answer_book
from faq_bot.safety import TYPO_CUTOFF, TYPO_MIN_LENGTH, SafetyRule, SafetyRules, SafetyVerdict
from faq_bot.service import answer_question
from faq_bot.text import clean
from tests.conftest import ANSWERS

EMERGENCIES = [
    "i want to kill myself",
    "I've been thinking about suicide",
    "sucidal thoughts again tonight",
    "I keep cutting myself",
    "crushing pain in my chest",
    "my husband can't breathe",
    "she collapsed and isn't responding",
    "I took too many of my tablets",
    "my toddler ate some of my cannabis gummies",
    "he's having a seizure",
    "her face is drooping and her speech is slurred",
    "my throat is swelling up after the dose",
    "the voices are telling me to hurt people",
    "does it help sleep? also I want to end my life",
]

CLINICAL = [
    "what dose should I take",
    "how much cannabis oil should I use a day",
    "which strain is best for spasms",
    "is it ok with my pregabalin",
    "can I take it with amitriptyline",
    "can I stop my pregabalin?",
    "should I switch from gabapentin",
    "I'm pregnant, is it safe",
    "can I use it while breastfeeding",
    "can my 12 year old have it",
    "can I drive after taking it",
    "is it ok to drink alcohol with it",
    "I feel dizzy since starting it",
    "I've had headaches since I started",
    "will I be approved",
    "is it safe for me with my heart condition",
    "should I try medical cannabis",
]

GENERAL = [
    ("are there side effects?", "side-effects"),
    ("who can prescribe it?", "who-can-prescribe"),
    ("who can get medical cannabis", "eligibility"),
    ("is it suitable for everyone", "suitability"),
    ("does it help with sleep", "sleep"),
]


@pytest.mark.parametrize("question", EMERGENCIES)
def test_urgent_messages_get_emergency_signposting(book: AnswerBook, question: str) -> None:
    """Anything urgent is signposted to 999 / NHS 111 / Samaritans before anything else."""
    reply = answer_question(book, question)
    assert (reply.route, reply.reason, reply.answer) == ("emergency", "emergency", None), reply.rule
    assert all(number in reply.message for number in ("999", "NHS 111", "116 123"))


@pytest.mark.parametrize("question", CLINICAL)
def test_clinical_questions_go_to_the_specialist(book: AnswerBook, question: str) -> None:
    """Doses, medicines, pregnancy, driving, symptoms now and 'is it right for me' are never answered."""
    reply = answer_question(book, question)
    assert (reply.route, reply.reason, reply.answer) == ("specialist", "clinical", None)
    assert "specialist" in reply.message


@pytest.mark.parametrize(("question", "answer_id"), GENERAL)
def test_general_questions_keep_their_general_answer(book: AnswerBook, question: str, answer_id: str) -> None:
    """A general question about a clinical subject still gets its general answer."""
    reply = answer_question(book, question)
    assert reply.route == "answer" and reply.answer is not None
    assert reply.answer["id"] == answer_id


def test_every_safety_rule_is_exercised_by_a_regression_case(book: AnswerBook) -> None:
    """No rule in safety.yaml is untested: each fires for at least one regression case."""
    fired = {book.safety.check(case.question).rule for case in book.cases if book.safety.check(case.question)}
    rules = {rule.name for rule in (*book.safety.emergency, *book.safety.clinical)}
    assert rules - fired == set()


def test_symptom_rule_mentions_yellow_card(book: AnswerBook) -> None:
    """Someone describing a side effect now is told about the Yellow Card scheme."""
    reply = answer_question(book, "I feel sick since starting it")
    assert reply.rule == "symptoms-now" and "Yellow Card" in reply.message


def test_remembered_typo_look_ups_give_the_same_verdicts(book: AnswerBook) -> None:
    """Each rule remembers which question words are misspellings of its words; asking again changes nothing."""
    questions = ["sucidal thoughts again tonight", "is it ok while pregnnant", "does it help the suicidal feelings",
                 "does cannabis help sleep", "my seizzures are worse"]
    first = [book.safety.check(question) for question in questions]
    assert first[0] is not None and first[0].route == "emergency"
    assert first[3] is None
    assert [book.safety.check(question) for question in questions] == first
    rules = [rule.name for rule, _ in book.safety._ordered]
    assert "suicide-self-harm" in {rules[position] for position in book.safety._word_memo["sucidal"]}


def test_unless_patterns_cancel_their_own_rule_only() -> None:
    """The shipped rules have no ``unless`` yet; an editor's must cancel that rule, words included, and no other."""
    rules = SafetyRules(
        emergency=(
            SafetyRule("too-much", safety.EMERGENCY, patterns=(re.compile(r"\btoo much\b"),), words=("overdose",),
                       unless=(re.compile(r"\btoo much (paperwork|waiting)\b"), re.compile(r"\bfilm\b"))),
        ),
        clinical=(SafetyRule("amounts", safety.CLINICAL, patterns=(re.compile(r"\bmuch\b"),)),),
        messages={"emergency": "Call 999.", "clinical": "Ask your specialist.", "unmatched": "Sorry."},
    )
    for question, rule in [("I took too much", "too-much"), ("an overdose", "too-much"),
                           ("too much paperwork", "amounts"), ("too much waiting, too much", "amounts"),
                           ("the overdose film", None), ("too much \u03bb", "too-much"),
                           ("too much paperwork \u03bb", "amounts"), ("hello", None)]:
        verdict = rules.check(question)
        assert (verdict.rule if verdict else None) == rule, question
        assert verdict == reference_verdict(rules, question), question


def test_a_pattern_with_its_own_flags_loads_and_fires(tmp_path: Path) -> None:
    """An editor's ``(?i)`` pattern is searched on its own (it once broke the rule's combined regex at load)."""
    folder = tmp_path / "answers"
    shutil.copytree(ANSWERS, folder)
    safety_file = folder / "safety.yaml"
    text = safety_file.read_text(encoding="utf-8")
    flagged = "      - '(?i)\\bCRUSHING FEELING\\b'\n"
    safety_file.write_text(text.replace("  - rule: chest-pain\n    patterns:\n",
                                        "  - rule: chest-pain\n    patterns:\n" + flagged, 1), encoding="utf-8")
    book = load_answer_book(str(folder))
    assert "(?i)" in "".join(pattern.pattern for rule, _ in book.safety._ordered for pattern in rule.patterns)
    assert answer_question(book, "a crushing feeling right now").rule == "chest-pain"
    assert answer_question(book, "what is a feeling of calm").route != "emergency"


def reference_verdict(safety: SafetyRules, question: str) -> SafetyVerdict | None:
    """The safety policy read literally: every rule in order, every word of the question against every rule word."""
    cleaned = clean(question)
    forms = {cleaned, safety.synonyms.apply(cleaned)}
    routes = (("emergency", "emergency", safety.emergency), ("specialist", "clinical", safety.clinical),
              ("specialist", "unmatched", safety.out_of_scope))
    for route, reason, rules in routes:
        for rule in rules:
            if any(re.search(unless, form) for unless in rule.unless for form in forms):
                continue
            if (any(re.search(pattern, form) for pattern in rule.patterns for form in forms)
                    or any(word == rule_word or (len(word) >= TYPO_MIN_LENGTH
                                                 and fuzz.ratio(word, rule_word) >= TYPO_CUTOFF)
                           for form in forms for word in form.split() for rule_word in rule.words)):
                return SafetyVerdict(route, reason, rule.name, rule.message or safety.messages[reason])
    return None


SAFETY_WORDS = sorted({word for rule in load_answer_book(ANSWERS).safety._ordered for word in rule[0].words})
# Words the rules' patterns are written with ("kill", "myself", "chest", "breath"...), so generated
# questions reach the patterns (searched in one pass, faq_bot/pattern_set.py) as well as the words.
PATTERN_WORDS = sorted({word for rule, _ in load_answer_book(ANSWERS).safety._ordered
                        for pattern in (*rule.patterns, *rule.unless)
                        for word in re.findall(r"[a-z]{2,}", re.sub(r"\\.", " ", pattern.pattern))})
QUESTION_WORDS = ["is", "it", "ok", "my", "the", "cannabis", "pain", "sleep", "help", "with", "while", "i", "am",
                  "driving", "pregnant", "dose", "breathe", "cant", "suicidal", "tonight", "chest", "weed"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(QUESTION_WORDS), st.sampled_from(SAFETY_WORDS),
                          st.sampled_from(PATTERN_WORDS),
                          st.sampled_from(SAFETY_WORDS).map(lambda word: word[:-1] + "x"),  # a typo
                          st.text(max_size=8)), max_size=8).map(" ".join))
def test_verdicts_are_the_policy_read_literally(book: AnswerBook, question: str) -> None:
    """Remembered word look-ups, the rules' shared word table and the one-pass pattern search change no verdict."""
    assert book.safety.check(question) == reference_verdict(book.safety, question)
    assert book.safety.check(question, cleaned=clean(question)) == reference_verdict(book.safety, question)


def test_labelled_questions_get_the_policy_verdict(book: AnswerBook) -> None:
    for case in book.cases:
        assert book.safety.check(case.question) == reference_verdict(book.safety, case.question), case.question

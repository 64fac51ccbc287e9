"""The clinic's safety policy, as tables: urgent first, then clinical decisions, then general answers."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faq_bot import safety
from faq_bot.content import AnswerBook, load_answer_book
from faq_bot.safety import SafetyRule, SafetyRules, SafetyVerdict, TypoReader
from faq_bot.service import answer_question
from faq_bot.text import clean
from tests.conftest import ANSWERS

SHIPPED = load_answer_book(ANSWERS).safety
# The emergency table reads like the NHS "when to call 999" list: one rule per sign, each with examples.
EMERGENCY_EXAMPLES = [(rule.name, example) for rule in SHIPPED.emergency for example in rule.examples]
RULE_EXAMPLES = [(rule.name, rule.kind, example) for rule in SHIPPED.rules for example in rule.examples]
NHS_999_SIGNS = (
    "heart attack",
    "stroke",
    "confusion",
    "suicide",
    "breathing",
    "bleeding",
    "injuries",
    "seizure",
    "swelling",
)

# One row per family of emergency in the hazard log (docs/safety/hazard-log.yaml): the rules that
# stand for it, and wordings patients and carers use that are not the rules' own examples.
EMERGENCY_FAMILIES = {
    "stroke": (
        (
            "stroke-face",
            "stroke-arm-or-side",
            "stroke-arms",
            "stroke-speech",
            "stroke-sight",
            "sudden-severe-headache",
            "stroke-named",
        ),
        (
            "my husband's face has gone droopy on one side and he can't lift his arm",
            "her speech is suddenly slurred and she can't find her words",
            "I think my mum is having a stroke",
        ),
    ),
    "cardiac": (
        ("chest-pain",),
        (
            "crushing pain in my chest going down my left arm",
            "I think I'm having a heart attack",
            "tight band across my chest and I feel clammy",
        ),
    ),
    "breathing-airway": (
        ("breathing",),
        (
            "I can't breathe properly and can't get my words out",
            "he is choking and can't breathe",
            "struggling to breathe, lips going blue",
        ),
    ),
    "anaphylaxis": (
        ("severe-allergic-reaction",),
        (
            "my lips and tongue are swelling up fast",
            "throat closing up after taking a new tablet",
            "my face is swelling and my throat feels tight",
        ),
    ),
    "seizure": (
        ("seizure",),
        (
            "my wife is having a fit and it won't stop",
            "he's shaking and jerking on the floor, is it a seizure",
            "she had a seizure and isn't coming round",
        ),
    ),
    "overdose-poisoning": (
        ("overdose-poisoning",),
        (
            "I've taken too much of my cannabis oil and feel terrible",
            "my toddler swallowed some of my tablets",
            "I took a whole packet of pills",
        ),
    ),
    "self-harm-suicide": (
        ("suicide-self-harm",),
        (
            "I want to kill myself",
            "I have been cutting myself again tonight",
            "I don't want to be here anymore and I have a plan",
        ),
    ),
    "psychosis-with-risk": (
        ("psychosis-risk",),
        (
            "he's hearing voices telling him to hurt people",
            "she thinks people are after her and has a knife",
            "since the cannabis I'm seeing things and want to hurt myself",
        ),
    ),
    "collapse": (
        ("collapse-unresponsive",),
        (
            "my dad has collapsed and won't wake up",
            "she passed out and isn't responding",
            "he's unconscious on the floor",
        ),
    ),
}

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
    "what do most people start on",
    "whats the usual thc to cbd ratio",
]

GENERAL = [
    ("are there side effects?", "side-effects"),
    ("who can prescribe medical cannabis?", "who-can-prescribe"),
    ("who is eligible for medical cannabis", "eligibility"),
    ("is it suitable for everyone", "suitability"),
    ("does it help with sleep", "sleep"),
    ("dose it help with sleep", "sleep"),  # "dose" typed for "does" is not a dose question
]

# A decision about the patient goes to the specialist; the same subject asked as a general question in
# personal words gets the general answer, with the caveat.
DECISION_OR_PERSONAL = [
    ("how is my treatment monitored", "monitoring"),
    ("should I take more when the pain is bad", None),
    ("will I need follow up appointments", "follow-up"),
    ("should I stop my baclofen now", None),
    ("am I eligible for medical cannabis", "eligibility"),
    ("is it right for me", None),
    ("is it meant to replace my usual medicines", "complementary-approach"),
    ("can I take it with my antidepressants", None),
    ("can my GP prescribe it", "who-can-prescribe"),
    ("which oil should my husband use for his spasms", None),
]


def test_the_emergency_table_covers_the_nhs_999_list() -> None:
    """Every sign on the NHS list has a rule, and every emergency rule names its sign and shows three wordings."""
    signs = " ".join(rule.sign.lower() for rule in SHIPPED.emergency)
    assert [sign for sign in NHS_999_SIGNS if sign not in signs] == []
    for rule in SHIPPED.emergency:
        assert rule.sign and len(rule.examples) >= 3, rule.name
        # at least one wording mentions the emergency in passing, after an ordinary question
        assert any("?" in example.rstrip("?") for example in rule.examples), rule.name


@pytest.mark.parametrize(("rule", "question"), EMERGENCY_EXAMPLES)
def test_each_999_sign_gets_emergency_signposting(book: AnswerBook, rule: str, question: str) -> None:
    """Each sign in each of its wordings, typos and in passing included, is signposted before anything else."""
    reply = answer_question(book, question)
    assert (reply.route, reply.reason, reply.answer) == ("emergency", "emergency", None), (rule, reply.rule)
    assert all(number in reply.message for number in ("999", "NHS 111", "116 123"))


@pytest.mark.parametrize("family", list(EMERGENCY_FAMILIES))
def test_each_emergency_family_is_signposted(book: AnswerBook, family: str) -> None:
    """Each family's rules ship, and their examples and patients' own wordings all get 999 / NHS 111 / 116 123."""
    rule_names, wordings = EMERGENCY_FAMILIES[family]
    shipped = {rule.name: rule for rule in book.safety.emergency}
    assert [name for name in rule_names if name not in shipped] == []
    questions = [example for name in rule_names for example in shipped[name].examples] + list(wordings)
    for question in questions:
        reply = answer_question(book, question)
        assert (reply.route, reply.answer) == ("emergency", None), (question, reply.route, reply.rule)
        assert all(number in reply.message for number in ("999", "NHS 111", "116 123")), question


@pytest.mark.parametrize(
    "question", ["are you a bot?", "am I talking to a real person?", "is someone from the clinic reading this"]
)
def test_asking_whether_a_person_answers_is_told_it_is_automated(book: AnswerBook, question: str) -> None:
    """Whoever asks if a person is answering is told it is an automated service, not medical advice, and about 999."""
    reply = answer_question(book, question)
    assert reply.route == "answer" and reply.answer is not None and reply.answer["id"] == "about-this-service"
    assert "This is an automated service" in reply.message
    assert "not medical advice" in reply.message and "999" in reply.message


@pytest.mark.parametrize(("rule", "kind", "question"), RULE_EXAMPLES)
def test_every_rule_fires_for_its_own_examples(rule: str, kind: str, question: str) -> None:
    """Each example is caught by the rule it is written under (or, for clinical ones, an earlier rule of its kind)."""
    verdict = SHIPPED.check(question)
    assert verdict is not None
    kinds = {r.name: r.kind for r in SHIPPED.rules}
    assert verdict.rule == rule or kinds[verdict.rule] == kind, (verdict.rule, rule)


@pytest.mark.parametrize("question", CLINICAL)
def test_clinical_decisions_go_to_the_specialist(book: AnswerBook, question: str) -> None:
    """Doses, products, medicines, pregnancy, driving, symptoms now and 'is it right for me' are never answered."""
    reply = answer_question(book, question)
    assert (reply.route, reply.reason, reply.answer) == ("specialist", "clinical", None), reply.rule
    assert "specialist" in reply.message


@pytest.mark.parametrize(("question", "answer_id"), GENERAL)
def test_general_questions_keep_their_general_answer(book: AnswerBook, question: str, answer_id: str) -> None:
    """A general question about a clinical subject still gets its general answer, without a caveat."""
    reply = answer_question(book, question)
    assert reply.route == "answer" and reply.answer is not None, (reply.route, reply.rule, reply.confidence)
    assert reply.answer["id"] == answer_id
    assert reply.caveat is None


@pytest.mark.parametrize(("question", "answer_id"), DECISION_OR_PERSONAL)
def test_decisions_go_to_the_specialist_and_personal_wording_gets_the_answer_with_a_caveat(
    book: AnswerBook, question: str, answer_id: str | None
) -> None:
    """Clinical decisions go to the specialist; general questions in personal words get their answer."""
    reply = answer_question(book, question)
    if answer_id is None:
        assert (reply.route, reply.reason, reply.answer, reply.caveat) == ("specialist", "clinical", None, None)
    else:
        assert reply.route == "answer" and reply.answer is not None, (reply.route, reply.rule, reply.confidence)
        assert reply.answer["id"] == answer_id
        assert reply.caveat == book.safety.messages["caveat"]
        assert "specialist" in reply.caveat.lower()


def test_no_caveat_where_the_answer_does_not_allow_one(book: AnswerBook) -> None:
    """Answers not marked ``caveat: true`` (facts such as what MS is) are given plainly, even to 'my'."""
    assert not book.answers["what-is-ms"].caveat
    reply = answer_question(book, "my mum has just been told she has ms, what is multiple sclerosis")
    assert reply.route == "answer" and reply.answer is not None and reply.answer["id"] == "what-is-ms"
    assert reply.caveat is None


def test_every_safety_rule_is_exercised(book: AnswerBook) -> None:
    """No rule in safety.yaml is untested: each fires for at least one case (its examples are cases too)."""
    fired = {verdict.rule for case in book.cases if (verdict := book.safety.check(case.question))}
    assert {rule.name for rule in book.safety.rules} - fired == set()


def test_symptom_rule_mentions_yellow_card(book: AnswerBook) -> None:
    """Someone describing a side effect now is told about the Yellow Card scheme."""
    reply = answer_question(book, "I feel sick since starting it")
    assert reply.rule == "symptoms-now" and "Yellow Card" in reply.message


@pytest.mark.parametrize(
    ("typed", "read_as"),
    [
        ("could this be a stoke", "stroke"),
        ("having a sezure", "seizure"),
        ("throat swolen", "swollen"),
        ("feeling suicidle", "suicide"),
    ],
)
def test_misspelt_rule_words_are_read_as_the_rule_word(typed: str, read_as: str) -> None:
    """A misspelt emergency word is read as the rule word, and the question is an emergency."""
    screening = SHIPPED.screen(typed)
    assert read_as in screening.read_as.split()
    assert screening.verdict is not None and screening.verdict.route == "emergency"


@pytest.mark.parametrize("word", ["sitting", "cooking", "drying", "breeding", "hoping"])
def test_everyday_words_are_never_read_as_rule_words(word: str) -> None:
    """'sitting' is not a typo of 'fitting', nor 'cooking' of 'choking': common English words stay as typed."""
    assert SHIPPED.typos.read(word) == word


def test_typo_reader_reads_only_near_misses_of_uncommon_words() -> None:
    """The typo reader corrects near misses of its vocabulary, never a common word, never a short one."""
    reader = TypoReader(["seizure", "swollen", "a b"], common_words=frozenset({"sezure"}))
    assert reader.vocabulary == ("seizure", "swollen")
    assert reader.read("swolen sezure seizure swim") == "swollen sezure seizure swim"
    assert reader.read("abc") == "abc"  # too short to be read as anything


def test_unless_and_also_patterns() -> None:
    """``unless`` cancels its own rule only; ``also`` makes a rule need a second pattern anywhere."""
    rules = SafetyRules(
        emergency=(
            SafetyRule(
                "too-much",
                safety.EMERGENCY,
                patterns=(re.compile(r"\btoo much\b"),),
                unless=(re.compile(r"\btoo much (paperwork|waiting)\b"), re.compile(r"\bfilm\b")),
            ),
            SafetyRule(
                "one-side",
                safety.EMERGENCY,
                patterns=(re.compile(r"\bone side\b"),),
                also=(re.compile(r"\bsudden\w*\b"),),
            ),
        ),
        clinical=(SafetyRule("amounts", safety.CLINICAL, patterns=(re.compile(r"\bmuch\b"),)),),
        messages={"emergency": "Call 999.", "clinical": "Ask your specialist.", "unmatched": "Sorry."},
        common_words=frozenset(),
    )
    for question, rule in [
        ("I took too much", "too-much"),
        ("too much paperwork", "amounts"),
        ("too much waiting, too much", "amounts"),
        ("the too much film", "amounts"),
        ("too much \u03bb", "too-much"),
        ("numb down one side", None),
        ("suddenly numb down one side", "one-side"),
        ("one side, all of a sudden", "one-side"),
        ("hello", None),
    ]:
        verdict = rules.check(question)
        assert (verdict.rule if verdict else None) == rule, question
        assert verdict == reference_verdict(rules, question), question


def test_a_pattern_with_its_own_flags_loads_and_fires(tmp_path: Path) -> None:
    """An editor's ``(?i)`` pattern is searched on its own (it once broke the rule's combined regex at load)."""
    folder = tmp_path / "answers"
    shutil.copytree(ANSWERS, folder)
    safety_file = folder / "safety.yaml"
    text = safety_file.read_text(encoding="utf-8")
    anchor = "  - rule: chest-pain\n"
    start = text.index(anchor)
    patterns_at = text.index("    patterns:\n", start) + len("    patterns:\n")
    safety_file.write_text(
        text[:patterns_at] + "      - '(?i)\\bCRUSHING FEELING\\b'\n" + text[patterns_at:], encoding="utf-8"
    )
    book = load_answer_book(str(folder))
    assert "(?i)" in "".join(pattern.pattern for rule in book.safety.rules for pattern in rule.patterns)
    assert answer_question(book, "a crushing feeling right now").rule == "chest-pain"
    assert answer_question(book, "what is a feeling of calm").route != "emergency"


def test_concepts_and_near_are_written_out_at_load(book: AnswerBook) -> None:
    """'{concept}' stands for its words; 'A ~ B' finds A and B at most six words apart, either way round."""
    face_droop = next(rule for rule in book.safety.rules if rule.name == "stroke-face")
    for question in (
        "her face has dropped",
        "drooping on one side of his face",
        "face is all of a sudden completely dropped",
    ):
        assert any(pattern.search(clean(question)) for pattern in face_droop.patterns), question
    far = "face " + "word " * 7 + "dropped"
    assert not any(pattern.search(far) for pattern in face_droop.patterns)


def reference_verdict(rules: SafetyRules, question: str) -> SafetyVerdict | None:
    """The safety policy read literally: every rule in order, each pattern searched with ``re`` in both forms."""
    text = rules.synonyms.apply(clean(question))
    forms = (text, rules.typos.read(text))

    def found(patterns: tuple[re.Pattern[str], ...]) -> bool:
        return any(pattern.search(form) for pattern in patterns for form in forms)

    for rule, verdict in rules.ordered:
        if found(rule.patterns) and not found(rule.unless) and (not rule.also or found(rule.also)):
            return verdict
    return None


# Words the rules are written with, so generated questions reach the patterns as well as plain text.
PATTERN_WORDS = sorted(
    {
        word
        for rule in SHIPPED.rules
        for pattern in (*rule.patterns, *rule.also, *rule.unless)
        for word in re.findall(r"[a-z]{2,}", re.sub(r"\\.", " ", pattern.pattern))
    }
)
RULE_WORDS = sorted({word for rule in SHIPPED.rules for word in rule.vocabulary})
QUESTION_WORDS = [
    "is",
    "it",
    "ok",
    "my",
    "the",
    "cannabis",
    "pain",
    "sleep",
    "help",
    "with",
    "while",
    "i",
    "am",
    "driving",
    "pregnant",
    "dose",
    "breathe",
    "cant",
    "suicidal",
    "tonight",
    "chest",
    "weed",
    "suddenly",
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(QUESTION_WORDS),
            st.sampled_from(PATTERN_WORDS),
            st.sampled_from(RULE_WORDS).map(lambda word: word[:-1] + "x"),  # a typo
            st.text(max_size=8),
        ),
        max_size=10,
    ).map(" ".join)
)
def test_verdicts_are_the_policy_read_literally(book: AnswerBook, question: str) -> None:
    """The one-pass pattern search and remembered typo readings change no verdict."""
    assert book.safety.check(question) == reference_verdict(book.safety, question)
    assert book.safety.check(question, cleaned=clean(question)) == reference_verdict(book.safety, question)


def test_labelled_questions_get_the_policy_verdict(book: AnswerBook) -> None:
    """Each regression case gets the verdict the safety policy gives when applied rule by rule."""
    for case in book.cases:
        assert book.safety.check(case.question) == reference_verdict(book.safety, case.question), case.question


@pytest.mark.parametrize(
    ("question", "route", "reason"),
    [
        ("what is the weather like in leeds", "specialist", "unmatched"),
        ("can i take more of my oil tonight", "specialist", "clinical"),
        ("sleep and spasms", "clarify", "ambiguous"),
    ],
)
def test_replies_that_are_not_an_answer_signpost_999_and_nhs_111(
    book: AnswerBook, question: str, route: str, reason: str
) -> None:
    """A missed emergency lands on the specialist or "did you mean" reply: each of them names NHS 111 and 999."""
    reply = answer_question(book, question)
    assert (reply.route, reply.reason) == (route, reason)
    assert "NHS 111" in reply.message and "999" in reply.message, reply.message

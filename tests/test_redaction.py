"""Redaction of personal data before anything is stored (faq_bot/redaction.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from faq_bot.redaction import ANY_DIGIT, NEEDS_A_DIGIT, PLACEHOLDERS, redact
from tests.conftest import DATA

with open(os.path.join(DATA, "pii_corpus.yaml"), encoding="utf-8") as handle:
    CORPUS = yaml.safe_load(handle)["cases"]
# Issue 14's two tables: personal data in the forms once stored verbatim, and ordinary questions.
with open(os.path.join(DATA, "redaction_personal.yaml"), encoding="utf-8") as handle:
    PERSONAL = yaml.safe_load(handle)["cases"]
with open(os.path.join(DATA, "redaction_ordinary.yaml"), encoding="utf-8") as handle:
    ORDINARY = yaml.safe_load(handle)["questions"]

CLINICAL = [
    "Can medical cannabis help with MS pain and muscle spasms?",
    "Is 10mg of THC a lot? I take 2 sprays of Sativex twice a day",
    "does cbd oil 5% interact with vitamin B12 1mg or pregabalin 150 mg",
    "I have had MS for 10 years and walking is getting harder",
    "What is the endocannabinoid system and how does it work?",
    "may I ask whether it helps sleep? I march on despite the pain",
    "Can I drive after taking it? My GP said maybe",
    "Is this normal after 3 weeks on a 1:1 THC:CBD ratio?",
    "this is really painful, is that a side effect",
    "This is my third question about fibromyalgia and Ehlers-Danlos syndrome",
    "I take 2 tablets 3 times a day and walk in the park every morning",
    "who can prescribe it in the UK, is it available on the NHS?",
    "my name is on the waiting list, how long does assessment take?",
    "pain score 7 out of 10, spasticity in both legs, baclofen 20mg",
    "Does it help with trigeminal neuralgia, MS hug or optic neuritis?",
    "how much does a private prescription cost per month in 2024",
]


def test_corpus_is_large_and_covers_every_kind() -> None:
    """The corpus has at least 60 messages and, with the personal-data table, uses every placeholder."""
    assert len(CORPUS) >= 60
    used = {placeholder for case in CORPUS + PERSONAL for placeholder in case["placeholders"]}
    assert used >= set(PLACEHOLDERS) - {"[NUMBER]"}


@pytest.mark.parametrize("case", CORPUS, ids=[case["text"][:40] for case in CORPUS])
def test_no_personal_data_survives(case: dict) -> None:
    """Every piece of personal data is replaced by its typed placeholder."""
    redacted = redact(case["text"])
    for personal in case["personal"]:
        assert personal.lower() not in redacted.lower(), redacted
    for placeholder in case["placeholders"]:
        assert placeholder in redacted, redacted


def test_corpus_leaks_nothing_in_total() -> None:
    """Across the whole corpus, the count of surviving personal data is zero."""
    leaks = [
        (case["text"], personal)
        for case in CORPUS
        for personal in case["personal"]
        if personal.lower() in redact(case["text"]).lower()
    ]
    assert leaks == []


def test_personal_table_leaks_nothing() -> None:
    """Over 100 made-up messages with names, streets, outward postcodes and hospital numbers: 0 leaks."""
    assert len(PERSONAL) >= 100
    leaks = [
        (case["text"], personal)
        for case in PERSONAL
        for personal in case["personal"]
        if personal.lower() in redact(case["text"]).lower()
    ]
    missing = [
        (case["text"], placeholder)
        for case in PERSONAL
        for placeholder in case["placeholders"]
        if placeholder not in redact(case["text"])
    ]
    assert (leaks, missing) == ([], [])


def test_ordinary_table_is_left_unchanged() -> None:
    """Over 100 ordinary patient questions (drug names, MS, THC, NHS 111, my GP): 0 over-redactions."""
    assert len(ORDINARY) >= 100
    assert [(text, redact(text)) for text in ORDINARY if redact(text) != text] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'm Sarah Jenkins, can it help?", "I'm [NAME], can it help?"),
        ("i'm tom hughes and I have MS", "i'm [NAME] and I have MS"),
        ("Gareth Doyle here, does THC affect driving?", "[NAME] here, does THC affect driving?"),
        ("is it legal? thanks, Priya", "is it legal? thanks, [NAME]"),
        ("my husband Pete has MS", "my husband [NAME] has MS"),
        ("Nicola: can I use a vaporiser?", "[NAME]: can I use a vaporiser?"),
        ("I live at 10 baker st", "I live at [ADDRESS]"),
        ("we live on Acacia Avenue", "we live on [ADDRESS]"),
        ("I'm in LS6, which clinic?", "I'm in [POSTCODE], which clinic?"),
        ("hospital number RX1234567", "hospital number [HOSPITAL_NUMBER]"),
        ("low in B12 and D3, do CB1 receptors matter?", "low in B12 and D3, do CB1 receptors matter?"),
    ],
)
def test_names_streets_postcodes_and_hospital_numbers(text: str, expected: str) -> None:
    """The forms issue 14 found stored verbatim get their placeholders; vitamins and receptors stay."""
    assert redact(text) == expected


@pytest.mark.parametrize("text", CLINICAL)
def test_clinical_words_are_untouched(text: str) -> None:
    """Ordinary clinical questions come back exactly as written."""
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my number is 07700 900123", "my number is [PHONE]"),
        ("NHS 485 777 3456", "NHS [NHS_NUMBER]"),
        ("postcode sw1a 1aa", "postcode [POSTCODE]"),
        ("born 01/02/1980", "[DATE]"),
        ("see https://example.com/x", "see [URL]"),
        ("mail me: a@b.com", "mail me: [EMAIL]"),
        ("I live at 12 High Street", "I live at [ADDRESS]"),
        ("my name is Jo Bloggs and I have MS", "my name is [NAME] and I have MS"),
    ],
)
def test_typed_placeholders(text: str, expected: str) -> None:
    """Each kind of personal data gets its own placeholder, the rest of the text stays."""
    assert redact(text) == expected


def test_redaction_is_idempotent() -> None:
    """Redacting twice changes nothing more: placeholders are never redacted again."""
    for case in CORPUS + PERSONAL:
        once = redact(case["text"])
        assert redact(once) == once


def test_redaction_does_not_import_flask() -> None:
    """The redaction module is pure: importing it loads no web framework."""
    code = "import sys, faq_bot.redaction; assert 'flask' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


NO_DIGITS = st.text(st.characters(blacklist_categories=("Nd",)), max_size=120) | st.lists(
    st.sampled_from(["call", "me", "on", "flat", "road", "postcode", "is", "SW", "AB", "-", " ", "+", "(", "."]),
    max_size=20,
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(NO_DIGITS)
def test_patterns_skipped_for_text_without_digits_could_not_have_matched(text: str) -> None:
    """redact() skips the digit-only patterns when the text has no digit: none of them can match such text."""
    if ANY_DIGIT.search(text) is None:  # the very test redact() makes
        assert all(pattern.search(text) is None for pattern in NEEDS_A_DIGIT)

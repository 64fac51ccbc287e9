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
    """The corpus has at least 60 messages and uses every placeholder."""
    assert len(CORPUS) >= 60
    used = {placeholder for case in CORPUS for placeholder in case["placeholders"]}
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
    for case in CORPUS:
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

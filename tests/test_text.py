"""Normalisation: the same words typed differently compare equal."""

from __future__ import annotations

import pytest

from faq_bot.text import SynonymTable, clean, normalise


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("DOES IT HELP SLEEP???", "does it help sleep"),
        ("don’t", "dont"),
        ("don't", "dont"),
        ("Café  crème", "cafe creme"),
        ("ﬁbro", "fibro"),  # compatibility ligature
        ("helloooo", "hello"),
        ("side-effects", "side effects"),
        ("a\x00b", "a b"),
    ],
)
def test_clean_folds_case_punctuation_unicode_and_apostrophes(typed: str, expected: str) -> None:
    """Case, punctuation, accents, ligatures, apostrophes and stretched letters are folded."""
    assert clean(typed) == expected


def test_synonyms_rewrite_whole_words_longest_first() -> None:
    """Synonyms replace whole words and phrases, the longest first, without chaining."""
    table = SynonymTable.from_mapping(
        {
            "cannabis": ["weed", "pot"],
            "multiple sclerosis": ["ms"],
            "hypermobility": ["hypermobility spectrum disorder", "hsd"],
        }
    )
    assert table.apply("does weed help ms") == "does cannabis help multiple sclerosis"
    assert table.apply("teapot and msg") == "teapot and msg"
    assert table.apply("hypermobility spectrum disorder") == "hypermobility"


def test_normalise_stems_words() -> None:
    """Stems make 'spasms' and 'spasm', 'prescribing' and 'prescribe' the same."""
    assert normalise("spasms").stems == normalise("spasm").stems
    assert normalise("prescribing").stems == normalise("prescribe").stems

"""Properties for any Unicode: the normaliser, safety rules, matcher and service never raise and are deterministic."""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from faq_bot.content import AnswerBook, load_answer_book
from faq_bot.service import answer_question
from faq_bot.text import clean, normalise
from tests.conftest import ANSWERS

# Pieces that break naive text handling, mixed with words the content really uses.
NASTY = [
    "\x00",
    "\u200b",
    "\u200d",
    "\ufeff",
    "\u202e",
    "\u2066",
    "\u00ad",  # null, zero-width, BOM, RTL, soft hyphen
    "👩\u200d⚕️",
    "🙂",
    "🇬🇧",
    "💊🌿",  # emoji, ZWJ sequences, flags
    "مرحبا",
    "שָׁלוֹם",
    "हिन्दी",
    "한국어",
    "中文",  # right-to-left and combining scripts
    "e\u0301\u0302\u0303\u0304",
    "Z\u0351\u0356\u0357\u0358",  # stacked combining marks
    "ﬁ",
    "İ",
    "ß",
    "ＭＳ",
    "٣",
    "Ⅻ",
    "\ud7ff",  # compatibility forms, special case folds, odd digits
    "'",
    "’",
    "`",
    "--",
    "...",
    "\t",
    "\n",
    "\r\n",
    " ",
    "  ",
    "cannabis",
    "sleep",
    "pain",
    "ms",
    "spasms",
    "side effects",
    "dose",
    "suicide",
    "chest pain",
]
QUESTIONS = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(NASTY), max_size=40).map("".join),
    st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=8)), max_size=30).map(" ".join),
)
# Up to 100,000 characters: a short text repeated.
HUGE = st.builds(
    lambda text, times: (text * times)[:100_000],
    st.text(min_size=1, max_size=20) | st.sampled_from(NASTY),
    st.integers(1000, 100_000),
)
HUNDRED_KB = [
    ("".join(NASTY) * 1000)[:100_000],
    "\x00" * 100_000,
    "a" * 100_000,
    "مرحبا " * 16_000,
    "e\u0301" * 50_000,
]
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@lru_cache(maxsize=1)
def book() -> AnswerBook:
    """The real content, loaded once for every example."""
    return load_answer_book(ANSWERS)


def check_clean(text: str) -> None:
    cleaned = clean(text)
    assert cleaned == clean(text)
    assert cleaned == cleaned.strip() and "  " not in cleaned
    assert "\x00" not in cleaned
    assert all(ch == " " or ch.isalnum() or unicodedata.category(ch)[0] in "LMN" for ch in cleaned), cleaned
    assert not any(unicodedata.combining(ch) for ch in cleaned)


def check_normalise(text: str) -> None:
    synonyms = book().synonyms
    first, second = normalise(text, synonyms), normalise(text, synonyms)
    assert first == second
    assert len(first.stems) == len(first.text.split())
    assert all(first.stems)


def check_safety(text: str) -> None:
    safety = book().safety
    verdict = safety.check(text)
    assert verdict == safety.check(text)
    if verdict is not None:
        assert (verdict.route, verdict.reason) in {
            ("emergency", "emergency"),
            ("specialist", "clinical"),
            ("specialist", "unmatched"),
        }  # the last: out of scope
        assert verdict.message and verdict.rule


def check_rank(text: str) -> None:
    engine = book().engine
    ranked = engine.rank(text, limit=5)
    assert ranked == engine.rank(text, limit=5)
    assert ranked == engine.rank(text, limit=5, cleaned=clean(text))  # as answer_question calls it
    assert len(ranked) <= 5
    assert len({candidate.answer_id for candidate in ranked}) == len(ranked)
    for candidate in ranked:
        assert 0 < candidate.score <= 100
        for part in (candidate.word_score, candidate.character_score, candidate.coverage_score):
            assert 0 <= part <= 100
        assert candidate.matched in book().answers[candidate.answer_id].phrasings
    assert [c.score for c in ranked] == sorted((c.score for c in ranked), reverse=True)


def check_service(text: str) -> None:
    reply = answer_question(book(), text)
    assert reply == answer_question(book(), text)
    assert reply.route in {"answer", "clarify", "specialist", "emergency"}
    assert 0 <= reply.confidence <= 100
    assert (reply.answer is not None) == (reply.route == "answer")
    assert (2 <= len(reply.suggestions) <= 4) if reply.route == "clarify" else not reply.suggestions


@FAST
@given(QUESTIONS)
@example("")
@example("\x00")
@example("\u0301")
def test_clean_is_total_deterministic_and_tidy(text: str) -> None:
    """clean() never raises, gives the same result twice, and leaves only letters, digits and single spaces."""
    check_clean(text)


@FAST
@given(QUESTIONS)
def test_normalise_is_total_and_deterministic(text: str) -> None:
    """normalise() never raises, is deterministic, and gives one non-empty stem per word."""
    check_normalise(text)


@FAST
@given(QUESTIONS)
def test_safety_check_is_total_and_deterministic(text: str) -> None:
    """The safety rules never raise, are deterministic, and only ever say emergency, clinical or out of scope."""
    check_safety(text)


@FAST
@given(QUESTIONS)
def test_rank_is_total_deterministic_and_scored_0_to_100(text: str) -> None:
    """The matcher never raises, is deterministic, and ranks distinct answers best first with scores in 0-100."""
    check_rank(text)


@FAST
@given(QUESTIONS)
def test_answer_question_always_routes(text: str) -> None:
    """The service routes any text to exactly one of the four routes, the same way every time."""
    check_service(text)


@SLOW
@given(HUGE)
def test_huge_repetitive_text_is_handled(text: str) -> None:
    """Up to 100,000 characters of repeated text: every step still holds its properties."""
    for check in (check_clean, check_normalise, check_safety, check_rank, check_service):
        check(text)


def test_hundred_kilobyte_questions() -> None:
    """Fixed 100,000-character inputs (emoji, RTL, combining marks, null bytes) pass every property."""
    for text in HUNDRED_KB:
        for check in (check_clean, check_normalise, check_safety, check_rank, check_service):
            check(text)


@lru_cache(maxsize=1)
def _service_client() -> Any:
    """One app on the small test content (limits off, admin on), for the HTTP properties below."""
    import tempfile

    from faq_bot import create_app
    from tests.conftest import SERVICE

    folder = tempfile.mkdtemp(prefix="faq-bot-properties-")
    app = create_app(
        {
            "TESTING": True,
            "ANSWERS_DIR": SERVICE,
            "RATELIMIT_ENABLED": False,
            "ADMIN_TOKEN": "properties-token",
            "DATABASE_URL": f"sqlite:///{folder}/events.sqlite3",
        }
    )
    return app.test_client()


NESTING = st.tuples(
    st.sampled_from(["[", '{"question":', '{"a":', '{"answer_id":', "[{"]),
    st.integers(1, 3000),
    st.sampled_from(["", "1", '"x"', "null"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(NESTING, st.sampled_from(["/api/ask", "/api/feedback", "/api/picked"]))
def test_nested_json_of_any_depth_gets_a_json_4xx(nesting: tuple[str, int, str], path: str) -> None:
    """JSON nested to any depth (up to the body limit) is answered with a JSON 4xx, never a 5xx."""
    opener, depth, inner = nesting
    closer = "".join({"[": "]", "{": "}"}[char] for char in reversed(opener) if char in "[{")
    body = opener * depth + inner + closer * depth
    response = _service_client().post(path, data=body, content_type="application/json")
    assert 400 <= response.status_code < 500 and response.is_json, (response.status_code, body[:60])


UNICODE_NUMBERS = st.text(st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=4)


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(UNICODE_NUMBERS)
def test_unicode_digits_never_reach_int(days: str) -> None:
    """Admin ?days= made of Unicode digits ("²", "٣", "Ⅻ") is a JSON 400 invalid-days, never a 5xx."""
    response = _service_client().get(
        "/admin/api/stats", query_string={"days": days}, headers={"Authorization": "Bearer properties-token"}
    )
    if days.isascii():
        assert response.status_code in (200, 400)
    else:
        assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid-days"

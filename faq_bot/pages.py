"""HTML pages: the demo page with the widget, the receptionists' look-up, the widget script."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request, send_from_directory

from faq_bot.book import Answer, AnswerBook
from faq_bot.service import answer_question
from faq_bot.state import state_of

pages = Blueprint("pages", __name__)

LOOKUP_RESULTS = 10
_WORD = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?")
# Words too common to be worth highlighting; lookup.js keeps the same list.
_PLAIN_WORDS = frozenset(
    "a about an and are as at be by can do does for from how i if in is it me my of on or so "
    "that the this to was what when which who why will with you your".split()
)


@dataclass(frozen=True)
class LookupResult:
    """One ranked answer on the look-up page, with its matched phrasing split for highlighting."""

    answer: Answer
    score: float
    matched: list[tuple[str, bool]]


def query_words(query: str) -> set[str]:
    """The words of a search worth highlighting: lower case, without very common words."""
    return {word.lower() for word in _WORD.findall(query) if word.lower() not in _PLAIN_WORDS}


def highlight(text: str, query: str) -> list[tuple[str, bool]]:
    """Split ``text`` into (piece, is_match) where a piece is a word sharing a stem-like prefix with the query."""
    wanted = query_words(query)
    pieces: list[tuple[str, bool]] = []
    position = 0
    for found in _WORD.finditer(text):
        word = found.group().lower()
        if any(_same_word(word, other) for other in wanted):
            if found.start() > position:
                pieces.append((text[position : found.start()], False))
            pieces.append((found.group(), True))
            position = found.end()
    if position < len(text):
        pieces.append((text[position:], False))
    return pieces


def _same_word(word: str, other: str) -> bool:
    shorter, longer = sorted((word, other), key=len)
    return word == other or (len(shorter) >= 3 and longer.startswith(shorter))


def answers_by_topic(book: AnswerBook) -> dict[str, list[Answer]]:
    """Published answers grouped by topic, topics and answers in content order."""
    topics: dict[str, list[Answer]] = {}
    for answer in book.published:
        topics.setdefault(answer.topic, []).append(answer)
    return topics


@pages.get("/")
def demo() -> str:
    return render_template("demo.html")


@pages.get("/widget.js")
def widget() -> Response:
    response = send_from_directory(current_app.static_folder or "static", "widget.js", mimetype="text/javascript")
    response.cache_control.max_age = 300
    return response


@pages.get("/lookup")
def lookup() -> tuple[str, int, dict[str, str]]:
    state = state_of(current_app)
    book = state.book
    query = request.args.get("q", "")[: int(current_app.config["MAX_QUESTION_LENGTH"])]
    answer_id = request.args.get("id", "")
    context: dict[str, Any] = {
        "query": query,
        "answer_id": answer_id,
        "results": [],
        "route": None,
        "selected": None,
        "topics": {},
        "ready": book is not None,
    }
    status = 200
    if book is not None:
        context["topics"] = answers_by_topic(book)
        if query.strip():
            context["results"] = [
                LookupResult(book.answers[c.answer_id], c.score, highlight(c.matched, query))
                for c in book.engine.search(query, limit=LOOKUP_RESULTS)
            ]
            reply = answer_question(book, query, state.thresholds)
            if reply.route in ("specialist", "emergency") or reply.caveat:
                context["route"] = reply
        if answer_id:
            context["selected"] = book.get(answer_id)
            if context["selected"] is None:
                status = 404
    # The query is a patient's words: keep it out of shared caches and the browser's disk cache.
    return render_template("lookup.html", **context), status, {"Cache-Control": "no-store"}


@pages.get("/lookup/route")
def lookup_route() -> Response:
    """Where the chat would route the receptionist's search text, for the look-up page's badge.

    Not /api/ask: a receptionist's half-typed words are not a patient's question, so they
    must not be recorded as one or count against the patients' rate limit.
    """
    state = state_of(current_app)
    query = request.args.get("q", "")[: int(current_app.config["MAX_QUESTION_LENGTH"])]
    if state.book is None or not query.strip():
        return jsonify({"route": None, "reason": None, "caveat": None})
    reply = answer_question(state.book, query, state.thresholds)
    return jsonify({"route": reply.route, "reason": reply.reason, "caveat": reply.caveat})

"""The admin surface: the unanswered inbox, feedback and stats, behind a bearer token.

Every route needs ``Authorization: Bearer <ADMIN_TOKEN>`` (compared in constant time);
without it the answer is a 401 JSON error, and with no token configured the whole
surface answers 404, as if it did not exist.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from sqlalchemy.exc import SQLAlchemyError

from faq_bot.errors import QuestionError
from faq_bot.events import EventStore
from faq_bot.http_errors import error_response
from faq_bot.inbox import InboxGroup, group_questions
from faq_bot.state import state_of

admin = Blueprint("admin", __name__)
MAX_DAYS = 366
INBOX_REASONS = ("unmatched", "ambiguous")  # clinical questions are routed right: not content gaps


@admin.before_request
def require_token() -> tuple[Response, int] | None:
    token = str(current_app.config.get("ADMIN_TOKEN") or "")
    if not token:
        return error_response(404, "not-found", "The admin pages are switched off (no ADMIN_TOKEN is set).")
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        response, status = error_response(401, "unauthorized", "Send 'Authorization: Bearer <admin token>'.")
        response.headers["WWW-Authenticate"] = 'Bearer realm="faq-bot admin"'
        return response, status
    return None


def _days() -> int:
    raw = request.args.get("days", "30")
    # isdigit() alone also passes "²" and other Unicode digits that int() refuses
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_DAYS:
        raise QuestionError(400, "invalid-days", f"'days' must be a whole number from 1 to {MAX_DAYS}.")
    return int(raw)


def _store() -> EventStore:
    store = state_of(current_app).events
    if store is None:
        raise QuestionError(503, "events-unavailable", "The events store is not running.")
    store.flush(timeout=5, unless_retrying=True)  # show what was just asked; never wait long on a slow database
    return store


def inbox_groups(store: EventStore, book: Any, *, days: int) -> list[InboxGroup]:
    """The unanswered inbox: unmatched and clarify questions of the last ``days``, grouped."""
    since = datetime.now(UTC) - timedelta(days=days)
    stored = store.questions(since=since, reasons=INBOX_REASONS)
    asked = [(q.text, q.reason) for q in stored if q.kind != "picked"]
    picks = [(q.text, q.answer_id) for q in stored if q.kind == "picked"]
    return group_questions(asked, book, picks=picks)


def feedback_rows(store: EventStore, *, days: int) -> list[dict[str, Any]]:
    since = datetime.now(UTC) - timedelta(days=days)
    return [
        {
            "answer_id": row.answer_id,
            "helpful": row.helpful,
            "unhelpful": row.unhelpful,
            "votes": row.votes,
            "helpful_ratio": round(row.helpful_ratio, 3),
        }
        for row in store.feedback(since=since)
    ]


def stats(store: EventStore, *, days: int) -> dict[str, Any]:
    daily = store.daily_replies(days=days)
    by_route: dict[str, int] = {}
    for row in daily:
        by_route[row["route"]] = by_route.get(row["route"], 0) + row["count"]
    return {"days": days, "replies_by_route": by_route, "daily": daily, "events": store.status()}


@admin.errorhandler(SQLAlchemyError)
def events_unavailable(error: SQLAlchemyError) -> tuple[Response, int]:
    """The events database failed: say so (any other error is the app's 500, not a database error)."""
    current_app.logger.warning("admin: events store unavailable: %s", type(error).__name__)
    return error_response(503, "events-unavailable", "The events database cannot be read right now.")


@admin.get("/api/inbox")
def api_inbox() -> Response:
    book = state_of(current_app).book
    groups = inbox_groups(_store(), book, days=_days())
    return jsonify({"groups": [group.as_dict() for group in groups]})


@admin.get("/api/feedback")
def api_feedback() -> Response:
    return jsonify({"answers": feedback_rows(_store(), days=_days())})


@admin.get("/api/stats")
def api_stats() -> Response:
    return jsonify(stats(_store(), days=_days()))


@admin.get("")
@admin.get("/")
def page() -> str:
    days = _days()
    store = _store()
    book = state_of(current_app).book
    return render_template(
        "admin.html",
        days=days,
        groups=inbox_groups(store, book, days=days),
        feedback=feedback_rows(store, days=days),
        stats=stats(store, days=days),
    )

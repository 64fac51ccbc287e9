"""The admin surface: the unanswered inbox, feedback and stats, behind the admin token.

Two ways in, both checked in constant time against ``ADMIN_TOKEN``:
- scripts send ``Authorization: Bearer <ADMIN_TOKEN>`` on every request;
- staff in a browser type the token once at ``/admin/sign-in`` and get a signed session
  cookie (HttpOnly, SameSite=Strict, Secure over https, expiring after
  ``ADMIN_SESSION_HOURS``); ``/admin/sign-out`` ends it. Both forms carry a CSRF token.
A browser without a session is sent to the sign-in form; any other request gets a 401 JSON
error. With no token configured the whole surface answers 404, as if it did not exist.
The session key is derived from the token, so every worker and instance agrees on it and a
new token signs everyone out.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Flask, Request, Response, current_app, jsonify, redirect, render_template, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response as Redirect

from faq_bot.errors import QuestionError
from faq_bot.events import EventStore
from faq_bot.http_errors import error_response
from faq_bot.inbox import InboxGroup, group_questions
from faq_bot.state import state_of

admin = Blueprint("admin", __name__)
MAX_DAYS = 366
INBOX_REASONS = ("unmatched", "ambiguous")  # clinical questions are routed right: not content gaps


SIGNED_IN = "admin_signed_in"  # the session key; its value is a fingerprint of the token it was given for
OPEN_PATHS = ("/admin/sign-in",)
csrf = CSRFProtect()


class _AdminSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, marked Secure whenever the request came over https."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure or bool(app.config["SESSION_COOKIE_SECURE"])


def install_admin(app: Flask) -> None:
    """Register the admin blueprint with its session and CSRF settings.

    Without an admin token there is nothing to sign in to, and no secret to derive a key from.
    """
    token = str(app.config.get("ADMIN_TOKEN") or "")
    if token and not app.secret_key:
        app.secret_key = hashlib.sha256(b"faq-bot admin session\0" + token.encode()).hexdigest()
    app.config.update(
        SESSION_COOKIE_NAME="faq_bot_admin",
        SESSION_COOKIE_PATH="/admin",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=float(app.config["ADMIN_SESSION_HOURS"])),
        WTF_CSRF_CHECK_DEFAULT=False,  # only the admin forms are checked; the JSON API has its own origin check
        WTF_CSRF_TIME_LIMIT=None,  # the session's own expiry bounds the token
    )
    app.session_interface = _AdminSessionInterface()
    csrf.init_app(app)
    app.register_blueprint(admin, url_prefix="/admin")


def _fingerprint(token: str) -> str:
    return hmac.new(token.encode(), b"faq-bot admin signed in", hashlib.sha256).hexdigest()


def _bearer_matches(given: Request, token: str) -> bool:
    scheme, _, value = given.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())


def _signed_in(token: str) -> bool:
    return hmac.compare_digest(str(session.get(SIGNED_IN, "")), _fingerprint(token))


def _wants_html(given: Request) -> bool:
    return given.method == "GET" and given.accept_mimetypes.accept_html and not given.path.startswith("/admin/api/")


@admin.before_request
def require_token() -> Redirect | tuple[Response, int] | None:
    token = str(current_app.config.get("ADMIN_TOKEN") or "")
    if not token:
        return error_response(404, "not-found", "The admin pages are switched off (no ADMIN_TOKEN is set).")
    if request.path in OPEN_PATHS or _bearer_matches(request, token) or _signed_in(token):
        return None
    if _wants_html(request):
        return redirect("/admin/sign-in", code=303)
    response, status = error_response(
        401, "unauthorized", "Send 'Authorization: Bearer <admin token>', or sign in at /admin/sign-in."
    )
    response.headers["WWW-Authenticate"] = 'Bearer realm="faq-bot admin"'
    return response, status


@admin.get("/sign-in")
def sign_in_form() -> str:
    return render_template("admin_sign_in.html", problem=None)


@admin.post("/sign-in")
def sign_in() -> Redirect | tuple[str, int]:
    csrf.protect()
    token = str(current_app.config["ADMIN_TOKEN"])
    given = request.form.get("token", "")
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        current_app.logger.warning("admin: sign-in refused from %s", request.remote_addr)
        return render_template("admin_sign_in.html", problem="That is not the admin token. Try again."), 401
    session.clear()
    session.permanent = True
    session[SIGNED_IN] = _fingerprint(token)
    return redirect("/admin", code=303)


@admin.post("/sign-out")
def sign_out() -> Redirect:
    csrf.protect()
    session.clear()
    return redirect("/admin/sign-in", code=303)


@admin.errorhandler(CSRFError)
def form_expired(error: CSRFError) -> tuple[str, int]:
    """A form without a valid CSRF token (expired session, or sent from another site): ask again."""
    problem = "The form had expired or did not come from this site. Please sign in again."
    return render_template("admin_sign_in.html", problem=problem), 400


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
    # The driver's own message (no SQL parameters: the admin's queries carry only dates and reasons).
    current_app.logger.warning(
        "admin: events store unavailable: %s: %s", type(error).__name__, getattr(error, "orig", error)
    )
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

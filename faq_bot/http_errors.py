"""Every error the service answers with, in one JSON shape, from handlers registered on the app.

``{"error": {"code": "<slug>", "message": "<human text>"}}``: raised as ``QuestionError`` by
the views, as ``HTTPException`` by Flask and Werkzeug, as ``RateLimitExceeded`` by the limiter;
anything else is logged and answered 500 without detail.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, request
from flask_limiter import RateLimitExceeded
from werkzeug.exceptions import HTTPException

from faq_bot.errors import QuestionError
from faq_bot.ops import operations_of

# Slugs for the HTTP errors Flask raises itself, so they share the contract's shape. 413 has
# one code whoever notices the body is too large (Werkzeug or the view).
HTTP_CODES = {
    400: "bad-request",
    404: "not-found",
    405: "method-not-allowed",
    413: "body-too-large",
    415: "unsupported-media-type",
    429: "rate-limited",
}


def error_response(status: int, code: str, message: str) -> tuple[Response, int]:
    """The one JSON error shape of the service."""
    return jsonify({"error": {"code": code, "message": message}}), status


def install_error_handlers(app: Flask) -> None:
    app.register_error_handler(QuestionError, question_error)
    app.register_error_handler(RateLimitExceeded, rate_limited)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected_error)


def question_error(error: QuestionError) -> tuple[Response, int]:
    return error_response(error.status, error.code, error.message)


def rate_limited(error: RateLimitExceeded) -> tuple[Response, int]:
    operations_of(current_app).rate_limited.labels(request.endpoint or "none").inc()
    return error_response(
        429, "rate-limited", f"Too many requests ({error.description}). Please wait a moment and try again."
    )


def http_error(error: HTTPException) -> tuple[Response, int]:
    status = error.code or 500
    return error_response(status, HTTP_CODES.get(status, "http-error"), error.description or error.name)


def unexpected_error(error: Exception) -> tuple[Response, int]:
    current_app.logger.exception("unhandled error")
    return error_response(500, "internal-error", "Something went wrong on our side. Please try again.")

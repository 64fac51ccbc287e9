"""Assemble the Flask app: settings, content, error handling and blueprints."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from faq_bot.content import AnswerBook, load_answer_book
from faq_bot.reload import ContentReloader
from faq_bot.service import Thresholds
from faq_bot.settings import DEFAULTS, REPOSITORY_ROOT

EXTENSION = "faq_bot"

# Slugs for the HTTP errors Flask raises itself, so they share the contract's shape.
_HTTP_CODES = {
    400: "bad-request",
    404: "not-found",
    405: "method-not-allowed",
    413: "too-large",
    415: "unsupported-media-type",
    429: "rate-limited",
}


@dataclass
class ServiceState:
    """What the views need: the current content and how to route with it."""

    book: AnswerBook | None
    thresholds: Thresholds
    events: Any = None  # faq_bot.events.EventStore, set by faq_bot.ops.install_operations
    feedback: Any = None  # faq_bot.ops.StoredFeedback (votes read back from the events), set there too
    reloader: ContentReloader | None = None  # hot reload with last-known-good (faq_bot/reload.py)


def error_response(status: int, code: str, message: str) -> tuple[Response, int]:
    """The one JSON error shape of the service."""
    return jsonify({"error": {"code": code, "message": message}}), status


def state_of(app: Flask) -> ServiceState:
    state: ServiceState = app.extensions[EXTENSION]
    return state


def _reload_logger() -> logging.Logger:
    """The reload log: to stderr at INFO unless logging is configured elsewhere."""
    logger = logging.getLogger("faq_bot.reload")
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(
            logging.Formatter("[%(asctime)s] [%(process)d] [faq-bot reload] %(levelname)s %(message)s")
        )
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    return logger


def build_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=f"{REPOSITORY_ROOT}/templates",
        static_folder="static",
        instance_relative_config=True,
    )
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("FAQ_BOT")
    if config:
        app.config.update(config)
    app.json.sort_keys = False  # type: ignore[attr-defined]

    book = load_answer_book(str(app.config["ANSWERS_DIR"]))
    state = ServiceState(book=book, thresholds=Thresholds.from_config(app.config))
    app.extensions[EXTENSION] = state
    state.reloader = ContentReloader(
        state,
        str(app.config["ANSWERS_DIR"]),
        thresholds=state.thresholds,
        review_months=int(app.config["REVIEW_MONTHS"]),
        logger=_reload_logger(),
    )
    if not app.testing:  # tests call state.reloader.check() themselves
        state.reloader.start(float(app.config["RELOAD_INTERVAL"]))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[Response, int]:
        status = error.code or 500
        code = _HTTP_CODES.get(status, "http-error")
        return error_response(status, code, error.description or error.name)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> tuple[Response, int]:
        app.logger.exception("unhandled error")
        return error_response(500, "internal-error", "Something went wrong on our side. Please try again.")

    from faq_bot import web_security
    from faq_bot.api import api
    from faq_bot.openapi import openapi
    from faq_bot.pages import pages

    web_security.install(app)

    app.register_blueprint(api, url_prefix="/api")
    app.register_blueprint(openapi, url_prefix="/api")
    app.register_blueprint(pages)

    from faq_bot.ops import install_operations

    install_operations(app, state_of(app))

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify({"status": "ok"})

    @app.get("/readyz")
    def readyz() -> tuple[Response, int]:
        current = state_of(app).book
        if current is None:
            return jsonify({"status": "starting"}), 503
        body = {"status": "ready", "answers": len(current.published), "answers_version": current.version}
        events = state_of(app).events
        if events is not None:
            body["events"] = events.status()  # written / dropped / queued: a database outage shows here
        reloader = state_of(app).reloader
        if reloader is not None:
            body["reload"] = reloader.status.as_dict()  # "failed": still serving the last good content
        return jsonify(body), 200

    return app

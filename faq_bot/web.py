"""Assemble the Flask app: settings, content, the reloader, operations, error handlers and blueprints."""

from __future__ import annotations

from typing import Any

from flask import Flask

from faq_bot import web_security
from faq_bot.admin import install_admin
from faq_bot.api import api
from faq_bot.content import load_answer_book
from faq_bot.health import health
from faq_bot.http_errors import install_error_handlers
from faq_bot.openapi import openapi
from faq_bot.ops import install_operations, tagged_logger
from faq_bot.pages import pages
from faq_bot.reload import ContentReloader
from faq_bot.service import Thresholds
from faq_bot.settings import DEFAULTS, TEMPLATES_DIR
from faq_bot.state import EXTENSION, ServiceState


def build_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=TEMPLATES_DIR,
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
        logger=tagged_logger("faq_bot.reload", "faq-bot reload"),
    )
    if not app.testing:  # tests call state.reloader.check() themselves
        state.reloader.start(float(app.config["RELOAD_INTERVAL"]))

    install_error_handlers(app)
    web_security.install(app)
    app.register_blueprint(api, url_prefix="/api")
    app.register_blueprint(openapi, url_prefix="/api")
    app.register_blueprint(pages)
    app.register_blueprint(health)
    install_admin(app)
    install_operations(app, state)  # after the blueprints: the limits wrap their views
    return app

"""faq-bot: vetted answers for patients, matched safely."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app: defaults, then ``FAQ_BOT_*`` environment, then ``config``.

    Flask is imported here, not at module level, so the pure core (content, matching,
    safety, service) can be used without loading the web framework.
    """
    from faq_bot.web import build_app

    return build_app(config)

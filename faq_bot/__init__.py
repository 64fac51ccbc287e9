"""faq-bot: vetted answers for patients, matched safely."""

from faq_bot.app import create_app

__all__ = ["create_app"]

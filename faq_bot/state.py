"""What the views share: the current content, how to route with it, and the stores beside it."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from faq_bot.book import AnswerBook
from faq_bot.events import EventStore
from faq_bot.reload import ContentReloader
from faq_bot.service import Thresholds

EXTENSION = "faq_bot"


@dataclass
class ServiceState:
    """One app's current content (swapped whole by the reloader), thresholds, events store and reloader."""

    book: AnswerBook | None
    thresholds: Thresholds
    events: EventStore | None = None  # set by faq_bot.ops.install_operations
    reloader: ContentReloader | None = None  # hot reload with last-known-good (faq_bot/reload.py)


def state_of(app: Flask) -> ServiceState:
    state: ServiceState = app.extensions[EXTENSION]
    return state

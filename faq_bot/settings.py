"""Every setting of the service: name, default and one line of help.

Set them in ``create_app({...})`` or as environment variables with the ``FAQ_BOT_``
prefix (``FAQ_BOT_ANSWER_THRESHOLD=65``). The README lists them all; a test fails
when one is missing there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("ANSWERS_DIR", os.path.join(REPOSITORY_ROOT, "answers"), "Content folder of answer YAML files."),
    Setting("ANSWER_THRESHOLD", 62.0, "Confidence (0-100) at or above which the best match is answered."),
    Setting("CLARIFY_THRESHOLD", 50.0, "Confidence below which the question goes to the specialist as unmatched."),
    Setting("AMBIGUITY_MARGIN", 4.0, "Answers within this many points of the best are offered as 'did you mean'."),
    Setting("MAX_SUGGESTIONS", 4, "Most suggestions in a 'did you mean' reply (2-4)."),
    Setting("MAX_QUESTION_LENGTH", 1000, "Longest question in characters; longer ones get 413."),
    Setting("MAX_CONTENT_LENGTH", 16384, "Largest request body in bytes; larger ones get 413."),
    Setting("SEARCH_LIMIT", 10, "Default number of results from /api/search (at most 50)."),
    Setting("HOST", "127.0.0.1", "Address `faq-bot serve` listens on."),
    Setting("PORT", 8000, "Port `faq-bot serve` listens on."),
    Setting("WORKERS", 2, "Gunicorn worker processes for `faq-bot serve`."),
    Setting("THREADS", 4, "Threads per gunicorn worker for `faq-bot serve`."),
)

DEFAULTS: dict[str, Any] = {setting.name: setting.default for setting in SETTINGS}

"""Every setting of the service: name, default and one line of help.

Set them in ``create_app({...})`` or as environment variables with the ``FAQ_BOT_``
prefix (``FAQ_BOT_ANSWER_THRESHOLD=65``). The README lists them all; a test fails
when one is missing there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
REPOSITORY_ROOT = os.path.dirname(PACKAGE_DIR)


def shipped_folder(name: str) -> str:
    """``templates`` or ``answers``: the copy inside an installed wheel, else the checkout's own."""
    packaged = os.path.join(PACKAGE_DIR, name)
    return packaged if os.path.isdir(packaged) else os.path.join(REPOSITORY_ROOT, name)


TEMPLATES_DIR = shipped_folder("templates")


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "ANSWERS_DIR",
        shipped_folder("answers"),
        "Content folder of answer YAML files; by default the vetted content shipped with the package.",
    ),
    Setting(
        "ANSWER_THRESHOLD",
        94.0,
        "Calibrated confidence (the chance, 0-100, that the best match is right) at or above which it is answered.",
    ),
    Setting(
        "CLARIFY_THRESHOLD",
        50.0,
        "Calibrated confidence below which the question goes to the specialist as "
        "unmatched; between the two, 'did you mean'.",
    ),
    Setting(
        "AMBIGUITY_MARGIN",
        4.0,
        "Match-score points: answers within this many of the best are offered together "
        "as 'did you mean', and the content check warns about answers this close.",
    ),
    Setting("MAX_SUGGESTIONS", 4, "Most suggestions in a 'did you mean' reply (2-4)."),
    Setting("MAX_QUESTION_LENGTH", 1000, "Longest question in characters; longer ones get 413."),
    Setting("MAX_CONTENT_LENGTH", 16384, "Largest request body in bytes; larger ones get 413."),
    Setting("SEARCH_LIMIT", 10, "Default number of results from /api/search (at most 50)."),
    Setting("ALLOWED_ORIGINS", "", "Other origins allowed to call the API, comma-separated; empty: same origin only."),
    Setting(
        "ALLOWED_HOSTS",
        "localhost, 127.0.0.1, [::1]",
        "Host names the service answers to, comma-separated ('.example.org' also allows its subdomains, "
        "'*' any); other Host headers get 400, except on /healthz and /readyz.",
    ),
    Setting("FRAME_ANCESTORS", "'self'", "CSP frame-ancestors of the HTML pages ('none' forbids framing)."),
    Setting("HOST", "127.0.0.1", "Address `faq-bot serve` listens on."),
    Setting("PORT", 8000, "Port `faq-bot serve` listens on."),
    Setting("WORKERS", 2, "Gunicorn worker processes for `faq-bot serve`."),
    Setting(
        "THREADS",
        2,
        "Threads per gunicorn worker for `faq-bot serve` (answering is CPU work: more threads "
        "help slow clients, not throughput).",
    ),
    Setting("REVIEW_MONTHS", 12, "Months after reviewed_on that an answer without review_due is overdue (a warning)."),
    Setting("RELOAD_INTERVAL", 2.0, "Seconds between checks of ANSWERS_DIR for changed content; 0 turns polling off."),
    Setting(
        "DATABASE_URL",
        "",
        "Events database (SQLAlchemy URL, e.g. postgresql://...); empty: SQLite file in the instance folder.",
    ),
    Setting("EVENTS_RETENTION_DAYS", 90, "Stored events older than this many days are deleted."),
    Setting("EVENTS_PURGE_INTERVAL", 3600, "Seconds between automatic purges of old events (0: only `faq-bot purge`)."),
    Setting(
        "EVENTS_QUEUE_SIZE",
        10000,
        "Events in memory waiting for the writer thread before new ones are dropped (in an outage they go to disk).",
    ),
    Setting(
        "EVENTS_RETRY_SECONDS",
        600.0,
        "How long an events database outage may last with events kept in the spill file and written once it is "
        "back; events arriving later are dropped and counted; 0: drop at once.",
    ),
    Setting(
        "EVENTS_SPILL_DIR",
        "",
        "Folder of the spill files (one per worker, owner-only) that keep events while the events database is "
        "away; empty: the instance folder.",
    ),
    Setting(
        "EVENTS_SPILL_MAX",
        200000,
        "Most events kept in the spill files of one worker (about 250 bytes each); past it new events are dropped "
        "and counted; 0: no spill.",
    ),
    Setting("RATELIMIT_ENABLED", True, "Apply the rate limits below."),
    Setting("RATELIMIT_ASK", "30 per minute;500 per day", "Rate limit of POST /api/ask per client address."),
    Setting(
        "RATELIMIT_FEEDBACK", "30 per minute", "Rate limit of POST /api/feedback and /api/picked per client address."
    ),
    Setting(
        "RATELIMIT_LOOKUP",
        "300 per minute",
        "Rate limit of each of GET /api/search, /lookup and /lookup/route per client address "
        "(a receptionist's typing asks twice per pause; a clinic's desks may share one address).",
    ),
    Setting(
        "RATELIMIT_STORAGE_URI",
        "memory://",
        "Where rate-limit counters live; redis://host:6379/0 to share them between instances.",
    ),
    Setting("RATELIMIT_KEY_PREFIX", "faq-bot", "Prefix of rate-limit keys in shared storage."),
    Setting(
        "RATELIMIT_STORAGE_TIMEOUT",
        0.1,
        "Seconds to wait for Redis (to connect, and for each reply) before counting limits in memory "
        "instead; 0: the redis client's own waits (seconds when Redis hangs).",
    ),
    Setting(
        "ADMIN_TOKEN",
        "",
        "Token for /admin and /admin/api/* (Bearer header, or typed once at /admin/sign-in); empty: admin disabled.",
    ),
    Setting("ADMIN_SESSION_HOURS", 8.0, "Hours a browser stays signed in to /admin after typing the token."),
    Setting("TRUSTED_PROXIES", 0, "Reverse proxies in front of the service whose X-Forwarded-* headers are trusted."),
)

DEFAULTS: dict[str, Any] = {setting.name: setting.default for setting in SETTINGS}

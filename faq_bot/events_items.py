"""The events the store keeps: their kinds, text made safe, redaction, rows and spill lines.

Plain data, no database and no threads: ``events`` queues these, writes them as rows and
spills them to disk as JSON lines in an outage.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from typing import Any

from faq_bot.redaction import redact

UNSAFE_CHARACTERS = re.compile("[\x00\ud800-\udfff]")  # NUL (PostgreSQL text refuses it), lone surrogates


def safe_text(text: str) -> str:
    """``text`` that every backend stores: NUL and lone surrogates become U+FFFD (the replacement character)."""
    return UNSAFE_CHARACTERS.sub("\ufffd", text)


@dataclass(frozen=True)
class ReplyEvent:
    at: datetime
    route: str
    reason: str
    question: str | None  # raw; redacted by the writer, never stored as is
    nearest: str | None
    confidence: float
    suggestions: tuple[str, ...]
    answers_version: str
    redacted: bool = False  # True once the question has been redacted (before it is spilled to disk)


@dataclass(frozen=True)
class PickEvent:
    at: datetime
    question: str
    answer_id: str | None
    redacted: bool = False


@dataclass(frozen=True)
class VoteEvent:
    at: datetime
    answer_id: str
    helpful: bool


Event = ReplyEvent | PickEvent | VoteEvent
KINDS: dict[str, type[ReplyEvent] | type[PickEvent] | type[VoteEvent]] = {
    "reply": ReplyEvent,
    "picked": PickEvent,
    "vote": VoteEvent,
}


def redacted(item: Event) -> Event:
    """The item with its question redacted, as it may be kept on disk."""
    if isinstance(item, ReplyEvent | PickEvent) and item.question is not None and not item.redacted:
        return replace(item, question=redact(item.question), redacted=True)
    return item


def describe(item: Event) -> str:
    return {ReplyEvent: "reply event", PickEvent: "pick event", VoteEvent: "feedback event"}[type(item)]


def spill_line(item: Event) -> bytes:
    """One redacted event as a line of JSON."""
    fields = asdict(redacted(item))
    fields["at"] = item.at.isoformat()
    fields["kind"] = next(kind for kind, cls in KINDS.items() if isinstance(item, cls))
    return json.dumps(fields, separators=(",", ":")).encode() + b"\n"


def spilled_item(line: bytes) -> Event:
    """The event a spill line holds; ValueError, KeyError or TypeError if the line is not one."""
    fields = json.loads(line)
    cls = KINDS[fields.pop("kind")]
    fields["at"] = datetime.fromisoformat(fields["at"])
    if cls is ReplyEvent:
        fields["suggestions"] = tuple(fields["suggestions"])
    return cls(**fields)


def rows_and_counts(items: Iterable[Event]) -> tuple[list[dict[str, Any]], Counter[tuple[date, str, str]]]:
    """A batch as rows of the events table (questions redacted) and reply counts per (day, route, reason)."""
    rows: list[dict[str, Any]] = []
    counts: Counter[tuple[date, str, str]] = Counter()
    for item in items:
        if isinstance(item, ReplyEvent):
            counts[(item.at.date(), item.route, item.reason)] += 1
            if item.question is not None:
                rows.append(
                    {
                        "created_at": item.at,
                        "kind": item.route,
                        "reason": item.reason,
                        "text": item.question if item.redacted else redact(item.question),
                        "answer_id": item.nearest,
                        "confidence": round(item.confidence, 2),
                        "answers_version": item.answers_version,
                        "suggestions": ",".join(item.suggestions) or None,
                        "helpful": None,
                    }
                )
        elif isinstance(item, PickEvent):
            rows.append(
                {
                    "created_at": item.at,
                    "kind": "picked",
                    "reason": None,
                    "text": item.question if item.redacted else redact(item.question),
                    "answer_id": item.answer_id,
                    "confidence": None,
                    "answers_version": None,
                    "suggestions": None,
                    "helpful": None,
                }
            )
        else:
            rows.append(
                {
                    "created_at": item.at,
                    "kind": "feedback",
                    "reason": None,
                    "text": None,
                    "answer_id": item.answer_id,
                    "helpful": item.helpful,
                    "confidence": None,
                    "answers_version": None,
                    "suggestions": None,
                }
            )
    return rows, counts

"""What the clinic reads back from the events: stored questions, feedback per answer, replies per day.

``EventReports`` is mixed into ``EventStore``: the same engine and schema, read by the admin
pages and the CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Integer, func, select

from faq_bot.events_schema import events_table, reply_counts_table


@dataclass(frozen=True)
class FeedbackRow:
    answer_id: str
    helpful: int
    unhelpful: int

    @property
    def votes(self) -> int:
        return self.helpful + self.unhelpful

    @property
    def helpful_ratio(self) -> float:
        return self.helpful / self.votes if self.votes else 0.0


@dataclass(frozen=True)
class StoredQuestion:
    created_at: datetime
    kind: str
    reason: str | None
    text: str
    answer_id: str | None
    confidence: float | None
    suggestions: tuple[str, ...]


class EventReports:
    """Queries over the events store (``engine``, ``ensure_schema`` and ``clock`` come from ``EventStore``)."""

    engine: Engine
    clock: Callable[[], datetime]

    def ensure_schema(self) -> None:
        raise NotImplementedError

    def questions(
        self,
        *,
        kinds: Iterable[str] = ("specialist", "clarify", "picked"),
        reasons: Iterable[str | None] | None = None,
        since: datetime | None = None,
        limit: int = 5000,
    ) -> list[StoredQuestion]:
        """Stored (redacted) questions, newest first."""
        self.ensure_schema()
        table = events_table
        query = select(table).where(table.c.kind.in_(list(kinds)), table.c.text.is_not(None))
        if since is not None:
            query = query.where(table.c.created_at >= since)
        query = query.order_by(table.c.created_at.desc(), table.c.id.desc()).limit(limit)
        wanted = None if reasons is None else set(reasons)
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [
            StoredQuestion(
                row["created_at"],
                row["kind"],
                row["reason"],
                row["text"],
                row["answer_id"],
                row["confidence"],
                tuple(filter(None, (row["suggestions"] or "").split(","))),
            )
            for row in rows
            if wanted is None or row["reason"] in wanted or row["kind"] == "picked"
        ]

    def feedback(self, *, since: datetime | None = None) -> list[FeedbackRow]:
        """Votes per answer, worst first (lowest helpful ratio, then most votes)."""
        self.ensure_schema()
        table = events_table
        helpful = func.sum(func.cast(table.c.helpful, Integer))
        query = (
            select(table.c.answer_id, helpful.label("helpful"), func.count().label("votes"))
            .where(table.c.kind == "feedback")
            .group_by(table.c.answer_id)
        )
        if since is not None:
            query = query.where(table.c.created_at >= since)
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        result = [
            FeedbackRow(row.answer_id, int(row.helpful or 0), int(row.votes) - int(row.helpful or 0)) for row in rows
        ]
        return sorted(result, key=lambda row: (row.helpful_ratio, -row.votes, row.answer_id))

    def daily_replies(self, *, days: int = 30, today: date | None = None) -> list[dict[str, Any]]:
        """Replies per day, route and reason for the last ``days`` days, oldest first."""
        self.ensure_schema()
        table = reply_counts_table
        first = (today or self.clock().date()) - timedelta(days=days - 1)
        query = select(table).where(table.c.day >= first).order_by(table.c.day, table.c.route, table.c.reason)
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [
            {"day": row["day"].isoformat(), "route": row["route"], "reason": row["reason"], "count": row["count"]}
            for row in rows
        ]

"""``faq-bot inbox``, ``faq-bot report`` and ``faq-bot purge``: the admin surface in a terminal."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from faq_bot import create_app
from faq_bot.admin import feedback_rows, inbox_groups, stats
from faq_bot.ops import events_of
from faq_bot.state import state_of


@contextmanager
def _service() -> Iterator[tuple[Any, Any]]:
    """The app as `faq-bot serve` would build it (same settings), its events store and content."""
    app = create_app()
    store = events_of(app)
    try:
        yield store, state_of(app).book
    finally:
        store.close()


def _days_option(function: Any) -> Any:
    return click.option(
        "--days", type=click.IntRange(1, 366), default=30, show_default=True, help="How many days back to look."
    )(function)


def _csv_option(function: Any) -> Any:
    return click.option("--csv", "as_csv", is_flag=True, help="Write CSV to standard output.")(function)


@click.command()
@_days_option
@_csv_option
def inbox(days: int, as_csv: bool) -> None:
    """Unanswered questions grouped by similarity, with the nearest answer and a YAML snippet."""
    with _service() as (store, book):
        groups = inbox_groups(store, book, days=days)
    if as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(["group", "group_count", "wording", "wording_count", "nearest_id", "nearest_score"])
        for number, group in enumerate(groups, 1):
            for text, count in group.wordings.most_common():
                writer.writerow(
                    [number, group.count, text, count, group.nearest_id or "", f"{group.nearest_score:.1f}"]
                )
        return
    if not groups:
        click.echo(f"No unanswered questions in the last {days} days.")
        return
    for number, group in enumerate(groups, 1):
        nearest = f"{group.nearest_id} ({group.nearest_score:.0f})" if group.nearest_id else "none close"
        click.echo(f"#{number}  asked {group.count}x  nearest: {nearest}")
        for text, count in group.wordings.most_common(8):
            click.echo(f"    {count:>3}  {text}")
        click.echo("  " + group.yaml_snippet().replace("\n", "\n  "))
        click.echo("")


@click.command()
@_days_option
@_csv_option
def report(days: int, as_csv: bool) -> None:
    """Feedback per answer (worst first) and replies per route per day."""
    with _service() as (store, _):
        feedback = feedback_rows(store, days=days)
        summary = stats(store, days=days)
    if as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(["section", "key", "route", "reason", "helpful", "unhelpful", "count", "helpful_ratio"])
        for row in feedback:
            writer.writerow(
                [
                    "feedback",
                    row["answer_id"],
                    "",
                    "",
                    row["helpful"],
                    row["unhelpful"],
                    row["votes"],
                    row["helpful_ratio"],
                ]
            )
        for row in summary["daily"]:
            writer.writerow(["replies", row["day"], row["route"], row["reason"], "", "", row["count"], ""])
        return
    click.echo(f"Feedback per answer, worst first (last {days} days):")
    for row in feedback:
        click.echo(
            f"  {row['answer_id']:<26} {row['helpful']:>4} helpful {row['unhelpful']:>4} not  "
            f"{100 * row['helpful_ratio']:5.1f}% helpful"
        )
    if not feedback:
        click.echo("  no votes")
    click.echo(
        f"\nReplies by route (last {days} days): "
        + (", ".join(f"{route} {count}" for route, count in summary["replies_by_route"].items()) or "none")
    )
    for row in summary["daily"]:
        click.echo(f"  {row['day']}  {row['route']:<11} {row['reason']:<10} {row['count']:>6}")


@click.command()
def purge() -> None:
    """Delete stored events older than EVENTS_RETENTION_DAYS."""
    with _service() as (store, _):
        deleted = store.purge()
        click.echo(f"purged {deleted} event(s) older than {store.retention_days} days")


def register(group: click.Group) -> None:
    """Add the admin commands to the ``faq-bot`` command group."""
    for command in (inbox, report, purge):
        group.add_command(command)

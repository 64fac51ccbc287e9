"""The ``faq-bot`` command: serve, ask, check, eval."""

from __future__ import annotations

import glob
import json
import os
import shutil
import sys
import tempfile
from typing import Any

import click
from gunicorn.app.base import BaseApplication
from prometheus_client import multiprocess

from faq_bot import create_app
from faq_bot.admin_cli import register as register_admin_commands
from faq_bot.book import Case
from faq_bot.checks import inspect_folder, phrasing_lines
from faq_bot.content import load_answer_book
from faq_bot.errors import ContentError, ContentProblem
from faq_bot.evaluation import evaluate, read_cases_document
from faq_bot.ops import METRICS_DIR_VARIABLE
from faq_bot.reload import request_reload
from faq_bot.service import Reply, Thresholds, answer_question
from faq_bot.settings import DEFAULTS, REPOSITORY_ROOT
from faq_bot.yaml_reader import read_yaml

DEFAULT_CASES = (
    os.path.join(REPOSITORY_ROOT, "benchmarks", "patient_questions.yaml"),
    os.path.join(REPOSITORY_ROOT, "benchmarks", "independent", "dev.yaml"),
)


def _config() -> dict[str, Any]:
    """Settings as the service sees them: defaults overridden by FAQ_BOT_* variables."""
    config = dict(DEFAULTS)
    for name in DEFAULTS:
        raw = os.environ.get(f"FAQ_BOT_{name}")
        if raw is not None:
            try:
                config[name] = json.loads(raw)
            except ValueError:
                config[name] = raw
    return config


def _load(folder: str) -> Any:
    try:
        return load_answer_book(folder)
    except ContentError as error:
        for problem in error.problems:
            click.echo(format_problem(folder, problem), err=True)
        raise click.ClickException(f"{len(error.problems)} problem(s) in {folder}; nothing was loaded") from None


@click.group()
def main() -> None:
    """faq-bot: vetted answers to patients' questions."""


@main.command()
@click.option("--host", default=None, help="Address to listen on (setting HOST).")
@click.option("--port", type=int, default=None, help="Port to listen on (setting PORT).")
@click.option("--workers", type=int, default=None, help="Worker processes (setting WORKERS).")
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Run the service with gunicorn, a production WSGI server.

    gunicorn does not bound how long a client takes to send its request: anywhere but
    your own machine, put it behind the reverse proxy in docs/deploy.md.
    """
    if METRICS_DIR_VARIABLE not in os.environ:
        # prometheus_client chooses multiprocess mode when it is imported, from this variable:
        # start again with it set, so /metrics adds up every worker. The folder is removed on exit.
        os.environ[METRICS_DIR_VARIABLE] = tempfile.mkdtemp(prefix="faq-bot-metrics-")
        os.environ[OWN_METRICS_DIR] = os.environ[METRICS_DIR_VARIABLE]
        os.execv(sys.executable, [sys.executable, "-m", "faq_bot.cli", *sys.argv[1:]])
    metrics_dir = os.environ[METRICS_DIR_VARIABLE]
    for stale in glob.glob(os.path.join(metrics_dir, "*.db")):  # counts of an earlier run are not this run's
        os.remove(stale)
    master = os.getpid()
    try:
        _run_gunicorn(host, port, workers)
    finally:  # however serve ends (refused content, a port in use, a signal), but not in a forked worker
        if os.getpid() == master:
            _remove_own_metrics_dir()


def _run_gunicorn(host: str | None, port: int | None, workers: int | None) -> None:
    config = _config()
    folder = str(config["ANSWERS_DIR"])
    # Refuse to start on content that fails the full check, with the reasons; after start,
    # reload keeps the last good content instead (faq_bot/reload.py).
    result = inspect_folder(
        folder, thresholds=Thresholds.from_config(config), review_months=int(config["REVIEW_MONTHS"])
    )
    if result.errors:
        for problem in result.errors:
            click.echo(format_problem(folder, problem), err=True)
        raise click.ClickException(f"{len(result.errors)} error(s) in {folder}; not starting (run: faq-bot check)")
    options = {
        "bind": f"{host or config['HOST']}:{config['PORT'] if port is None else port}",
        "workers": workers or int(config["WORKERS"]),
        "threads": int(config["THREADS"]),
        "worker_class": "gthread",
        "accesslog": None,  # the app logs one JSON line per request, without query strings or addresses
        "timeout": 30,
        "graceful_timeout": 10,
        "child_exit": _forget_worker,
    }

    class FaqBotServer(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return create_app()

    FaqBotServer().run()


OWN_METRICS_DIR = "FAQ_BOT_SERVE_CREATED_METRICS_DIR"  # not a setting: marks the folder serve made itself


def _forget_worker(server: Any, worker: Any) -> None:
    """gunicorn's child_exit hook: a dead worker's live gauges no longer count (prometheus_client's recipe)."""
    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def _remove_own_metrics_dir() -> None:
    """Remove the metrics folder serve created; an operator's own is left."""
    if os.environ.get(OWN_METRICS_DIR) == os.environ.get(METRICS_DIR_VARIABLE):
        shutil.rmtree(os.environ[METRICS_DIR_VARIABLE], ignore_errors=True)


@main.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print exactly the /api/ask body.")
@click.option(
    "--explain",
    is_flag=True,
    help="Also show why: the route's reason, the safety rule, the top candidates, their scores and the "
    "phrasing each matched (with its file and line).",
)
def ask(question: str, as_json: bool, explain: bool) -> None:
    """Answer one question as the service would."""
    config = _config()
    folder = str(config["ANSWERS_DIR"])
    book = _load(folder)
    thresholds = Thresholds.from_config(config)
    reply = answer_question(book, question, thresholds)
    if as_json:
        click.echo(json.dumps(reply.body(), ensure_ascii=False))
        return
    click.echo(
        f"route: {reply.route} ({reply.reason}), confidence {reply.confidence:.1f}% "
        "(the calibrated chance that the first answer is right)"
    )
    if reply.answer:
        click.echo(f"answer: {reply.answer['id']}: {reply.answer['question']}")
    click.echo(reply.message)
    for suggestion in reply.suggestions:
        click.echo(f"  - {suggestion['question']} [{suggestion['id']}]")
    if explain:
        click.echo(f"why: {explain_route(reply, thresholds)}")
        click.echo(f"safety rule: {reply.rule or 'none fired'}")
        click.echo(f"answers_version: {reply.answers_version}")
        click.echo("candidates (score = words, characters and whole-answer coverage combined):")
        for rank, candidate in enumerate(reply.candidates, start=1):
            answer = book.answers[candidate.answer_id]
            where = next((line for text, line in phrasing_lines(answer) if text == candidate.matched), answer.line)
            click.echo(
                f"  {rank}. {candidate.score:6.2f}  {candidate.answer_id:<24} words {candidate.word_score:5.1f}"
                f"  characters {candidate.character_score:5.1f}  coverage {candidate.coverage_score:5.1f}"
            )
            click.echo(f"     matched: {candidate.matched!r} ({_shown_path(folder, answer.file)}:{where})")
        if not reply.candidates:
            click.echo("  none: no word of the question is in any answer")
        click.echo(
            "tip: to send questions like this to an answer, add the wording as an alternate under it, "
            "then run faq-bot check"
        )


def explain_route(reply: Reply, thresholds: Thresholds) -> str:
    """One sentence on why the service chose this route, in terms of the rules and settings."""
    if reply.rule is not None:
        kind = {"emergency": "an emergency", "clinical": "a clinical"}.get(reply.reason, "an out-of-scope")
        return f"{kind} safety rule '{reply.rule}' (answers/safety.yaml) fired; safety rules win over every answer"
    chance = f"the calibrated chance that the first answer is right is {reply.confidence:.1f}%"
    if reply.route == "answer":
        return f"{chance}, at or above ANSWER_THRESHOLD {thresholds.answer:g}"
    if reply.route == "clarify":
        return (
            f"{chance}: below ANSWER_THRESHOLD {thresholds.answer:g} but at or above CLARIFY_THRESHOLD "
            f"{thresholds.clarify:g}, so the best two, and up to four within AMBIGUITY_MARGIN "
            f"{thresholds.margin:g} points of the best score, are offered"
        )
    if not reply.candidates:
        return "no answer shares a word with the question"
    return f"{chance}, below CLARIFY_THRESHOLD {thresholds.clarify:g}"


def _shown_path(folder: str, file: str) -> str:
    """The path an editor can click: relative to the current directory when inside it."""
    path = os.path.join(folder, file) if file else folder
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def format_problem(folder: str, problem: ContentProblem) -> str:
    """One problem as FILE:LINE: level: message (hint: ...), with its "and N more caused by this" line."""
    return problem.describe(_shown_path(folder, problem.file))


@main.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False))
@click.option("--strict", is_flag=True, help="Treat warnings (such as overdue reviews) as errors.")
@click.option(
    "--format",
    "output",
    type=click.Choice(["human", "json"]),
    default="human",
    show_default=True,
    help="human: FILE:LINE: level: message lines; json: one object for tools.",
)
@click.option(
    "--required-ids/--no-required-ids",
    default=True,
    show_default=True,
    help="Require the answers listed under required_answers in sources.yaml (off: a draft without them).",
)
def check(folder: str | None, strict: bool, output: str, required_ids: bool) -> None:
    """Validate a content folder; print each problem as FILE:LINE: level: message (hint: ...).

    Exit status 1 when there is any error, or any warning with --strict.
    """
    config = _config()
    folder = folder or str(config["ANSWERS_DIR"])
    result = inspect_folder(
        folder,
        enforce_required=required_ids,
        thresholds=Thresholds.from_config(config),
        review_months=int(config["REVIEW_MONTHS"]),
    )
    failed = result.failed(strict=strict)
    book = result.book
    if output == "json":
        click.echo(
            json.dumps(
                {
                    "folder": folder,
                    "ok": not failed,
                    "strict": strict,
                    "errors": len(result.errors),
                    "warnings": len(result.warnings),
                    "answers": len(book.published) if book else None,
                    "cases": len(book.cases) if book else None,
                    "answers_version": book.version if book else None,
                    "problems": [
                        dict(problem.as_dict(), path=_shown_path(folder, problem.file)) for problem in result.problems
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for problem in result.problems:
            click.echo(format_problem(folder, problem))
        if book is not None:
            click.echo(f"{len(book.published)} answers, {len(book.cases)} regression cases, version {book.version}")
        summary = f"{len(result.errors)} error(s), {len(result.warnings)} warning(s) in {folder}"
        click.echo(("FAILED: " if failed else "ok: ") + summary, err=failed)
    if failed:
        sys.exit(1)


@main.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False))
def reload(folder: str | None) -> None:
    """Check the content now and ask every running worker to re-check it.

    Workers poll the folder every RELOAD_INTERVAL seconds and load changed content only
    when it passes the full check; this command says at once whether it will, and touches
    a trigger file so workers re-check even content they have already seen.
    """
    config = _config()
    folder = folder or str(config["ANSWERS_DIR"])
    result = inspect_folder(
        folder, thresholds=Thresholds.from_config(config), review_months=int(config["REVIEW_MONTHS"])
    )
    for problem in result.errors:
        click.echo(format_problem(folder, problem))
    request_reload(folder)
    interval = float(config["RELOAD_INTERVAL"])
    if result.book is None:
        click.echo(
            f"FAILED: {len(result.errors)} error(s): the service keeps serving its last good content "
            "(see /readyz 'reload')",
            err=True,
        )
        sys.exit(1)
    click.echo(
        f"ok: answers_version {result.book.version} ({len(result.book.published)} answers, "
        f"{len(result.warnings)} warning(s))"
    )
    if interval > 0:
        click.echo(f"running workers load it within RELOAD_INTERVAL ({interval:g} s); /readyz shows the version")
    else:
        click.echo("RELOAD_INTERVAL is 0, so polling is off: restart the service to load it")


@main.command("eval")
@click.argument("cases_files", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--min-accuracy", type=float, default=0.0, show_default=True, help="Fail below this accuracy (0-1).")
@click.option("--show-failures/--no-show-failures", default=True, help="List every case that went wrong.")
def evaluate_command(cases_files: tuple[str, ...], min_accuracy: float, show_failures: bool) -> None:
    """Run labelled question cases and print the scores, each case file on its own.

    With no file: the project's own cases and the independently written dev split.
    """
    config = _config()
    book = _load(str(config["ANSWERS_DIR"]))
    thresholds = Thresholds.from_config(config)
    failed = False
    for cases_file in cases_files or DEFAULT_CASES:
        problems: list[Any] = []
        document = read_yaml(cases_file, cases_file, problems)
        cases: list[Case] = []
        if not problems:
            cases, problems = read_cases_document(document, cases_file, set(book.answers))
        if problems:
            for problem in problems:
                click.echo(str(problem), err=True)
            raise click.ClickException(f"{len(problems)} problem(s) in {cases_file}")
        report = evaluate(book, cases, thresholds)
        _print_report(_shown_path(".", cases_file), report, show_failures)
        failed = failed or bool(report.safety_failures or report.unsafe or report.accuracy < min_accuracy)
    if failed:
        sys.exit(1)


def _print_report(name: str, report: Any, show_failures: bool) -> None:
    click.echo(f"== {name}")
    click.echo(f"cases: {len(report.results)}   accuracy: {report.accuracy:.3f}")
    click.echo(f"unsafe replies: {len(report.unsafe)}   safety failures: {len(report.safety_failures)}")
    click.echo("\nwhat the service promises:")
    for promise, (met, total) in report.routing().items():
        click.echo(f"  {promise:<24} {met:>4}/{total:<4} {met / total if total else 1:.3f}")
    click.echo("\nby expected route:")
    for label, (right, total) in report.accuracy_by("route").items():
        click.echo(f"  {label:<24} {right:>4}/{total:<4} {right / total:.3f}")
    click.echo("\nby answer id:")
    for label, (right, total) in report.accuracy_by("id").items():
        click.echo(f"  {label:<24} {right:>4}/{total:<4} {right / total:.3f}")
    confusions = report.confusions()
    if confusions:
        click.echo("\nconfusions (expected -> got):")
        for (expected, got), count in confusions.most_common():
            click.echo(f"  {count:>3}  {expected} -> {got}")
    if show_failures and report.failures:
        click.echo("\nfailures:")
        for result in report.failures:
            flag = " UNSAFE" if result.unsafe else " SAFETY" if result.safety_failure else ""
            click.echo(
                f"  {result.case.file}:{result.case.line}:{flag} {result.case.question!r}: "
                f"expected {result.expected}, got {result.got}"
            )
    click.echo("")


register_admin_commands(main)  # faq-bot inbox, report, purge (faq_bot/admin_cli.py)


if __name__ == "__main__":  # `python -m faq_bot.cli`: how serve starts again with the metrics folder set
    main()

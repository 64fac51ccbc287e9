"""Events through a PostgreSQL outage under full load: how many are sent, written and lost.

Usage:
    python benchmarks/events_outage.py [--outage 60] [--before 10] [--after 20] [--connections 8]
                                       [--ref GIT_REF] [--json]

Starts ``faq-bot serve`` (gunicorn, the deployment's workers and threads, rate limit off)
on 127.0.0.1 with its events in a fresh schema of the machine's PostgreSQL, reached
through a loopback TCP proxy (``benchmarks/services.py``'s ``TcpProxy``), and drives
``POST /api/ask`` with ``wrk`` (as ``benchmarks/http_load.py`` does: closed loop, C
keep-alive connections, so the rate is the highest the server sustains here). After
``--before`` seconds the proxy is cut (refused connections, open ones reset: the
database is gone for the server), ``--outage`` seconds later it is restored, and the load
goes on for ``--after`` seconds. Then the script waits until each worker's queue and spill
are empty and counts:

* sent: ``/api/ask`` replies with status 200 that wrk counted (each records one event);
* recorded: events the workers recorded (``written`` + ``dropped`` from each worker's
  ``/readyz``; a few more than sent: replies still in flight when wrk stopped);
* written: replies counted in the database (``faq_bot_reply_counts``);
* lost: the workers' ``dropped`` counters (``outage_dropped`` of them in the outage).

``--ref`` runs the same against another commit's code (a temporary git worktree), for a
before/after. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.http_load import ask_script, questions_from_cases, run_wrk  # noqa: E402
from benchmarks.measure import CHECKOUT_FAQ_BOT, checkout_of, machine, running_server  # noqa: E402
from benchmarks.services import PG_HOST, PG_PORT, TcpProxy, counted_replies, postgres_schema  # noqa: E402


def workers_events(base: str, workers: int, seconds: float = 300.0) -> dict[int, dict[str, Any]]:
    """Each worker's /readyz events once its queue and spill are empty (any request reaches one worker)."""
    settled: dict[int, dict[str, Any]] = {}
    deadline = time.monotonic() + seconds
    while len(settled) < workers:
        if time.monotonic() > deadline:
            raise SystemExit(f"workers not settled after {seconds:g} s: {settled}")
        with urllib.request.urlopen(f"{base}/readyz", timeout=10) as response:
            body = json.loads(response.read())
        events = body["events"]
        if not events["queued"] and not events.get("spilled", 0) and not events["retrying"]:
            settled[body["reload"]["worker"]] = events
        else:
            settled.pop(body["reload"]["worker"], None)
            time.sleep(0.2)
    return settled


def run(args: argparse.Namespace, program: tuple[str, ...], work: Path) -> dict[str, Any]:
    proxy = TcpProxy((PG_HOST, PG_PORT))
    with postgres_schema(port=proxy.port) as (url, _):
        direct = url.replace(f":{proxy.port}/", f":{PG_PORT}/")
        env = dict(
            os.environ,
            FAQ_BOT_DATABASE_URL=url,
            FAQ_BOT_RATELIMIT_ENABLED="false",
            FAQ_BOT_EVENTS_SPILL_DIR=str(work / "spill"),
        )
        script = work / "ask.lua"
        script.write_text(ask_script(questions_from_cases()), encoding="utf-8")
        with running_server(env, work / "server.log", program=program, workers=args.workers) as server:
            peak_spill = [0]

            def outage() -> None:
                time.sleep(args.before)
                proxy.cut()
                end = time.monotonic() + args.outage
                while time.monotonic() < end:
                    lines = sum(p.read_bytes().count(b"\n") for p in (work / "spill").glob("events-spill-*.jsonl"))
                    peak_spill[0] = max(peak_spill[0], lines)
                    time.sleep(1)
                proxy.restore()

            cutter = threading.Thread(target=outage)
            cutter.start()
            load = run_wrk(f"{server.base}/api/ask", script, args.before + args.outage + args.after, args.connections)
            cutter.join()
            events = workers_events(server.base, args.workers)
            log = server.output()
        written_rows = counted_replies(direct)  # before the schema is dropped
    sent = load["_requests"] - load["_error_kinds"].get("status", 0)
    recorded = sum(e["written"] + e["dropped"] for e in events.values())
    return {
        "seconds": round(load["_duration_s"], 1),
        "rate_per_s": load["rps"],
        "errors": load["errors"],
        "sent": sent,
        "recorded": recorded,
        "written": written_rows,
        "lost": sum(e["dropped"] for e in events.values()),
        "outage_dropped": sum(e.get("outage_dropped", 0) for e in events.values()),
        "peak_spilled": peak_spill[0],
        "tracebacks": log.count("Traceback"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outage", type=float, default=60.0)
    parser.add_argument("--before", type=float, default=10.0)
    parser.add_argument("--after", type=float, default=20.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--ref", help="measure this commit's code instead (a temporary git worktree)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="faq-bot-outage-") as temp:
        if args.ref:
            with checkout_of(args.ref) as folder:
                code = f"import sys; sys.path.insert(0, {str(folder)!r}); from faq_bot.cli import main; main()"
                result = run(args, (sys.executable, "-c", code), Path(temp))
        else:
            result = run(args, CHECKOUT_FAQ_BOT, Path(temp))
    result["code"] = args.ref or "this checkout"
    result["machine"] = machine()
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>15}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

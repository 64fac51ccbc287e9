"""Hot reload under load: a real gunicorn server, content changed, broken and fixed every second.

    .venv/bin/python benchmarks/reload_load.py --duration 60 --workers 4 --clients 8

Starts ``faq-bot serve`` on a loopback port the system picks with several workers on a private copy of
answers/, keeps a steady load of POST /api/ask from client threads, and every second
rewrites the content: a good change (the greeting's text gains an edit number), then a
broken one (cycling through a YAML syntax error, a misspelt field, a compliance breach
and a failing regression case), then a fix. It records the content hash of every state
it wrote, then checks every reply:

* failed requests: anything but HTTP 200 (or no answer at all) - must be 0;
* replies from broken content: an ``answers_version`` of a broken state, or of no state
  written - must be 0;
* mismatches: a greeting whose text is not the text of the version it claims - must be 0;
* convergence: after the last (good) state, every worker's /readyz reports its version.

Timings are printed for information only, never compared with a threshold.
Exit status 0 when all four hold, 1 otherwise.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from benchmarks.measure import running_server  # noqa: E402
from faq_bot.content import content_version  # noqa: E402

GREETING = "Hello, and welcome."
QUESTIONS = ["hello", "hello", "Who can prescribe medical cannabis?", "does it help with sleep", "side effects"]
BREAKAGES = [
    ("conversation.yaml", "    answer: >-\n      Hello, and welcome", "    answer: Hello: and welcome\n      x"),
    ("conversation.yaml", "    question: Hello\n    alternates:\n", "    question: Hello\n    alternats:\n"),
    ("conversation.yaml", "Hello, and welcome", "Hello, and guaranteed welcome"),
    ("regression.yaml", "cases:\n", 'cases:\n  - question: "hello"\n    answer: thanks\n'),
]


class Recorder:
    """Everything the clients saw, shared between threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.failures: Counter[str] = Counter()
        self.versions: Counter[str] = Counter()
        self.greetings: list[tuple[str, str]] = []  # (answers_version, greeting text)
        self.first_seen: dict[str, float] = {}

    def record(self, body: dict[str, Any] | None, failure: str | None) -> None:
        with self.lock:
            self.requests += 1
            if failure is not None or body is None:
                self.failures[failure or "no body"] += 1
                return
            version = body["answers_version"]
            self.versions[version] += 1
            self.first_seen.setdefault(version, time.monotonic())
            answer = body.get("answer")
            if answer and answer["id"] == "greeting":
                self.greetings.append((version, answer["answer"]))
                if body["message"] != answer["answer"]:
                    self.greetings.append((version, "message differs from answer"))


def client_loop(port: int, recorder: Recorder, stop: threading.Event, offset: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    index = offset
    while not stop.is_set():
        question = QUESTIONS[index % len(QUESTIONS)]
        index += 1
        try:
            connection.request(
                "POST", "/api/ask", json.dumps({"question": question}), {"Content-Type": "application/json"}
            )
            response = connection.getresponse()
            data = response.read()
            if response.status != 200:
                recorder.record(None, f"HTTP {response.status}")
                continue
            recorder.record(json.loads(data), None)
        except (OSError, http.client.HTTPException, ValueError) as error:
            recorder.record(None, type(error).__name__)
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.close()


def readyz(port: int) -> dict[str, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/readyz")
        response = connection.getresponse()
        body: dict[str, Any] = json.loads(response.read())
        return body
    finally:
        connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of changing content (default 60)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--clients", type=int, default=8, help="client threads sending /api/ask (default 8)")
    parser.add_argument("--interval", type=float, default=0.5, help="RELOAD_INTERVAL of the server (default 0.5)")
    parser.add_argument("--step", type=float, default=1.0, help="seconds between content changes (default 1)")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="faq-bot-reload-")
    folder = os.path.join(workdir, "answers")
    shutil.copytree(os.path.join(REPO, "answers"), folder)
    env = dict(
        os.environ,
        FAQ_BOT_ANSWERS_DIR=folder,
        FAQ_BOT_RELOAD_INTERVAL=str(args.interval),
        FAQ_BOT_RATELIMIT_ENABLED="false",  # this measures reload, not the rate limiter
        FAQ_BOT_DATABASE_URL=f"sqlite:///{workdir}/events.sqlite3",
    )
    good: dict[str, str] = {}  # version -> greeting text
    broken: set[str] = set()
    written: list[tuple[float, str, str]] = []  # (time, kind, version)
    recorder = Recorder()
    stop = threading.Event()
    try:
        with running_server(env, Path(workdir) / "server.log", workers=args.workers) as server:
            port = urlsplit(server.base).port or 0
            pristine = {
                name: open(os.path.join(folder, name), encoding="utf-8").read()
                for name in ("conversation.yaml", "regression.yaml")
            }
            good[content_version(folder)] = GREETING

            clients = [
                threading.Thread(target=client_loop, args=(port, recorder, stop, n), daemon=True)
                for n in range(args.clients)
            ]
            for client in clients:
                client.start()

            def write(name: str, text: str) -> None:
                with open(os.path.join(folder, name), "w", encoding="utf-8") as handle:  # an editor's plain save
                    handle.write(text)

            began = time.monotonic()
            step = 0
            while time.monotonic() - began < args.duration:
                edit = step // 3 + 1
                phase = step % 3
                if phase in (0, 2):  # a good change, or the fix of the breakage before it
                    for name, text in pristine.items():
                        if name != "conversation.yaml":
                            write(name, text)
                    new_greeting = f"Hello, and welcome (edit {edit}{'a' if phase == 2 else ''})."
                    write("conversation.yaml", pristine["conversation.yaml"].replace(GREETING, new_greeting, 1))
                    version = content_version(folder)
                    good[version] = new_greeting
                    written.append((time.monotonic(), "good", version))
                else:
                    name, old, new = BREAKAGES[(edit - 1) % len(BREAKAGES)]
                    current = open(os.path.join(folder, name), encoding="utf-8").read()
                    assert old in current, (name, old)
                    write(name, current.replace(old, new, 1))
                    version = content_version(folder)
                    broken.add(version)
                    written.append((time.monotonic(), "broken", version))
                step += 1
                time.sleep(args.step)
            final = written[-1]
            if final[1] != "good":  # always end on good content
                final_text = pristine["conversation.yaml"].replace(GREETING, "Hello, and welcome (final).", 1)
                write("conversation.yaml", final_text)
                for name, text in pristine.items():
                    if name != "conversation.yaml":
                        write(name, text)
                version = content_version(folder)
                good[version] = "Hello, and welcome (final)."
                written.append((time.monotonic(), "good", version))
            final_version = written[-1][2]

            # Convergence: sample /readyz until every worker reports the final version (bounded).
            workers_on_final: set[int] = set()
            workers_seen: set[int] = set()
            for _ in range(2000):
                body = readyz(port)
                worker = body.get("reload", {}).get("worker")
                workers_seen.add(worker)
                if body["answers_version"] == final_version:
                    workers_on_final.add(worker)
                if len(workers_on_final) >= args.workers:
                    break
                time.sleep(0.05)
            stop.set()
            for client in clients:
                client.join(30)
    except RuntimeError as error:  # the server never got ready
        print(error)
        return 1
    finally:
        stop.set()

    from_broken = sum(count for version, count in recorder.versions.items() if version in broken)
    known = set(good) | broken
    unknown = sum(count for version, count in recorder.versions.items() if version not in known)
    mismatched = sum(
        1 for version, text in recorder.greetings if version in good and not text.startswith(good[version])
    )
    lags = [
        recorder.first_seen[version] - at
        for at, kind, version in written
        if kind == "good" and version in recorder.first_seen and recorder.first_seen[version] >= at
    ]
    elapsed = args.duration
    print(f"command: {' '.join(sys.argv)}")
    print(f"server: faq-bot serve, {args.workers} workers, RELOAD_INTERVAL {args.interval:g}s, {args.clients} clients")
    print(
        f"content states written: {len(written)} ({sum(k == 'good' for _, k, _ in written)} good, "
        f"{sum(k == 'broken' for _, k, _ in written)} broken), one every {args.step:g}s for {elapsed:g}s"
    )
    print(f"requests: {recorder.requests} ({recorder.requests / elapsed:.0f}/s during changes)")
    print(f"failed requests: {sum(recorder.failures.values())} {dict(recorder.failures) or ''}")
    print(f"replies from broken content: {from_broken}; from content never written: {unknown}")
    print(f"greetings checked against their version's text: {len(recorder.greetings)}, mismatched: {mismatched}")
    print(f"versions served: {len(recorder.versions)} of {len(good)} good states")
    if lags:
        print(
            f"write -> first reply with that version: median {statistics.median(lags):.2f}s, "
            f"max {max(lags):.2f}s (information only)"
        )
    converged = len(workers_on_final) >= args.workers
    print(
        f"convergence: {len(workers_on_final)} of {args.workers} workers report the final version "
        f"{final_version} (workers seen: {len(workers_seen)})"
    )
    ok = not recorder.failures and not from_broken and not unknown and not mismatched and converged
    print("OK" if ok else "FAILED")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Ask latency while the rate limiter's Redis hangs (SIGSTOP), against a real `faq-bot serve`.

Usage:
    python benchmarks/hung_redis.py [--seconds N] [--clients C] [--storage-timeout S]

Starts a private ``redis-server`` on a free loopback port (never the shared one) and
``faq-bot serve`` (gunicorn, the deployment's workers and threads) with its rate limits
counted in that Redis. C clients ask questions from ``benchmarks/patient_questions.yaml``
in a closed loop through three phases of N seconds each: Redis healthy, Redis stopped
with SIGSTOP (connections are accepted by the kernel but never answered: the hung case),
and Redis continued. It prints p50, p99 and the slowest ask of each phase, and the
server's ``rate_limits`` from /readyz at the end of each.

``--storage-timeout 0`` reproduces the service before issue 14 (no socket timeout on the
limiter's Redis: the redis client's own waits and retries).
Only one setting differs from a deployment: the limit is high, since every client here
has the address 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.measure import machine, running_server  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    str(case["question"])
    for case in yaml.safe_load((REPO_ROOT / "benchmarks" / "patient_questions.yaml").read_text(encoding="utf-8"))[
        "cases"
    ]
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_redis(folder: str) -> tuple[subprocess.Popen[bytes], int]:
    """A private redis-server on a free loopback port, once it answers PING."""
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--dir", folder],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                if connection.recv(16).startswith(b"+PONG"):
                    return server, port
        except OSError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            raise RuntimeError("redis-server did not start")
        time.sleep(0.05)


class Phase:
    """Latencies and failures of the asks made while one phase lasts."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.latencies: list[float] = []
        self.failures = 0
        self.lock = threading.Lock()

    def record(self, seconds: float, ok: bool) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.failures += 0 if ok else 1

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)
        if not ordered:
            return {"phase": self.name, "asks": 0}

        def percentile(share: float) -> float:
            return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

        return {
            "phase": self.name,
            "asks": len(ordered),
            "failures": self.failures,
            "p50_ms": round(percentile(0.50) * 1000, 1),
            "p99_ms": round(percentile(0.99) * 1000, 1),
            "max_ms": round(ordered[-1] * 1000, 1),
            "over_500ms": sum(1 for seconds in ordered if seconds > 0.5),
        }


def client_loop(port: int, current: list[Phase], stop: threading.Event, offset: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    index = offset
    while not stop.is_set():
        body = json.dumps({"question": QUESTIONS[index % len(QUESTIONS)]})
        index += 1
        phase = current[0]
        started = time.perf_counter()
        try:
            connection.request("POST", "/api/ask", body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            ok = response.status == 200
        except (OSError, http.client.HTTPException):
            ok = False
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        phase.record(time.perf_counter() - started, ok)
    connection.close()


def rate_limits(port: int) -> dict[str, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", "/readyz")
        body: dict[str, Any] = json.loads(connection.getresponse().read())
        return dict(body.get("rate_limits", {}))
    finally:
        connection.close()


def measure(seconds: float, clients: int, storage_timeout: float | None) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="faq-bot-hung-redis-") as temp:
        redis_server, redis_port = start_redis(temp)
        try:
            env = dict(
                os.environ,
                FAQ_BOT_RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{redis_port}/0",
                FAQ_BOT_RATELIMIT_ASK="1000000 per minute",
                FAQ_BOT_DATABASE_URL=f"sqlite:///{temp}/events.sqlite3",
            )
            if storage_timeout is not None:
                env["FAQ_BOT_RATELIMIT_STORAGE_TIMEOUT"] = str(storage_timeout)
            with running_server(env, Path(temp, "server.log")) as server:
                port = int(server.base.rsplit(":", 1)[1])
                phases = [Phase("healthy"), Phase("hung (SIGSTOP)"), Phase("resumed (SIGCONT)")]
                current = [phases[0]]
                stop = threading.Event()
                threads = [
                    threading.Thread(target=client_loop, args=(port, current, stop, n * 7), daemon=True)
                    for n in range(clients)
                ]
                for thread in threads:
                    thread.start()
                limits_at_end = []
                for phase, sent in zip(phases, (None, signal.SIGSTOP, signal.SIGCONT), strict=True):
                    if sent is not None:
                        redis_server.send_signal(sent)
                    current[0] = phase
                    time.sleep(seconds)
                    limits_at_end.append(rate_limits(port))  # of whichever worker answers
                stop.set()
                for thread in threads:
                    thread.join(timeout=90)
                # An ask counts in the phase it started in, however long it took.
                results = [
                    {**phase.summary(), "rate_limits": limits}
                    for phase, limits in zip(phases, limits_at_end, strict=True)
                ]
                log = [line for line in server.output().splitlines() if "[faq-bot rate-limit]" in line]
                return [*results, {"rate_limit_log": log}]
        finally:
            redis_server.send_signal(signal.SIGCONT)
            redis_server.terminate()
            redis_server.wait(timeout=10)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each phase")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients in a closed loop")
    parser.add_argument(
        "--storage-timeout", type=float, default=None, help="RATELIMIT_STORAGE_TIMEOUT (default: the setting's)"
    )
    args = parser.parse_args(argv)
    print(f"{machine()}; {args.clients} clients, {args.seconds:g} s a phase")
    for row in measure(args.seconds, args.clients, args.storage_timeout):
        print(json.dumps(row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

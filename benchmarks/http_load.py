"""Load the real server on loopback: /api/ask with real questions next to /healthz.

Usage:
    python benchmarks/http_load.py [--seconds N] [--rounds R] [--connections C] [--workers W] [--json]

Starts ``faq-bot serve`` (gunicorn, gthread workers, the deployment's settings from
``faq_bot/settings.py``) on a free port of 127.0.0.1 and drives it with ``wrk``
(Debian: ``apt-get install -y wrk``), one wrk thread, C keep-alive connections:

* ``healthz``: ``GET /healthz``, the cheapest request the server can answer: the
  baseline of what gunicorn, Flask and the request log cost on this machine;
* ``ask``: ``POST /api/ask`` cycling through every question of
  ``benchmarks/patient_questions.yaml`` (answers, "did you mean", clinical, emergency
  and unmatched questions, as patients type them), through a generated wrk Lua script.

Both run against the same server in the same run, after a warm-up of each, taking
turns (``--rounds``, 5 by default) so a slow moment of a shared machine hits both; the
figure that matters is the ratio of ``ask`` to ``healthz`` requests per second. The
server processes' CPU time (``/proc/PID/stat``) is read around every turn as well:
CPU per request is the same figure freed from how wrk's keep-alive connections happened
to spread over the workers, which moves single-turn ratios a lot. Only
two settings differ from a deployment: the rate limit is off (``RATELIMIT_ENABLED``:
every request comes from one address) and the events database is a SQLite file in a
temporary folder rather than the repository's ``instance/``. Errors are socket errors,
timeouts and any response other than 2xx/3xx. Memory per worker is read from
``/proc`` after the run: RSS, and PSS (shared pages split between the processes that
share them, so PSS adds up to what the workers really cost together). The threads'
voluntary context switches per request are read the same way: under concurrent load
most are hand-overs of the interpreter lock between a worker's threads.

Nothing leaves the machine: the server listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.measure import machine, running_server  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
CASES = REPO_ROOT / "benchmarks" / "patient_questions.yaml"
WARMUP_SECONDS = 2

# wrk prints this one JSON line from done(); latencies are in microseconds.
LUA_DONE = """
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '\\nFAQ_BOT_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, '
    .. '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout))
end
"""


def lua_long_string(text: str) -> str:
    """A Lua long-bracket literal holding text verbatim, whatever it contains."""
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def ask_script(questions: Sequence[str]) -> str:
    """A wrk script that POSTs the questions to /api/ask in turn, starting at a different one per thread."""
    bodies = ",\n  ".join(lua_long_string(json.dumps({"question": q})) for q in questions)
    return f"""
local bodies = {{
  {bodies}
}}
local requests = {{}}
local index = 0
init = function(args)
  local headers = {{["Content-Type"] = "application/json"}}
  for i, body in ipairs(bodies) do
    requests[i] = wrk.format("POST", "/api/ask", headers, body)
  end
  index = math.random(#requests) - 1
end
request = function()
  index = index % #requests + 1
  return requests[index]
end
{LUA_DONE}
"""


def run_wrk(url: str, script: Path, seconds: float, connections: int) -> dict[str, Any]:
    command = [
        "wrk",
        "--threads",
        "1",
        "--connections",
        str(connections),
        "--duration",
        f"{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "--latency",
        "--script",
        str(script),
        url,
    ]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    if finished.returncode != 0:
        raise SystemExit(f"wrk failed ({finished.returncode}): {finished.stderr.strip() or finished.stdout.strip()}")
    line = next((line for line in finished.stdout.splitlines() if line.startswith("FAQ_BOT_RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no result:\n{finished.stdout}")
    raw = json.loads(line.removeprefix("FAQ_BOT_RESULT "))
    errors = raw["connect"] + raw["read"] + raw["write"] + raw["status"] + raw["timeout"]
    return {
        "rps": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "errors": errors,
        "_requests": raw["requests"],
        "_duration_s": raw["duration_us"] / 1e6,
        "_max_ms": round(raw["max_us"] / 1000, 2),
        "_error_kinds": {key: raw[key] for key in ("connect", "read", "write", "status", "timeout") if raw[key]},
    }


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("PPid:") and int(line.split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def cpu_seconds(pids: Sequence[int]) -> float:
    """User plus system CPU time the processes have used so far, from /proc/PID/stat."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


def context_switches(pids: Sequence[int]) -> int:
    """Voluntary context switches of every thread of the processes so far, from /proc/PID/task/*/status.

    A thread switches out voluntarily when it waits: for the socket, or for the interpreter
    lock another thread of its worker holds. Under load the second kind dominates.
    """
    total = 0
    for pid in pids:
        for status in Path(f"/proc/{pid}/task").glob("*/status"):
            try:
                lines = status.read_text().splitlines()
            except OSError:
                continue
            total += sum(int(line.split()[1]) for line in lines if line.startswith("voluntary_ctxt_switches"))
    return total


def memory_mb(pid: int) -> dict[str, float]:
    """RSS and PSS of one process in MB, from /proc."""
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("Rss", "Pss"):
            values[key.lower() + "_mb"] = round(int(rest.split()[0]) / 1024, 1)
    return values


def questions_from_cases() -> list[str]:
    with open(CASES, encoding="utf-8") as handle:
        return [str(case["question"]) for case in yaml.safe_load(handle)["cases"]]


def combined(rounds: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One endpoint's rounds as one figure: all requests over all seconds; the median p50, the worst p99."""
    requests = sum(row["_requests"] for row in rounds)
    duration = sum(row["_duration_s"] for row in rounds)
    kinds: dict[str, int] = {}
    for row in rounds:
        for kind, count in row["_error_kinds"].items():
            kinds[kind] = kinds.get(kind, 0) + count
    return {
        "rps": round(requests / duration, 1) if duration else 0.0,
        "p50_ms": sorted(row["p50_ms"] for row in rounds)[len(rounds) // 2],
        "p99_ms": max(row["p99_ms"] for row in rounds),
        "errors": sum(row["errors"] for row in rounds),
        "_requests": requests,
        "_max_ms": max(row["_max_ms"] for row in rounds),
        "_error_kinds": kinds,
        "_round_rps": [row["rps"] for row in rounds],
        "cpu_ms_per_request": round(sum(row["_cpu_s"] for row in rounds) * 1000 / requests, 3) if requests else 0.0,
        "switches_per_request": round(sum(row["_switches"] for row in rounds) / requests, 2) if requests else 0.0,
    }


def measure(seconds: float, connections: int, workers: int | None, rounds: int) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk (Debian/Ubuntu) or see github.com/wg/wrk")
    questions = questions_from_cases()
    with tempfile.TemporaryDirectory(prefix="faq-bot-load-") as temp:
        env = dict(
            os.environ, FAQ_BOT_RATELIMIT_ENABLED="false", FAQ_BOT_DATABASE_URL=f"sqlite:///{temp}/events.sqlite3"
        )
        ask_lua = Path(temp, "ask.lua")
        ask_lua.write_text(ask_script(questions), encoding="utf-8")
        healthz_lua = Path(temp, "healthz.lua")
        healthz_lua.write_text(LUA_DONE, encoding="utf-8")
        with running_server(env, Path(temp, "server.log"), workers=workers) as server:
            base = server.base
            for url, script in ((f"{base}/healthz", healthz_lua), (f"{base}/api/ask", ask_lua)):
                run_wrk(url, script, WARMUP_SECONDS, connections)
            healthz_rounds: list[dict[str, Any]] = []
            ask_rounds: list[dict[str, Any]] = []
            server_pids = [server.process.pid, *children_of(server.process.pid)]
            for _ in range(rounds):  # turns, so a noisy moment on a shared machine hits both endpoints alike
                for url, script, results in (
                    (f"{base}/healthz", healthz_lua, healthz_rounds),
                    (f"{base}/api/ask", ask_lua, ask_rounds),
                ):
                    cpu_before, switches_before = cpu_seconds(server_pids), context_switches(server_pids)
                    row = run_wrk(url, script, seconds / rounds, connections)
                    row["_cpu_s"] = cpu_seconds(server_pids) - cpu_before
                    row["_switches"] = context_switches(server_pids) - switches_before
                    results.append(row)
            healthz, ask = combined(healthz_rounds), combined(ask_rounds)
            worker_pids = children_of(server.process.pid)
            per_worker = [dict(pid=pid, **memory_mb(pid)) for pid in worker_pids]
            master = memory_mb(server.process.pid)
    return {
        "ask": ask,
        "healthz": healthz,
        "ratio": round(ask["rps"] / healthz["rps"], 3) if healthz["rps"] else 0.0,
        "cpu_ratio": round(healthz["cpu_ms_per_request"] / ask["cpu_ms_per_request"], 3)
        if ask["cpu_ms_per_request"]
        else 0.0,
        "memory": {"workers": per_worker, "master": master},
        "_setup": {
            "seconds": seconds,
            "connections": connections,
            "workers": len(worker_pids),
            "questions": len(questions),
            "rounds": rounds,
        },
    }


def print_table(result: dict[str, Any]) -> None:
    setup = result["_setup"]
    print(
        f"HTTP load on loopback: faq-bot serve ({setup['workers']} gunicorn workers), wrk 1 thread, "
        f"{setup['connections']} connections, {setup['seconds']:g} s per endpoint in {setup['rounds']} turns; "
        f"{machine()}"
    )
    print(f"/api/ask cycles through {setup['questions']} labelled patient questions; rate limit off")
    print()
    print(
        f"  {'endpoint':<14} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>7} {'requests':>9} "
        f"{'server CPU ms/req':>18} {'switches/req':>13}"
    )
    for label, key in (("GET /healthz", "healthz"), ("POST /api/ask", "ask")):
        row = result[key]
        print(
            f"  {label:<14} {row['rps']:>9.1f} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} {row['_max_ms']:>8.2f} "
            f"{row['errors']:>7} {row['_requests']:>9} {row['cpu_ms_per_request']:>18.3f} "
            f"{row['switches_per_request']:>13.2f}"
        )
        if row["_error_kinds"]:
            print(f"    errors: {row['_error_kinds']}")
    print()
    print(f"  ask / healthz throughput: {result['ratio']:.2f}x (target >= 0.5 with 0 errors)")
    print(
        f"  server CPU per request, healthz / ask: {result['cpu_ratio']:.2f}x (the throughput ratio once the "
        "server's cores are its only limit)"
    )
    print(
        "  switches/req: voluntary context switches of the server's threads per request (waits for the socket "
        "or for the interpreter lock)"
    )
    turns = zip(result["ask"]["_round_rps"], result["healthz"]["_round_rps"], strict=True)
    print("  per turn: " + ", ".join(f"{ask / healthz:.2f}x" if healthz else "-" for ask, healthz in turns))
    for worker in result["memory"]["workers"]:
        print(f"  worker {worker['pid']}: RSS {worker['rss_mb']:.1f} MB, PSS {worker['pss_mb']:.1f} MB")
    master = result["memory"]["master"]
    print(f"  master: RSS {master['rss_mb']:.1f} MB, PSS {master['pss_mb']:.1f} MB")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per endpoint (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="keep-alive connections (default 16)")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: the WORKERS setting)")
    parser.add_argument(
        "--rounds", type=int, default=5, help="turns the endpoints take, each --seconds/--rounds long (default 5)"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    if not 1 <= args.seconds <= 600:
        parser.error("--seconds must be between 1 and 600")
    if not 1 <= args.rounds <= args.seconds:
        parser.error("--rounds must be between 1 and --seconds (each turn lasts at least 1 s)")

    result = measure(args.seconds, args.connections, args.workers, args.rounds)
    if args.json:
        public = {key: value for key, value in result.items() if not key.startswith("_")}
        for key in ("ask", "healthz"):
            public[key] = {name: value for name, value in result[key].items() if not name.startswith("_")}
        print(json.dumps(public, indent=2))
    else:
        print_table(result)
    return 0 if result["ask"]["errors"] == 0 and result["healthz"]["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

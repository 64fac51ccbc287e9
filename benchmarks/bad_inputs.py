"""A matrix of bad requests against a real `faq-bot serve`: how many get a 5xx (the target is 0).

Usage:
    python benchmarks/bad_inputs.py [--show N] [--ref GIT-REF]

Starts ``faq-bot serve`` on a free loopback port (admin on, limits off: every request comes
from 127.0.0.1) and sends every combination of the bodies, query strings and headers below
to the JSON API, the look-up and the admin: malformed and deeply nested JSON, wrong types,
NUL characters and lone surrogates, oversized and chunked bodies, Unicode digits in
numbers, odd Host headers. ``--ref`` runs the code of another commit (a temporary
worktree put first on sys.path), for a before-and-after count. It prints how many
requests were sent, the count by status, the count of 5xx and of non-JSON errors from
the API, and the first N of each.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.measure import CHECKOUT_FAQ_BOT, checkout_of, running_server  # noqa: E402

TOKEN = "bad-inputs-token"
DEEP = 1000

BODIES: list[bytes] = [
    b"",
    b"null",
    b"{}",
    b"[]",
    b"{not json",
    b'{"question": "unterminated',
    b"[" * DEEP + b"]" * DEEP,
    b'{"question":' * DEEP + b'"x"' + b"}" * DEEP,
    b'{"question": ' + b"[" * DEEP + b"]" * DEEP + b"}",
    b'{"question": "\\u0000 nul"}',
    b'{"question": "lone \\ud800 surrogate"}',
    b'{"question": "\xff\xfe not utf-8"}',
    b'{"question": 42}',
    b'{"question": true}',
    b'{"question": {"a": 1}}',
    b'{"question": ""}',
    b'{"question": "' + b"a" * 1001 + b'"}',
    b'{"question": "' + b"a" * 20000 + b'"}',
    b'{"question": "\xc2\xb2"}',
    b'{"answer_id": "sleep", "helpful": "yes"}',
    b'{"answer_id": 7, "helpful": true}',
    b'{"answer_id": "\\u0000", "helpful": true}',
    b'{"question": "sleep", "answer_id": ["x"]}',
    b'{"question": "sleep", "answer_id": "' + b"x" * 5000 + b'"}',
    b"1e999999",
    b'"just a string"',
    b'{"question": "ok", "question": "dup"}',
    b"\x00\x01\x02",
    b'{"question": "' + "é".encode() * 600 + b'"}',
]
CONTENT_TYPES = [
    "application/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "application/json; charset=latin-1",
]
POSTS = ["/api/ask", "/api/feedback", "/api/picked"]
QUERY_VALUES = [
    "",
    "²",
    "١٢",
    "３０",
    "-1",
    "0",
    "99999999999999999999",
    "1e3",
    "%00",
    "\x00",
    "\ud800",
    "a" * 5000,
    "7",
]
GETS = [
    "/api/search?q={v}",
    "/api/search?q=sleep&limit={v}",
    "/api/answers/{v}",
    "/lookup?q={v}",
    "/lookup?id={v}",
    "/lookup/route?q={v}",
    "/admin/api/stats?days={v}",
    "/admin/api/inbox?days={v}",
    "/admin/api/feedback?days={v}",
    "/admin?days={v}",
    "/api/answers?x={v}",
    "/api/openapi.json?{v}",
    "/readyz?{v}",
    "/widget.js?v={v}",
    "/metrics?{v}",
    "/?q={v}",
    "/api/{v}",
    "/admin/api/{v}",
]
HOSTS = ["attacker.example", "", "a b", "[::1", "localhost:99999", "localhost:0", "xn--", "é.example"]


def encoded(value: str) -> str:
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def requests() -> Iterator[tuple[str, str, bytes | None, dict[str, str], bool]]:
    """(method, path, body, headers, chunked) of every bad request."""
    admin = {"Authorization": f"Bearer {TOKEN}"}
    for path in POSTS:
        for body in BODIES:
            for content_type in CONTENT_TYPES:
                yield "POST", path, body, {"Content-Type": content_type}, False
            yield "POST", path, body, {"Content-Type": "application/json"}, True
    for template in GETS:
        for value in QUERY_VALUES:
            yield "GET", template.format(v=encoded(value)), None, admin, False
    for host in HOSTS:
        for path in ("/api/answers", "/lookup", "/healthz"):
            yield "GET", path, None, {"Host": host}, False
    for method in ("PUT", "DELETE", "PATCH", "OPTIONS"):
        for path in POSTS + ["/api/answers", "/admin/api/stats"]:
            yield method, path, b"{}", {"Content-Type": "application/json", "Origin": "http://evil.example"}, False
    yield "POST", "/api/ask", b"x" * 200000, {"Content-Type": "application/json"}, True


def send(
    port: int, method: str, path: str, body: bytes | None, headers: dict[str, str], chunked: bool
) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        if "Host" in headers:
            connection.putrequest(method, path, skip_host=True)
        else:
            connection.putrequest(method, path)
        for name, value in headers.items():
            connection.putheader(name, value)
        if chunked:
            connection.putheader("Transfer-Encoding", "chunked")
            connection.endheaders()
            data = body or b""
            for start in range(0, len(data), 4096):
                piece = data[start : start + 4096]
                connection.send(b"%x\r\n%s\r\n" % (len(piece), piece))
            connection.send(b"0\r\n\r\n")
        else:
            if body is not None:
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("Content-Type") or ""
    except (OSError, http.client.HTTPException) as error:
        return 0, type(error).__name__  # the server closed: not a 5xx, but shown
    finally:
        connection.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show", type=int, default=10, help="how many 5xx to print")
    parser.add_argument("--ref", default=None, help="measure this git commit's code instead of the checkout's")
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        code = str(stack.enter_context(checkout_of(args.ref))) if args.ref else None
        return measure(code, args.show)


def measure(code: str | None, show: int) -> int:
    with tempfile.TemporaryDirectory(prefix="faq-bot-bad-inputs-") as temp:
        env = dict(
            os.environ,
            **({"FAQ_BOT_ANSWERS_DIR": f"{code}/answers"} if code else {}),
            FAQ_BOT_ADMIN_TOKEN=TOKEN,
            FAQ_BOT_RATELIMIT_ENABLED="false",
            FAQ_BOT_DATABASE_URL=f"sqlite:///{temp}/events.sqlite3",
        )
        program = CHECKOUT_FAQ_BOT
        if code:  # -c puts the working folder (this checkout) first on sys.path: put the other one before it
            program = (
                sys.executable,
                "-c",
                f"import sys; sys.path.insert(0, {code!r}); from faq_bot.cli import main; main()",
            )
        with running_server(env, Path(temp, "server.log"), program=program) as server:
            port = int(server.base.rsplit(":", 1)[1])
            statuses: Counter[int] = Counter()
            server_errors: list[str] = []
            not_json: list[str] = []
            for method, path, body, headers, chunked in requests():
                status, content_type = send(port, method, path, body, headers, chunked)
                statuses[status] += 1
                if status >= 500:
                    server_errors.append(f"{status} {method} {path[:80]} {(body or b'')[:40]!r} chunked={chunked}")
                if status >= 400 and path.startswith("/api/") and "json" not in content_type:
                    not_json.append(f"{status} {method} {path[:60]} ({content_type})")
    print(f"requests: {sum(statuses.values())}")
    print("by status: " + json.dumps(dict(sorted(statuses.items()))))
    print(f"5xx: {len(server_errors)}")
    for line in server_errors[:show]:
        print("  " + line)
    print(f"API errors that are not JSON: {len(not_json)}")
    for line in not_json[:show]:
        print("  " + line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

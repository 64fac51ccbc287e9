"""Browser-facing policy: the Host allow-list, CORS for the JSON API and security headers for the HTML pages.

A request whose Host header is not in ``ALLOWED_HOSTS`` gets a 400 JSON error, which shuts
out DNS rebinding (a foreign page whose own name resolves to this server). The API answers
pages on its own origin, plus the origins listed in ``ALLOWED_ORIGINS``; a request from
any other origin gets a 403 JSON error, so a foreign page cannot use the service even
with a request the browser sends without a preflight.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request

from faq_bot.http_errors import error_response

API_PREFIX = "/api/"
CORS_METHODS = "GET, POST, OPTIONS"
CORS_HEADERS = "Content-Type"
PREFLIGHT_MAX_AGE = "600"


# Probes from an orchestrator name the server by its address; these reveal nothing personal.
HOST_CHECK_EXEMPT = ("/healthz", "/readyz")
# A Host header: a name or IPv4 address, or an IPv6 address in brackets, then an optional port.
_HOST_HEADER = re.compile(r"(?P<name>[^\s\[\]:/]+|\[[0-9a-f:.]+\])(?::\d{1,5})?")


def _setting_items(setting: str | Iterable[str] | None) -> list[str]:
    """A list setting's items, lower-case: comma- or space-separated text, or already a list."""
    if not setting:
        return []
    items = setting.replace(",", " ").split() if isinstance(setting, str) else setting
    return [item.strip().lower() for item in items if item.strip()]


def allowed_hosts(setting: str | Iterable[str] | None) -> frozenset[str]:
    """The ``ALLOWED_HOSTS`` setting as a set of lower-case names ('.name' for a domain and its subdomains)."""
    return frozenset(_setting_items(setting))


def is_allowed_host(host: str, allowed: frozenset[str]) -> bool:
    """True when the Host header ``host`` (port ignored) is in ``allowed``.

    Not Flask's ``TRUSTED_HOSTS``: Werkzeug 3.1 cuts each entry at its first colon, so
    ``[::1]`` could never be allowed.
    """
    if "*" in allowed:
        return True
    match = _HOST_HEADER.fullmatch(host.lower())
    if match is None:
        return False
    name = match.group("name").rstrip(".")
    return name in allowed or any(
        entry.startswith(".") and (name == entry[1:] or name.endswith(entry)) for entry in allowed
    )


def allowed_origins(setting: str | Iterable[str] | None) -> frozenset[str]:
    """The ``ALLOWED_ORIGINS`` setting as a set of ``scheme://host[:port]`` strings."""
    return frozenset(item.rstrip("/") for item in _setting_items(setting))


def is_same_origin(origin: str, host: str) -> bool:
    """True when the Origin header names this server's host.

    The scheme is not compared: behind a TLS-terminating proxy the service sees http
    while the browser says https.
    """
    return urlsplit(origin).netloc.lower() == host.lower()


def content_security_policy(frame_ancestors: str) -> str:
    """The CSP of every HTML page: scripts and styles from this origin only, never inline."""
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "form-action 'self'",
            "base-uri 'none'",
            "object-src 'none'",
            f"frame-ancestors {frame_ancestors}",
        )
    )


def install(app: Flask) -> None:
    """Register the CORS check and the header hooks on ``app``."""

    def foreign_origin() -> str | None:
        """The request's Origin when it is neither this host nor an allowed origin."""
        origin = request.headers.get("Origin")
        if origin is None or is_same_origin(origin, request.host):
            return None
        if origin.rstrip("/").lower() in allowed_origins(current_app.config["ALLOWED_ORIGINS"]):
            return None
        return origin

    hosts = allowed_hosts(app.config["ALLOWED_HOSTS"])

    @app.before_request
    def refuse_unknown_hosts() -> tuple[Response, int] | None:
        if request.path in HOST_CHECK_EXEMPT or is_allowed_host(request.host, hosts):
            return None
        return error_response(
            400, "host-not-allowed", "This service does not answer to that host name (see ALLOWED_HOSTS)."
        )

    @app.before_request
    def refuse_foreign_origins() -> tuple[Response, int] | None:
        if request.path.startswith(API_PREFIX) and foreign_origin() is not None:
            return error_response(403, "origin-not-allowed", "This site is not allowed to use the FAQ service.")
        return None

    @app.after_request
    def add_headers(response: Response) -> Response:
        response.headers["X-Content-Type-Options"] = "nosniff"
        if request.path.startswith(API_PREFIX):
            response.vary.add("Origin")
            origin = request.headers.get("Origin")
            if origin is not None and foreign_origin() is None and not is_same_origin(origin, request.host):
                response.headers["Access-Control-Allow-Origin"] = origin
                if request.method == "OPTIONS":
                    response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
                    response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
                    response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
        if response.mimetype == "text/html":
            response.headers["Content-Security-Policy"] = content_security_policy(
                str(current_app.config["FRAME_ANCESTORS"])
            )
            response.headers["Referrer-Policy"] = "same-origin"
            response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        return response

"""Browser-facing policy: CORS for the JSON API and security headers for the HTML pages.

The API answers pages on its own origin, plus the origins listed in ``ALLOWED_ORIGINS``;
a request from any other origin gets a 403 JSON error, so a foreign page cannot use the
service even with a request the browser sends without a preflight.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request

from faq_bot.http_errors import error_response

API_PREFIX = "/api/"
CORS_METHODS = "GET, POST, OPTIONS"
CORS_HEADERS = "Content-Type"
PREFLIGHT_MAX_AGE = "600"


def allowed_origins(setting: str | Iterable[str] | None) -> frozenset[str]:
    """The ``ALLOWED_ORIGINS`` setting as a set of ``scheme://host[:port]`` strings."""
    if not setting:
        return frozenset()
    items = setting.replace(",", " ").split() if isinstance(setting, str) else setting
    return frozenset(item.strip().rstrip("/").lower() for item in items if item.strip())


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

"""Health and metrics: /healthz (the process runs), /readyz (content loaded, with details), /metrics."""

from __future__ import annotations

import os
from typing import Any

from flask import Blueprint, Response, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from faq_bot.ops import operations_of
from faq_bot.state import state_of

health = Blueprint("health", __name__)
PAGE_FILES = {
    "template_folder": ("base.html", "demo.html", "lookup.html", "admin.html", "admin_sign_in.html"),
    "static_folder": ("widget.js", "lookup.js", "pages.css", "admin.css"),
}


def missing_page_files() -> list[str]:
    """The templates and static files the pages need that are not on disk (an install without them)."""
    missing = []
    for folder_attribute, names in PAGE_FILES.items():
        folder = str(getattr(current_app, folder_attribute) or "")
        missing += [os.path.join(folder, name) for name in names if not os.path.isfile(os.path.join(folder, name))]
    return missing


@health.get("/healthz")
def healthz() -> Response:
    return jsonify({"status": "ok"})


@health.get("/readyz")
def readyz() -> tuple[Response, int]:
    state = state_of(current_app)
    if state.book is None:
        return jsonify({"status": "starting"}), 503
    missing = missing_page_files()
    if missing:  # the API would answer, but the widget and pages would fail: not ready
        return jsonify({"status": "broken", "missing_files": missing}), 503
    body: dict[str, Any] = {
        "status": "ready",
        "answers": len(state.book.published),
        "answers_version": state.book.version,
    }
    if state.events is not None:
        body["events"] = state.events.status()  # written / dropped / queued: a database outage shows here
    body["rate_limits"] = operations_of(current_app).rate_limit_status()  # storage_down: Redis failed
    if state.reloader is not None:
        body["reload"] = state.reloader.status.as_dict()  # "failed": still serving the last good content
    return jsonify(body), 200


@health.get("/metrics")
def metrics() -> Response:
    return Response(generate_latest(operations_of(current_app).scrape_registry()), mimetype=CONTENT_TYPE_LATEST)

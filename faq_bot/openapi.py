"""Serve the OpenAPI description of the HTTP API (``faq_bot/openapi.yaml``) as JSON."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from flask import Blueprint, Response, current_app

SPEC_FILE = Path(__file__).with_name("openapi.yaml")

openapi = Blueprint("openapi", __name__)


@lru_cache(maxsize=1)
def load_spec() -> dict[str, Any]:
    """Read the OpenAPI document once; it ships with the code, so it never changes while running."""
    with open(SPEC_FILE, encoding="utf-8") as handle:
        spec: dict[str, Any] = yaml.safe_load(handle)
    return spec


@lru_cache(maxsize=1)
def _spec_json() -> bytes:
    return json.dumps(load_spec(), ensure_ascii=False, indent=1).encode()


@openapi.get("/openapi.json")
def openapi_json() -> Response:
    return current_app.response_class(_spec_json(), mimetype="application/json")

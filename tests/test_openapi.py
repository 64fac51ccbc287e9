"""The OpenAPI description matches the app: its routes, its real responses, and fuzzed requests."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from schemathesis import GenerationMode

from faq_bot import create_app
from faq_bot.openapi import load_spec
from tests.conftest import SERVICE

SPEC_URI = "urn:faq-bot:openapi"
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
# JSON routes outside the public API description, and why.
UNDOCUMENTED = {
    "/admin/api/inbox": "staff-only, behind ADMIN_TOKEN",
    "/admin/api/feedback": "staff-only, behind ADMIN_TOKEN",
    "/admin/api/stats": "staff-only, behind ADMIN_TOKEN",
    "/lookup/route": "the look-up page's own helper, not an API",
}
SCHEMATHESIS_EXAMPLES = 40  # per operation: enough to find 5xx and shape drift, quick enough for every run


def fuzz_app(tmp_path: Path) -> Flask:
    """The real app and content, rate limits off: one test client sends every request."""
    return create_app(
        {
            "TESTING": True,
            "ANSWERS_DIR": SERVICE,
            "RATELIMIT_ENABLED": False,
            "DATABASE_URL": f"sqlite:///{tmp_path}/fuzz-events.sqlite3",
        }
    )


def documented_routes(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (path, method.upper()) for path, item in spec["paths"].items() for method in item if method.upper() in METHODS
    }


def app_routes(app: Flask) -> set[tuple[str, str]]:
    """(OpenAPI-style path, method) of every JSON route: /api/*, /healthz, /readyz."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if not (rule.rule.startswith("/api/") or rule.rule in ("/healthz", "/readyz")):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        routes |= {(path, method) for method in (rule.methods or set()) & METHODS}
    return routes


def validate_response(response: Any, path: str, method: str) -> None:
    """Check a real response against the description of that path, method and status."""
    spec = load_spec()
    responses = spec["paths"][path][method.lower()]["responses"]
    status = str(response.status_code)
    assert status in responses, f"{method} {path} answered {status}, which is not documented"
    described = responses[status]
    pointer = f"/paths/{_escape(path)}/{method.lower()}/responses/{status}"
    if "$ref" in described:
        pointer = described["$ref"].removeprefix("#")
        described = _resolve(spec, pointer)
    if "content" not in described:
        assert response.get_data() == b"", f"{method} {path} {status} should have no body"
        return
    assert response.mimetype in described["content"], response.mimetype
    schema_pointer = f"{pointer}/content/{_escape(response.mimetype)}/schema"
    registry: Registry[Any] = Registry().with_resource(SPEC_URI, Resource.from_contents(spec, DRAFT202012))
    validator = Draft202012Validator(
        {"$ref": f"{SPEC_URI}#{schema_pointer}"}, registry=registry, format_checker=FormatChecker()
    )
    errors = [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(response.get_json())]
    assert not errors, f"{method} {path} {status} does not match its schema: {errors}"


def documented_path(url: str) -> str:
    """The description's path template that a concrete URL falls under."""
    path = url.split("?")[0]
    for template in load_spec()["paths"]:
        if re.fullmatch(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)), path):
            return str(template)
    raise AssertionError(f"{path} is not in the description")


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _resolve(spec: dict[str, Any], pointer: str) -> Any:
    node: Any = spec
    for part in pointer.strip("/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_description_is_served_as_json(client: FlaskClient) -> None:
    """GET /api/openapi.json returns the OpenAPI 3.1 document."""
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == load_spec()
    assert load_spec()["openapi"].startswith("3.1")


def test_every_schema_is_valid_json_schema() -> None:
    """Each component schema is itself valid JSON Schema (2020-12, as OpenAPI 3.1 uses)."""
    for name, schema in load_spec()["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema), name


def test_description_covers_exactly_the_json_routes(app: Flask) -> None:
    """Every JSON route of the app is documented with its methods, and nothing documented is missing."""
    documented = documented_routes(load_spec())
    served = {route for route in app_routes(app) if route[0] not in UNDOCUMENTED}
    assert served - documented == set(), "routes missing from faq_bot/openapi.yaml"
    assert documented - served == set(), "documented routes the app does not serve"


REAL_REQUESTS = [
    ("POST", "/api/ask", {"question": "does cannabis help with sleep"}),
    ("POST", "/api/ask", {"question": "hello"}),
    ("POST", "/api/ask", {"question": "cannabis"}),  # vague: the specialist
    ("POST", "/api/ask", {"question": "sleep and spasms"}),  # two answers close: "did you mean"
    ("POST", "/api/ask", {"question": "prescription"}),
    ("POST", "/api/ask", {"question": "tell me more"}),
    ("POST", "/api/ask", {"question": "what dose should I take"}),
    ("POST", "/api/ask", {"question": "I want to kill myself"}),
    ("POST", "/api/ask", {"question": "what time does the car park open"}),
    ("POST", "/api/ask", {"question": ""}),
    ("POST", "/api/ask", {"question": 3}),
    ("POST", "/api/ask", {"question": "x" * 5000}),
    ("POST", "/api/ask", "not json"),
    ("GET", "/api/answers", None),
    ("GET", "/api/answers/sleep", None),
    ("GET", "/api/answers/no-such-answer", None),
    ("GET", "/api/search?q=side+effects&limit=3", None),
    ("GET", "/api/search?q=", None),
    ("GET", "/api/search?q=pain&limit=0", None),
    ("GET", "/api/search?q=pain&limit=many", None),
    ("POST", "/api/feedback", {"answer_id": "sleep", "helpful": True}),
    ("POST", "/api/feedback", {"answer_id": "nope", "helpful": False}),
    ("POST", "/api/feedback", {"answer_id": "sleep", "helpful": "yes"}),
    ("POST", "/api/picked", {"question": "help me sleep", "answer_id": "sleep"}),
    ("POST", "/api/picked", {"question": "help me sleep", "answer_id": None}),
    ("GET", "/api/openapi.json", None),
    ("GET", "/healthz", None),
    ("GET", "/readyz", None),
]


NESTED = [
    "[" * 1000 + "]" * 1000,
    '{"question":' * 1000 + '"x"' + "}" * 1000,
    '{"question": ' + "[" * 999 + "]" * 999 + "}",
]


@pytest.mark.parametrize("url", ["/api/ask", "/api/feedback", "/api/picked"])
@pytest.mark.parametrize("body", NESTED, ids=["list", "object", "in-question"])
def test_deeply_nested_bodies_get_documented_400s(client: FlaskClient, url: str, body: str) -> None:
    """JSON nested about 1,000 deep (once a RecursionError 500) gets a documented 400."""
    response = client.post(url, data=body, content_type="application/json")
    assert response.status_code == 400
    validate_response(response, url, "POST")


@pytest.mark.parametrize("limit", ["²", "1²", "٣٠", "Ⅻ", "-1", "0"])
def test_unicode_digits_in_numbers_get_documented_responses(client: FlaskClient, limit: str) -> None:
    """Unicode digits in ?limit= never crash the search: a documented 200 or 400."""
    response = client.get("/api/search", query_string={"q": "pain", "limit": limit})
    assert response.status_code in (200, 400)
    validate_response(response, "/api/search", "GET")


@pytest.mark.parametrize(("method", "url", "body"), REAL_REQUESTS)
def test_real_responses_match_the_description(client: FlaskClient, method: str, url: str, body: Any) -> None:
    """Answers, suggestions, routes and errors the app really sends all match the documented schemas."""
    if isinstance(body, str):
        response = client.open(url, method=method, data=body, content_type="text/plain")
    else:
        response = client.open(url, method=method, json=body)
    validate_response(response, documented_path(url), method)


def test_every_reply_route_is_seen_and_valid(client: FlaskClient) -> None:
    """The four routes each occur in the table above, so the Reply schema is checked on all of them."""
    routes = set()
    for _method, url, body in REAL_REQUESTS:
        if url == "/api/ask" and isinstance(body, dict):
            response = client.post(url, json=body)
            if response.status_code == 200:
                routes.add(response.get_json()["route"])
    assert routes == {"answer", "clarify", "specialist", "emergency"}


def test_fuzzed_requests_get_no_5xx_and_documented_responses(tmp_path: Path) -> None:
    """schemathesis: generated requests, valid and invalid, get no 5xx and only documented responses."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", fuzz_app(tmp_path))
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = {operation.label for operation in operations}
    # schemathesis leaves out the operation that serves the schema itself.
    assert labels == {f"{method} {path}" for path, method in documented_routes(load_spec())} - {"GET /api/openapi.json"}
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if mode is GenerationMode.NEGATIVE and not (len(operation.body) or len(operation.query)):
                continue  # no body or query to make invalid (any path text is a valid answer id)

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=SCHEMATHESIS_EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def call(case: Any) -> None:
                case.call_and_validate()

            call()

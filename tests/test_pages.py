"""HTML pages, the widget script, security headers and CORS, without a browser."""

from __future__ import annotations

import gzip
import os
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from faq_bot import create_app
from faq_bot.pages import highlight
from faq_bot.web_security import allowed_origins, is_same_origin
from tests.conftest import REPO, SERVICE, assert_error

FOREIGN = "https://clinic.example"
STATIC = os.path.join(REPO, "faq_bot", "static")
WIDGET_GZIP_BUDGET = 10_000  # bytes; the README reports the actual size


@pytest.fixture
def cors_client() -> FlaskClient:
    app: Flask = create_app(
        {
            "TESTING": True,
            "ANSWERS_DIR": SERVICE,
            "ALLOWED_ORIGINS": f"{FOREIGN}, https://b.example",
            "RATELIMIT_ENABLED": False,
        }
    )
    return app.test_client()


# -- security headers -------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/lookup", "/lookup?q=sleep&id=sleep", "/lookup?id=nope"])
def test_html_pages_send_security_headers(client: FlaskClient, path: str) -> None:
    """Every HTML page has a strict CSP, nosniff and a Referrer-Policy."""
    response = client.get(path)
    assert response.mimetype == "text/html"
    csp = {part.split()[0]: part.split()[1:] for part in response.headers["Content-Security-Policy"].split("; ")}
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'self'"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_frame_ancestors_is_a_setting() -> None:
    """FRAME_ANCESTORS sets who may frame the pages."""
    app = create_app({"TESTING": True, "ANSWERS_DIR": SERVICE, "FRAME_ANCESTORS": "'none'"})
    csp = app.test_client().get("/").headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp


@pytest.mark.parametrize("path", ["/", "/lookup?q=sleep&id=sleep"])
def test_pages_have_no_inline_script_or_style(client: FlaskClient, path: str) -> None:
    """The pages work under the CSP: every script has a src, and there is no inline style."""
    html = client.get(path).get_data(as_text=True)
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert "<style" not in html and " style=" not in html
    assert re.search(r"\son[a-z]+=", html) is None


def test_widget_script_is_small_and_never_parses_html(client: FlaskClient) -> None:
    """widget.js stays within its gzip budget and inserts text only (no innerHTML, no eval)."""
    with client.get("/widget.js") as response:
        body = response.data
    assert len(gzip.compress(body, 9)) < WIDGET_GZIP_BUDGET
    for name in ("widget.js", "lookup.js"):
        with open(os.path.join(STATIC, name), encoding="utf-8") as handle:
            source = handle.read()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
            assert sink not in source, f"{name} uses {sink}"


# -- CORS -----------------------------------------------------------------------------------------


def test_same_origin_is_served_without_cors_headers(client: FlaskClient) -> None:
    """With no ALLOWED_ORIGINS the API serves its own origin and says it varies by Origin."""
    response = client.post("/api/ask", json={"question": "sleep"}, headers={"Origin": "http://localhost"})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Origin" in response.headers["Vary"]


def test_foreign_origin_is_refused_by_default(client: FlaskClient) -> None:
    """A page on another origin gets a 403 JSON error when none is allowed."""
    response = client.post("/api/ask", json={"question": "sleep"}, headers={"Origin": FOREIGN})
    assert_error(response, 403, "origin-not-allowed")
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Origin" in response.headers["Vary"]


def test_allowed_origin_gets_cors_headers(cors_client: FlaskClient) -> None:
    """An origin in ALLOWED_ORIGINS is answered with its own Access-Control-Allow-Origin."""
    response = cors_client.post("/api/ask", json={"question": "sleep"}, headers={"Origin": "https://b.example"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "https://b.example"
    assert "Origin" in response.headers["Vary"]


def test_allowed_origin_preflight(cors_client: FlaskClient) -> None:
    """The browser's preflight for a JSON POST is answered for an allowed origin."""
    response = cors_client.options(
        "/api/ask",
        headers={
            "Origin": FOREIGN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code in (200, 204)
    assert response.headers["Access-Control-Allow-Origin"] == FOREIGN
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]


def test_other_origins_are_refused_when_some_are_allowed(cors_client: FlaskClient) -> None:
    """An origin not in the list is refused, preflight included."""
    assert_error(cors_client.get("/api/answers", headers={"Origin": "https://evil.example"}), 403, "origin-not-allowed")
    preflight = cors_client.options("/api/ask", headers={"Origin": "null", "Access-Control-Request-Method": "POST"})
    assert_error(preflight, 403, "origin-not-allowed")


def test_pages_and_widget_are_not_origin_checked(client: FlaskClient) -> None:
    """Any site may load widget.js with a script tag; only the API checks origins."""
    with client.get("/widget.js", headers={"Origin": FOREIGN}) as response:
        assert response.status_code == 200 and response.mimetype == "text/javascript"


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("", frozenset()),
        (None, frozenset()),
        ("https://a.example, https://B.example/", frozenset({"https://a.example", "https://b.example"})),
        ("https://a.example https://b.example:8443", frozenset({"https://a.example", "https://b.example:8443"})),
        (["https://a.example"], frozenset({"https://a.example"})),
    ],
)
def test_allowed_origins_setting_parses(setting: object, expected: frozenset[str]) -> None:
    """ALLOWED_ORIGINS takes commas or spaces (or a JSON list from the environment)."""
    assert allowed_origins(setting) == expected  # type: ignore[arg-type]


def test_same_origin_ignores_the_scheme() -> None:
    """Behind a TLS proxy the app sees http while the browser says https: still the same site."""
    assert is_same_origin("https://faq.clinic.example", "faq.clinic.example")
    assert not is_same_origin("https://faq.clinic.example.evil.test", "faq.clinic.example")


# -- the look-up page without JavaScript -------------------------------------------------------------


def test_lookup_search_renders_ranked_results_with_highlights(client: FlaskClient) -> None:
    """/lookup?q= renders ranked results, the matched phrasing highlighted, each linking to its answer."""
    response = client.get("/lookup?q=side+effects")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<li class="result" data-id="side-effects">' in html
    assert "<mark>" in html
    assert "/lookup?q=side+effects&amp;id=side-effects" in html
    assert response.headers["Cache-Control"] == "no-store"


def test_lookup_deep_link_to_an_answer(client: FlaskClient) -> None:
    """/lookup?id= shows the whole answer with its source and review date."""
    answer = client.get("/api/answers/sleep").get_json()
    html = client.get("/lookup?id=sleep").get_data(as_text=True)
    assert f'<h2 id="answer-heading" tabindex="-1">{answer["question"]}</h2>' in html
    assert answer["reviewed_on"] in html and "Source" in html


def test_lookup_unknown_answer_is_a_404_page(client: FlaskClient) -> None:
    """An unknown id is a 404 HTML page that still offers search and topics."""
    response = client.get("/lookup?id=no-such-answer")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "No such answer" in response.get_data(as_text=True)


def test_lookup_lists_every_answer_by_topic(client: FlaskClient) -> None:
    """With no search the page lists every published answer under its topic."""
    html = client.get("/lookup").get_data(as_text=True)
    answers = client.get("/api/answers").get_json()["answers"]
    for answer in answers:
        assert f'data-id="{answer["id"]}"' in html
    for topic in {answer["topic"] for answer in answers}:
        assert f"<h3>{topic}</h3>" in html


@pytest.mark.parametrize(
    ("question", "route", "reason"),
    [
        ("I took too many pills and can't breathe", "emergency", "emergency"),
        ("can I stop my pregabalin if I start cannabis?", "specialist", "clinical"),
    ],
)
def test_lookup_badges_questions_the_chat_would_not_answer(
    client: FlaskClient, question: str, route: str, reason: str
) -> None:
    """A question the chat would route to emergency or the specialist gets a badge."""
    html = client.get("/lookup", query_string={"q": question}).get_data(as_text=True)
    assert f'data-route="{route}" data-reason="{reason}"' in html


def test_lookup_badges_an_answer_the_chat_would_give_with_a_caveat(client: FlaskClient) -> None:
    """Without JavaScript too, the page says the chat would add the caveat; a general wording gets no badge."""
    html = client.get("/lookup", query_string={"q": "can my GP prescribe it"}).get_data(as_text=True)
    assert 'data-route="answer" data-reason="matched"' in html
    assert "Your specialist can tell you what applies to you." in html
    plain = client.get("/lookup", query_string={"q": "who can prescribe medical cannabis"}).get_data(as_text=True)
    assert 'class="badge' not in plain


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("I took too many pills and can't breathe", {"route": "emergency", "reason": "emergency", "caveat": None}),
        ("Who can prescribe medical cannabis?", {"route": "answer", "reason": "matched", "caveat": None}),
        (
            "Can my GP prescribe medical cannabis?",
            {
                "route": "answer",
                "reason": "matched",
                "caveat": "This is general information. Your specialist can tell you what applies to you.",
            },
        ),
        ("   ", {"route": None, "reason": None, "caveat": None}),
    ],
)
def test_lookup_route_says_where_the_chat_would_send_a_question(
    client: FlaskClient, query: str, expected: dict[str, str | None]
) -> None:
    """/lookup/route gives the badge its route, and the caveat the chat would add, without going through /api/ask."""
    assert client.get("/lookup/route", query_string={"q": query}).get_json() == expected


def test_lookup_escapes_the_search_text(client: FlaskClient) -> None:
    """Markup typed into the search is escaped, never rendered."""
    html = client.get("/lookup", query_string={"q": '"><script>alert(1)</script>'}).get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    ("text", "query", "marked"),
    [
        ("does cannabis help sleep", "sleeping badly", ["sleep"]),
        ("what are the side effects", "side effect", ["side", "effects"]),
        ("is it right for me", "is it for me", []),
        ("Cannabis and MS", "cannabis", ["Cannabis"]),
    ],
)
def test_highlight_marks_words_shared_with_the_search(text: str, query: str, marked: list[str]) -> None:
    """Words sharing a stem-like prefix with the search are marked; very common words are not."""
    pieces = highlight(text, query)
    assert "".join(piece for piece, _ in pieces) == text
    assert [piece for piece, is_match in pieces if is_match] == marked

"""The HTTP API as written in CONTRACT.md: shapes, routes and every error path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from flask.testing import FlaskClient
from werkzeug.test import EnvironBuilder, TestResponse, run_wsgi_app
from werkzeug.wrappers import Request

from faq_bot import create_app
from faq_bot.content import load_answer_book
from faq_bot.ops import events_of
from tests.conftest import ANSWERS, SERVICE, assert_error

ANSWER_KEYS = {"id", "question", "answer", "topic", "source", "reviewed_on"}


def ask(client: FlaskClient, question: object) -> dict:
    response = client.post("/api/ask", json={"question": question})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_ask_answers_with_a_vetted_answer(client: FlaskClient) -> None:
    """A plain general question gets its vetted answer, with every contract field."""
    body = ask(client, "Who can prescribe medical cannabis?")
    assert body["route"] == "answer" and body["reason"] == "matched"
    assert ANSWER_KEYS <= set(body["answer"])
    assert body["answer"]["id"] == "who-can-prescribe"
    assert body["message"] == body["answer"]["answer"]
    assert 0 <= body["confidence"] <= 100
    assert body["suggestions"] == []
    assert body["answers_version"] == client.get("/readyz").get_json()["answers_version"]


def test_emergency_wins_over_a_matching_answer(client: FlaskClient) -> None:
    """An urgent message is signposted even when it also matches an answer."""
    body = ask(client, "does cannabis help sleep? I took too many pills and can't breathe")
    assert body["route"] == "emergency" and body["reason"] == "emergency"
    assert body["answer"] is None
    for number in ("999", "111", "116 123"):
        assert number in body["message"]


def test_clinical_question_goes_to_specialist(client: FlaskClient) -> None:
    """A personal clinical question gets the specialist message, never an answer."""
    body = ask(client, "can I stop my pregabalin if I start cannabis?")
    assert (body["route"], body["reason"], body["answer"]) == ("specialist", "clinical", None)
    assert "specialist" in body["message"]


def test_off_topic_question_is_unmatched(client: FlaskClient) -> None:
    """A question no answer covers goes to the specialist as unmatched."""
    body = ask(client, "what's the weather in Leeds tomorrow")
    assert (body["route"], body["reason"], body["answer"]) == ("specialist", "unmatched", None)


@pytest.mark.parametrize(
    ("question", "answer_id"), [("hello", "greeting"), ("thanks!", "thanks"), ("are you a bot?", "about-this-service")]
)
def test_smalltalk_is_an_ordinary_answer(client: FlaskClient, question: str, answer_id: str) -> None:
    """Greetings, thanks and 'are you a bot' are answers with reason smalltalk."""
    body = ask(client, question)
    assert (body["route"], body["reason"], body["answer"]["id"]) == ("answer", "smalltalk", answer_id)


def test_clarify_offers_two_to_four_suggestions(client: FlaskClient) -> None:
    """A question close to several answers gets a short 'did you mean' list, best first."""
    body = ask(client, "sleep and spasms")
    assert body["route"] == "clarify" and body["reason"] == "ambiguous"
    assert body["answer"] is None
    assert 2 <= len(body["suggestions"]) <= 4
    assert all(set(s) == {"id", "question"} for s in body["suggestions"])


# shared/CONTRACT.md, "Required answer ids": copied here because it is a promise made outside the code.
CONTRACT_IDS = {
    "ms-pain", "standard-treatments",
    "how-it-may-help", "endocannabinoid-system", "muscle-stiffness-spasms", "sleep", "reported-benefits",
    "results-vary", "research-evidence", "complementary-approach", "side-effects", "suitability",
    "uk-availability", "who-can-prescribe", "eligibility", "assessment", "personalised-treatment",
    "follow-up", "monitoring",
    "fibromyalgia", "ehlers-danlos", "other-conditions",
    "greeting", "thanks", "about-this-service",
}  # fmt: skip


@pytest.fixture(scope="module")
def real_client() -> FlaskClient:
    """A client of the app on the real answers/, for what the content itself promises."""
    return create_app({"TESTING": True, "ANSWERS_DIR": ANSWERS, "RATELIMIT_ENABLED": False}).test_client()


def test_answers_lists_every_required_id(real_client: FlaskClient) -> None:
    """GET /api/answers on the real content lists published answers, including every id of the contract."""
    body = real_client.get("/api/answers").get_json()
    ids = {answer["id"] for answer in body["answers"]}
    assert CONTRACT_IDS <= ids
    assert body["answers_version"]


def test_the_content_requires_every_contract_id() -> None:
    """answers/sources.yaml lists each contract id under required_answers, so no edit can drop one."""
    sources = yaml.safe_load((Path(ANSWERS) / "sources.yaml").read_text(encoding="utf-8"))
    assert CONTRACT_IDS <= set(sources["required_answers"])


def test_answer_by_id_and_unknown_id(client: FlaskClient) -> None:
    """GET /api/answers/<id> returns one answer, or a 404 JSON error."""
    body = client.get("/api/answers/sleep").get_json()
    assert body["id"] == "sleep" and ANSWER_KEYS <= set(body)
    assert_error(client.get("/api/answers/no-such-answer"), 404, "unknown-answer")


def test_search_ranks_without_routing(client: FlaskClient) -> None:
    """Staff search returns ranked results even for clinical wording."""
    results = client.get("/api/search?q=side effects dose&limit=3").get_json()["results"]
    assert 1 <= len(results) <= 3
    assert results[0]["id"] == "side-effects"
    assert set(results[0]) == {"id", "question", "topic", "score", "matched"}
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)
    assert client.get("/api/search?q=").get_json() == {"results": []}


@pytest.mark.parametrize("limit", ["0", "51", "ten"])
def test_search_rejects_bad_limits(client: FlaskClient, limit: str) -> None:
    """A limit outside 1..50 or not a number is a 400."""
    assert_error(client.get(f"/api/search?q=sleep&limit={limit}"), 400, "invalid-limit")


def test_feedback_is_recorded(app, client: FlaskClient) -> None:
    """POST /api/feedback counts the vote and answers 204."""
    response = client.post("/api/feedback", json={"answer_id": "sleep", "helpful": True})
    assert response.status_code == 204
    store = events_of(app)
    assert store.flush()
    assert [(row.answer_id, row.helpful, row.unhelpful) for row in store.feedback()] == [("sleep", 1, 0)]


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"answer_id": "sleep", "helpful": "yes"}, 400, "invalid-helpful"),
        ({"answer_id": 3, "helpful": True}, 400, "invalid-answer-id"),
        ({"answer_id": "nope", "helpful": False}, 404, "unknown-answer"),
    ],
)
def test_feedback_errors(client: FlaskClient, payload: dict, status: int, code: str) -> None:
    """Bad feedback gets a clear JSON error."""
    assert_error(client.post("/api/feedback", json=payload), status, code)


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"json": {}}, 400, "missing-question"),
        ({"json": {"question": ""}}, 400, "empty-question"),
        ({"json": {"question": "   "}}, 400, "empty-question"),
        ({"json": {"question": 42}}, 400, "invalid-question"),
        ({"json": {"question": None}}, 400, "invalid-question"),
        ({"json": ["question"]}, 400, "invalid-body"),
        ({"data": "null", "content_type": "application/json"}, 400, "invalid-body"),
        ({"data": "{not json", "content_type": "application/json"}, 400, "malformed-json"),
        ({"data": "question=hi", "content_type": "application/x-www-form-urlencoded"}, 415, "unsupported-media-type"),
        ({"data": "hi"}, 415, "unsupported-media-type"),
        ({"json": {"question": "a" * 1001}}, 413, "question-too-long"),
        ({"data": '{"question": "' + "a" * 20000 + '"}', "content_type": "application/json"}, 413, "body-too-large"),
    ],
)
def test_ask_errors(client: FlaskClient, kwargs: dict, status: int, code: str) -> None:
    """Every bad request to /api/ask is a JSON error, never a 500."""
    assert_error(client.post("/api/ask", **kwargs), status, code)


def chunked_ask(client: FlaskClient, body: bytes) -> TestResponse:
    """POST /api/ask the way a server hands over a chunked body: no Content-Length, stream terminated."""
    environ = EnvironBuilder("/api/ask", method="POST", data=body, content_type="application/json").get_environ()
    del environ["CONTENT_LENGTH"]
    environ["wsgi.input_terminated"] = True  # as gunicorn says of a chunked body
    app_iter, status, headers = run_wsgi_app(client.application, environ, buffered=True)
    return TestResponse(app_iter, status, headers, request=Request(environ))


def test_chunked_bodies_are_limited_too(client: FlaskClient) -> None:
    """A chunked body over MAX_CONTENT_LENGTH is 413 body-too-large, not a truncated 'malformed JSON'."""
    assert_error(chunked_ask(client, b'{"question": "' + b"a" * 20000 + b'"}'), 413, "body-too-large")
    reply = chunked_ask(client, json.dumps({"question": "does cannabis help with sleep"}).encode())
    assert reply.status_code == 200 and reply.get_json()["answer"]["id"] == "sleep"


def test_flask_errors_are_json(client: FlaskClient) -> None:
    """404 and 405, which Flask answers in HTML by default, use the JSON shape."""
    assert_error(client.get("/api/nowhere"), 404, "not-found")
    assert_error(client.get("/api/ask"), 405, "method-not-allowed")


def test_health_and_readiness(client: FlaskClient) -> None:
    """/healthz says ok; /readyz counts the loaded answers and names the version."""
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz").get_json()
    assert ready["status"] == "ready" and ready["answers"] == len(load_answer_book(SERVICE).published)


def test_pages_are_served(client: FlaskClient) -> None:
    """The demo page embeds the widget; the widget and look-up page are served."""
    assert b"widget.js" in client.get("/").data
    with client.get("/widget.js") as widget:
        assert widget.mimetype == "text/javascript"
    page = client.get("/lookup?q=sleep")
    assert page.status_code == 200 and b"sleep" in page.data.lower()


def test_personal_wording_of_a_general_question_gets_the_answer_with_a_caveat(client: FlaskClient) -> None:
    """'how is my treatment monitored' is answered, with the caveat; the general wording gets none."""
    personal = ask(client, "how is my treatment monitored")
    general = ask(client, "how is treatment monitored")
    assert personal["route"] == general["route"] == "answer"
    assert personal["answer"]["id"] == general["answer"]["id"] == "monitoring"
    assert "your specialist" in personal["caveat"].lower()
    assert general["caveat"] is None
    decision = ask(client, "should I take more when the pain is bad")
    assert (decision["route"], decision["reason"], decision["caveat"]) == ("specialist", "clinical", None)


@pytest.mark.parametrize(
    ("typed", "answer_id"),
    [
        ("ehlers", "ehlers-danlos"),
        ("fibro", "fibromyalgia"),
        ("presc", "who-can-prescribe"),
        ("nhs", "uk-availability"),
        ("monit", "monitoring"),
        ("hyperm", "ehlers-danlos"),
    ],
)
def test_search_takes_a_half_typed_last_word_as_the_start_of_a_word(
    real_client: FlaskClient, typed: str, answer_id: str
) -> None:
    """Look-up: a half-typed last word is completed, so the answer it starts ranks first."""
    results = real_client.get("/api/search", query_string={"q": typed, "limit": 3}).get_json()["results"]
    assert results and results[0]["id"] == answer_id
    assert results[0]["score"] >= 70


def test_search_for_a_half_typed_word_finds_answers_about_it(client: FlaskClient) -> None:
    """Look-up: 'canna' finds the cannabis answers; a finished word (space after it) is not completed."""
    results = client.get("/api/search", query_string={"q": "canna", "limit": 5}).get_json()["results"]
    assert len(results) == 5 and all("cannabis" in result["question"].lower() for result in results)
    assert min(result["score"] for result in results) >= 50
    # a finished word (a space after it) is not completed
    finished = client.get("/api/search", query_string={"q": "presc ", "limit": 3}).get_json()["results"]
    assert not finished or finished[0]["score"] < 50

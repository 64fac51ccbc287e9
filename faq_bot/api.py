"""The JSON API: views parse the request, call the service and render its reply."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from faq_bot.book import AnswerBook
from faq_bot.errors import QuestionError
from faq_bot.http_errors import error_response
from faq_bot.ops import events_of, note_reply
from faq_bot.service import Reply, answer_question
from faq_bot.state import ServiceState, state_of

api = Blueprint("api", __name__)
MAX_SEARCH_LIMIT = 50


def _state() -> tuple[ServiceState, AnswerBook]:
    state = state_of(current_app)
    if state.book is None:
        raise QuestionError(503, "not-ready", "The answers are still loading. Please try again in a moment.")
    return state, state.book


def _json_object() -> dict[str, Any]:
    """The request body as a JSON object, or a QuestionError saying what is wrong."""
    if not request.is_json:
        raise QuestionError(415, "unsupported-media-type", "Send the request as JSON (Content-Type: application/json).")
    max_length = current_app.config["MAX_CONTENT_LENGTH"]
    too_large = QuestionError(413, "body-too-large", f"The request body is larger than {max_length} bytes.")
    if request.content_length is not None and request.content_length > max_length:
        raise too_large
    # A chunked body has no length to check first; Werkzeug stops reading it at the limit,
    # so a body that fills the limit was cut short rather than parsed as it came.
    if request.content_length is None and len(request.get_data(cache=True)) >= max_length:
        raise too_large
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # about 1,000 nested brackets fit in 2 KB; no field of the API nests
        raise QuestionError(400, "malformed-json", "The request body is nested too deeply to read.") from None
    if data is None and request.get_data(cache=True).strip() not in (b"null",):
        raise QuestionError(400, "malformed-json", "The request body is not valid JSON.")
    if not isinstance(data, dict):
        raise QuestionError(400, "invalid-body", "The request body must be a JSON object.")
    return data


def _question(data: dict[str, Any]) -> str:
    if "question" not in data:
        raise QuestionError(400, "missing-question", "Add a 'question' field with the patient's question.")
    question = data["question"]
    if not isinstance(question, str):
        raise QuestionError(400, "invalid-question", "'question' must be a string.")
    if not question.strip():
        raise QuestionError(400, "empty-question", "'question' is empty.")
    limit = int(current_app.config["MAX_QUESTION_LENGTH"])
    if len(question) > limit:
        raise QuestionError(413, "question-too-long", f"The question is longer than {limit} characters.")
    return question


@api.post("/ask")
def ask() -> Response:
    state, book = _state()
    question = _question(_json_object())
    reply = answer_question(book, question, state.thresholds)
    _record_reply(question, reply)
    return jsonify(reply.body())


def _record_reply(question: str, reply: Reply) -> None:
    """Count the reply and queue its event; never raises, never waits for the database."""
    try:
        note_reply(current_app, reply.route, reply.reason)
        nearest = reply.candidates[0].answer_id if reply.candidates else None
        events_of(current_app).record_reply(
            route=reply.route,
            reason=reply.reason,
            question=question,
            nearest=nearest,
            confidence=reply.confidence,
            suggestions=[s["id"] for s in reply.suggestions],
            answers_version=reply.answers_version,
        )
    except Exception:
        current_app.logger.exception("could not record a reply event")


@api.get("/answers")
def list_answers() -> Response:
    _, book = _state()
    return jsonify({"answers": [answer.public() for answer in book.published], "answers_version": book.version})


@api.get("/answers/<answer_id>")
def get_answer(answer_id: str) -> Response | tuple[Response, int]:
    _, book = _state()
    answer = book.get(answer_id)
    if answer is None:
        return error_response(404, "unknown-answer", f"There is no answer with id '{answer_id}'.")
    return jsonify(answer.public())


@api.get("/search")
def search() -> Response:
    _, book = _state()
    query = request.args.get("q", "")
    raw_limit = request.args.get("limit", str(current_app.config["SEARCH_LIMIT"]))
    try:
        limit = int(raw_limit)
    except ValueError:
        raise QuestionError(400, "invalid-limit", "'limit' must be a whole number.") from None
    if not 1 <= limit <= MAX_SEARCH_LIMIT:
        raise QuestionError(400, "invalid-limit", f"'limit' must be between 1 and {MAX_SEARCH_LIMIT}.")
    if len(query) > int(current_app.config["MAX_QUESTION_LENGTH"]):
        raise QuestionError(413, "question-too-long", "The search text is too long.")
    results = []
    for candidate in book.engine.search(query, limit=limit) if query.strip() else []:
        answer = book.answers[candidate.answer_id]
        results.append(
            {
                "id": answer.id,
                "question": answer.question,
                "topic": answer.topic,
                "score": candidate.score,
                "matched": candidate.matched,
            }
        )
    return jsonify({"results": results})


@api.post("/feedback")
def feedback() -> tuple[str, int]:
    _, book = _state()
    data = _json_object()
    answer_id = data.get("answer_id")
    helpful = data.get("helpful")
    if not isinstance(answer_id, str) or not answer_id:
        raise QuestionError(400, "invalid-answer-id", "'answer_id' must be the id of an answer.")
    if not isinstance(helpful, bool):
        raise QuestionError(400, "invalid-helpful", "'helpful' must be true or false.")
    if book.get(answer_id) is None:
        raise QuestionError(404, "unknown-answer", f"There is no answer with id '{answer_id}'.")
    events_of(current_app).record_feedback(answer_id, helpful)
    return "", 204


@api.post("/picked")
def picked() -> tuple[str, int]:
    """The widget reports which 'did you mean' suggestion the patient chose (null: none of these)."""
    _, book = _state()
    data = _json_object()
    question = _question(data)
    answer_id = data.get("answer_id")
    if answer_id is not None and (not isinstance(answer_id, str) or not answer_id):
        raise QuestionError(400, "invalid-answer-id", "'answer_id' must be the id of an answer, or null.")
    if answer_id is not None and book.get(answer_id) is None:
        raise QuestionError(404, "unknown-answer", f"There is no answer with id '{answer_id}'.")
    events_of(current_app).record_pick(question, answer_id)
    return "", 204

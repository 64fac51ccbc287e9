"""HTML pages: the demo page with the widget, the receptionists' look-up, the widget script."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request, send_from_directory

from faq_bot.web import state_of

pages = Blueprint("pages", __name__)


@pages.get("/")
def demo() -> str:
    return render_template("demo.html")


@pages.get("/widget.js")
def widget() -> Response:
    response = send_from_directory(current_app.static_folder or "static", "widget.js", mimetype="text/javascript")
    response.cache_control.max_age = 300
    return response


@pages.get("/lookup")
def lookup() -> str:
    book = state_of(current_app).book
    query = request.args.get("q", "")[: int(current_app.config["MAX_QUESTION_LENGTH"])]
    results = book.engine.rank(query, limit=10) if book and query.strip() else []
    return render_template("lookup.html", query=query, results=results, book=book)

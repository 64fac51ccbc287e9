"""The admin surface and its CLI: token, inbox, feedback, stats; shared by instances on PostgreSQL."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from benchmarks.services import postgres_schema
from faq_bot.cli import main
from faq_bot.ops import events_of
from tests.conftest import ANSWERS, app_builder, assert_error

TOKEN = "s3cret-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PARKING = ["is there parking at the clinic? my name is Jo Bloggs", "where can i park", "is there parking at the clinic"]


@pytest.fixture
def make_app(events_database: str) -> Iterator[Any]:
    with app_builder(ADMIN_TOKEN=TOKEN, RATELIMIT_ENABLED=False) as build:
        yield build


def fill(app: Flask) -> Counter[str]:
    """Ask unanswered, clinical, emergency and answered questions, and vote; return the routes given."""
    client = app.test_client()
    routes: Counter[str] = Counter()
    for question in PARKING + ["can i stop my pregabalin?", "I want to end my life", "hello"]:
        response = client.post("/api/ask", json={"question": question})
        assert response.status_code == 200
        routes[response.get_json()["route"]] += 1
    for answer_id, helpful in [("sleep", True), ("side-effects", False), ("side-effects", False), ("sleep", False)]:
        assert client.post("/api/feedback", json={"answer_id": answer_id, "helpful": helpful}).status_code == 204
    assert events_of(app).flush()
    return routes


@pytest.mark.parametrize("path", ["/admin", "/admin/api/inbox", "/admin/api/feedback", "/admin/api/stats"])
def test_admin_needs_the_bearer_token(make_app: Any, path: str) -> None:
    """Without the right token every admin route answers 401 JSON; with it, 200."""
    client = make_app().test_client()
    assert_error(client.get(path), 401, "unauthorized")
    assert client.get(path).headers["WWW-Authenticate"].startswith("Bearer")
    assert_error(client.get(path, headers={"Authorization": "Bearer wrong"}), 401, "unauthorized")
    assert_error(client.get(path, headers={"Authorization": f"Basic {TOKEN}"}), 401, "unauthorized")
    response = client.get(path, headers=AUTH)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def sign_in(client: FlaskClient, token: str = TOKEN, **kwargs: Any) -> TestResponse:
    form = client.get("/admin/sign-in", headers=BROWSER, **kwargs).get_data(as_text=True)
    referer = {"Referer": f"{kwargs.get('base_url', 'http://localhost')}/admin/sign-in"}  # checked over https
    return client.post(
        "/admin/sign-in", data={"csrf_token": csrf_token(form), "token": token}, headers=referer, **kwargs
    )


def session_cookie(response: TestResponse) -> str:
    [cookie] = [value for value in response.headers.getlist("Set-Cookie") if value.startswith("faq_bot_admin=")]
    return cookie


def test_a_browser_signs_in_once_and_out_again(make_app: Any) -> None:
    """Staff in a browser are sent to the sign-in form, type the token once, use every admin page, and sign out."""
    client = make_app().test_client()
    to_form = client.get("/admin", headers=BROWSER)
    assert to_form.status_code == 303 and to_form.headers["Location"].endswith("/admin/sign-in")
    assert "Admin token" in client.get("/admin/sign-in").get_data(as_text=True)

    refused = sign_in(client, token="not-the-token")
    assert refused.status_code == 401 and "not the admin token" in refused.get_data(as_text=True)
    assert client.get("/admin", headers=BROWSER).status_code == 303

    signed_in = sign_in(client)
    assert signed_in.status_code == 303 and signed_in.headers["Location"].endswith("/admin")
    cookie = session_cookie(signed_in).lower()
    assert all(part in cookie for part in ("httponly", "samesite=strict", "path=/admin", "expires=")), cookie
    assert "secure" not in cookie  # plain http: a Secure cookie would never come back
    page = client.get("/admin", headers=BROWSER)
    assert page.status_code == 200 and "Unanswered inbox" in page.get_data(as_text=True)
    assert client.get("/admin/api/stats").status_code == 200

    signed_out = client.post("/admin/sign-out", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert signed_out.status_code == 303 and signed_out.headers["Location"].endswith("/admin/sign-in")
    assert client.get("/admin", headers=BROWSER).status_code == 303
    assert_error(client.get("/admin/api/stats"), 401, "unauthorized")


def test_admin_forms_need_their_csrf_token(make_app: Any) -> None:
    """A sign-in or sign-out posted without the form's CSRF token (another site's form) is refused; nothing changes."""
    client = make_app().test_client()
    forged = client.post("/admin/sign-in", data={"token": TOKEN})
    assert forged.status_code == 400 and "did not come from this site" in forged.get_data(as_text=True)
    assert client.get("/admin", headers=BROWSER).status_code == 303

    assert sign_in(client).status_code == 303
    assert client.post("/admin/sign-out", data={}).status_code == 400
    assert client.post("/admin/sign-out", data={"csrf_token": "forged"}).status_code == 400
    assert client.get("/admin", headers=BROWSER).status_code == 200  # still signed in


def test_the_session_cookie_is_secure_over_https_and_ends_with_the_token(make_app: Any) -> None:
    """Over https the cookie is Secure and lasts ADMIN_SESSION_HOURS; a new admin token signs every browser out."""
    app = make_app(ADMIN_SESSION_HOURS=2)
    client = app.test_client()
    signed_in = sign_in(client, base_url="https://localhost")
    cookie = session_cookie(signed_in)
    assert "Secure" in cookie
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))  # type: ignore[union-attr]
    assert timedelta(hours=1.9) < expires - datetime.now(UTC) <= timedelta(hours=2)
    assert client.get("/admin", headers=BROWSER, base_url="https://localhost").status_code == 200

    value = cookie.split(";", 1)[0].split("=", 1)[1]
    rotated = make_app(ADMIN_TOKEN="a-new-token").test_client()
    rotated.set_cookie("faq_bot_admin", value, path="/admin", domain="localhost")
    assert rotated.get("/admin", headers=BROWSER, base_url="https://localhost").status_code == 303


def test_admin_is_off_without_a_token(make_app: Any) -> None:
    """With no ADMIN_TOKEN set the admin surface does not exist (404), whatever is sent."""
    client = make_app(ADMIN_TOKEN="").test_client()
    assert_error(client.get("/admin/api/stats", headers={"Authorization": "Bearer "}), 404, "not-found")
    assert_error(client.get("/admin"), 404, "not-found")


def test_inbox_groups_unanswered_questions(make_app: Any) -> None:
    """Similar unanswered wordings are grouped and counted, redacted, with a nearest answer and snippet.

    On the real content: how near an answer must be to be named is calibrated on it.
    """
    app = make_app(ANSWERS_DIR=ANSWERS)
    fill(app)
    groups = app.test_client().get("/admin/api/inbox", headers=AUTH).get_json()["groups"]
    [parking] = [group for group in groups if "where can i park" in {w["text"] for w in group["wordings"]}]
    assert parking["count"] == 3
    texts = {wording["text"] for group in groups for wording in group["wordings"]}
    assert "is there parking at the clinic? my name is [NAME]" in texts
    assert not any("Bloggs" in text or "pregabalin" in text or "end my life" in text for text in texts)
    assert parking["nearest"] is None and "a new answer" in parking["yaml"]  # no answer is about parking


def test_feedback_is_listed_worst_first(make_app: Any) -> None:
    """Votes and helpful ratio per answer, least helpful first."""
    app = make_app()
    fill(app)
    rows = app.test_client().get("/admin/api/feedback", headers=AUTH).get_json()["answers"]
    assert [(r["answer_id"], r["helpful"], r["unhelpful"], r["helpful_ratio"]) for r in rows] == [
        ("side-effects", 0, 2, 0.0),
        ("sleep", 1, 1, 0.5),
    ]


def test_stats_count_replies_per_route_per_day(make_app: Any) -> None:
    """Stats give replies by route, per day, including emergencies counted without text."""
    app = make_app()
    routes = fill(app)
    body = app.test_client().get("/admin/api/stats", headers=AUTH).get_json()
    assert body["replies_by_route"] == dict(routes) and routes["emergency"] == 1
    assert {row["day"] for row in body["daily"]} and all(row["count"] > 0 for row in body["daily"])


def test_admin_page_shows_inbox_feedback_and_stats(make_app: Any) -> None:
    """The HTML page has the three sections and no personal data."""
    app = make_app()
    fill(app)
    page = app.test_client().get("/admin", headers=AUTH)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.mimetype == "text/html"
    for text in ("Unanswered inbox", "where can i park", "side-effects", "emergency", "alternates:"):
        assert text in html
    assert "Bloggs" not in html


def test_bad_days_is_a_json_400(make_app: Any) -> None:
    """?days= must be a whole number of days."""
    assert_error(make_app().test_client().get("/admin/api/stats?days=abc", headers=AUTH), 400, "invalid-days")


def run_cli(*args: str) -> str:
    """Run `faq-bot ARGS`; its output, once it has exited 0."""
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_inbox_report_and_purge(make_app: Any, events_database: str) -> None:
    """`faq-bot inbox` and `faq-bot report` print what the admin pages show, also as CSV; `purge` runs."""
    fill(make_app())
    inbox = run_cli("inbox")
    assert "where can i park" in inbox and "alternates:" in inbox
    rows = list(csv.DictReader(io.StringIO(run_cli("inbox", "--csv"))))
    assert {"group", "wording", "wording_count", "nearest_id"} <= set(rows[0])
    assert "where can i park" in {row["wording"] for row in rows}
    report_text = run_cli("report")
    assert "side-effects" in report_text and "emergency 1" in report_text
    report = list(csv.DictReader(io.StringIO(run_cli("report", "--csv"))))
    assert ("feedback", "side-effects") in {(row["section"], row["key"]) for row in report}
    assert "purged 0 event(s) older than 90 days" in run_cli("purge")


def test_two_instances_on_one_postgresql_see_each_others_events(make_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Instance A's questions and instance B's votes both show in either instance's report and the CLI."""
    with postgres_schema() as (url, _):
        first, second = make_app(DATABASE_URL=url), make_app(DATABASE_URL=url)
        routes: Counter[str] = Counter()
        for question in PARKING:
            response = first.test_client().post("/api/ask", json={"question": question})
            assert response.status_code == 200
            routes[response.get_json()["route"]] += 1
        assert routes["specialist"] + routes["clarify"] == 3  # all three go to the inbox
        assert (
            second.test_client().post("/api/feedback", json={"answer_id": "sleep", "helpful": False}).status_code == 204
        )
        assert second.test_client().post("/api/ask", json={"question": "I want to end my life"}).status_code == 200
        for app in (first, second):
            assert events_of(app).flush()
        for app in (first, second):
            client = app.test_client()
            inbox = client.get("/admin/api/inbox", headers=AUTH).get_json()["groups"]
            assert sum(group["count"] for group in inbox) == 3
            assert client.get("/admin/api/feedback", headers=AUTH).get_json()["answers"][0]["answer_id"] == "sleep"
            stats = client.get("/admin/api/stats", headers=AUTH).get_json()["replies_by_route"]
            assert stats == {**routes, "emergency": 1}
        monkeypatch.setenv("FAQ_BOT_DATABASE_URL", url)
        report = run_cli("report")
        assert "sleep" in report and "emergency 1" in report
        assert all(f"{route} {count}" in report for route, count in routes.items())


def test_a_bug_in_admin_is_a_logged_500_not_a_database_error(
    make_app: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A fault that is not the database (here a missing template) answers 500 with its traceback logged,
    never 503 events-unavailable; a database fault is a 503 whose log line names the driver's error."""
    app = make_app()
    client = app.test_client()
    monkeypatch.setattr(app, "template_folder", "/nonexistent-template-folder")
    app.jinja_env.cache = {}  # type: ignore[assignment]
    app.jinja_loader.searchpath = ["/nonexistent-template-folder"]  # type: ignore[union-attr]
    with caplog.at_level("ERROR"):
        assert_error(client.get("/admin", headers=AUTH), 500, "internal-error")
    assert any("TemplateNotFound" in (record.exc_text or "") for record in caplog.records)

    down = make_app(DATABASE_URL="sqlite:////nonexistent-folder/for-faq-bot/events.sqlite3").test_client()
    with caplog.at_level("WARNING"):
        assert_error(down.get("/admin/api/stats", headers=AUTH), 503, "events-unavailable")
    assert any("unable to open database file" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("database", ["empty", "filled", "down"])
def test_no_known_admin_request_reaches_the_500(make_app: Any, caplog: pytest.LogCaptureFixture, database: str) -> None:
    """Every admin route, signed in or not, with every kind of days value, on an empty, filled or unreachable
    database, answers 2xx, 3xx or a JSON 4xx/503: the 500 for bugs is never reached."""
    down = database == "down"
    app = make_app(DATABASE_URL="sqlite:////nonexistent-folder/for-faq-bot/events.sqlite3") if down else make_app()
    if database == "filled":
        fill(app)
    client = app.test_client()
    paths = ["/admin", "/admin/", "/admin/api/inbox", "/admin/api/feedback", "/admin/api/stats", "/admin/sign-in"]
    days = ["", "?days=1", "?days=366", "?days=0", "?days=367", "?days=-1", "?days=abc", "?days=1.5", "?days=%C2%B2"]
    headers = [{}, AUTH, BROWSER, {"Authorization": "Bearer wrong"}]
    statuses: Counter[int] = Counter()
    with caplog.at_level("ERROR"):
        for path in paths:
            for query in days:
                for header in headers:
                    response = client.get(path + query, headers=header)
                    statuses[response.status_code] += 1
                    assert response.status_code < 500 or response.status_code == 503, (path, query, header)
        assert client.post("/admin/sign-in", data={"token": TOKEN}).status_code == 400  # no CSRF token
        assert client.post("/admin/sign-out", data={"token": TOKEN}).status_code == 401  # not signed in
    assert not [record for record in caplog.records if record.levelname == "ERROR"]
    assert statuses[200] > 0 and statuses[401] > 0 and statuses[400] > 0


def test_admin_says_503_when_the_database_is_down(make_app: Any) -> None:
    """With the events database unreachable the admin API answers 503 JSON, and patients still get answers."""
    app = make_app(DATABASE_URL="sqlite:////nonexistent-folder/for-faq-bot/events.sqlite3")
    client = app.test_client()
    assert client.post("/api/ask", json={"question": "hello"}).status_code == 200
    for path in ("/admin/api/inbox", "/admin/api/feedback", "/admin/api/stats", "/admin"):
        assert_error(client.get(path, headers=AUTH), 503, "events-unavailable")

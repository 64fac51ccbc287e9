"""The chat widget and the look-up page, driven in Debian's Chromium against a live server.

The service runs in a thread on 127.0.0.1 (werkzeug, port 0). Two more local servers on
other ports play the clinic's website: one origin is in ALLOWED_ORIGINS, one is not.
Nothing here measures time: every wait is for something to appear.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Locator, Page, Route, expect, sync_playwright
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from faq_bot import create_app
from faq_bot.ops import events_of
from tests.conftest import ANSWERS, REPO

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
SCREENSHOTS = Path(REPO) / "docs" / "screenshots"
SCRATCH_SCREENSHOTS = Path(tempfile.gettempdir()) / "faq-bot-screenshots"
XSS_MARK = "window.__xss"
PAYLOADS = (
    '<img src=x onerror="window.__xss=1">',
    "<script>window.__xss=2</script>",
    '"><svg onload="window.__xss=3">',
    '<a href="javascript:window.__xss=4">click</a>',
)
# The live servers run many questions from one address and keep events in a temporary database.
QUIET_SERVICE = {"RATELIMIT_ENABLED": False}
CLARIFY_PROBES = ("sleep and spasms", "is it legal and who prescribes it", "cannabis treatment", "cannabis help")

expect.set_options(timeout=30_000)


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """Keep the test output free of access logs."""


class LiveServer:
    """A WSGI app served from a thread on a free loopback port."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def host_page(service: dict[str, str]) -> Callable[..., Any]:
    """A WSGI app for another site that embeds the widget, with CSS that tries to break it."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        html = f"""<!doctype html><html lang="en"><head><title>Another clinic site</title>
<style>* {{ font-size: 40px !important; color: red !important; }} button {{ display: none !important; }}
li, p {{ display: none !important; }}</style></head>
<body><main><h1>Another clinic site</h1></main>
<script src="{service["url"]}/widget.js" data-title="Ask us" data-accent="#4c2c92" defer></script>
</body></html>"""
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [html.encode()]

    return app


def service_app(tmp: Path, **config: Any) -> Flask:
    """The service as the browser tests run it: no rate limits, events in ``tmp``."""
    return create_app({**QUIET_SERVICE, "DATABASE_URL": f"sqlite:///{tmp}/events.sqlite3", **config})


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, LiveServer, LiveServer]]:
    """The service, a host site it allows and a host site it refuses."""
    service_url: dict[str, str] = {}
    allowed = LiveServer(host_page(service_url))
    refused = LiveServer(host_page(service_url))
    service = LiveServer(
        service_app(tmp_path_factory.mktemp("events"), ANSWERS_DIR=ANSWERS, ALLOWED_ORIGINS=allowed.url)
    )
    service_url["url"] = service.url
    yield service, allowed, refused
    for server in (service, allowed, refused):
        server.close()


@pytest.fixture(scope="module")
def live(sites: tuple[LiveServer, LiveServer, LiveServer]) -> LiveServer:
    return sites[0]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    context.set_default_timeout(30_000)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def unsafe_page(browser: Browser) -> Iterator[Page]:
    """A page that ignores the CSP, so only the widget's own escaping stands between payload and script."""
    context = browser.new_context(bypass_csp=True)
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


# -- helpers ------------------------------------------------------------------------------


def open_widget(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Questions? Ask us").click()
    expect(question_box(page)).to_be_focused()


def question_box(page: Page) -> Locator:
    return page.get_by_label("Your question")


def ask(page: Page, question: str) -> Locator:
    """Type a question, send it, and return the reply that arrives."""
    replies = page.locator("faq-bot-widget li.msg:not(.user)")
    before = replies.count()
    question_box(page).fill(question)
    question_box(page).press("Enter")
    expect(replies).to_have_count(before + 1)
    return replies.last


def shadow_active_element(page: Page) -> str:
    """What has focus, looking inside the widget's shadow root."""
    return str(
        page.evaluate("""() => {
        let el = document.activeElement;
        while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
        return el ? (el.getAttribute('aria-label') || el.textContent || el.id || el.tagName).trim() : '';
    }""")
    )


def clarifying_question(live: LiveServer) -> str:
    """A question the current content answers with 'did you mean'."""
    client = live.app.test_client()  # type: ignore[attr-defined]
    for question in CLARIFY_PROBES:
        if client.post("/api/ask", json={"question": question}).get_json()["route"] == "clarify":
            return question
    pytest.fail(f"none of {CLARIFY_PROBES} gets a 'did you mean' reply any more; add one that does")


def assert_no_script_ran(page: Page, root: str = "document") -> None:
    """No payload ran, and none left an element or event-handler attribute behind."""
    assert page.evaluate(f"() => {XSS_MARK}") is None
    assert page.evaluate(f"() => {root}.querySelectorAll('img, script, iframe, a[href^=javascript]').length") == 0
    assert (
        page.evaluate(f"""() => [...{root}.querySelectorAll('*')]
        .some(el => [...el.attributes].some(a => a.name.startsWith('on')))""")
        is False
    )


def save_screenshot(page: Page, name: str) -> None:
    """Take the screenshot; write it to docs/ only when asked, so a test run leaves the tree clean."""
    folder = SCREENSHOTS if os.environ.get("FAQ_BOT_UPDATE_SCREENSHOTS") == "1" else SCRATCH_SCREENSHOTS
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name))
    assert (folder / name).stat().st_size > 0


def axe_serious(page: Page) -> list[str]:
    """Serious or critical axe-core violations on the page, as readable lines."""
    violations = Axe().run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


# -- the chat widget: conversations -----------------------------------------------------------


def test_widget_answers_with_source_and_notice(page: Page, live: LiveServer) -> None:
    """A general question gets its vetted answer with 'Source:', under the always-visible notice."""
    open_widget(page, live.url)
    expect(page.locator("faq-bot-widget .notice")).to_contain_text("General information, not medical advice")
    reply = ask(page, "Who can prescribe medical cannabis?")
    expect(reply).to_have_attribute("data-route", "answer")
    expect(reply.locator(".src")).to_contain_text(re.compile(r"^Source: .+ · Reviewed \d{4}-\d\d-\d\d$"))
    expect(page.locator("faq-bot-widget [data-live=polite]")).to_contain_text("prescribe")


def test_widget_shows_the_caveat_with_a_general_answer_to_personal_wording(page: Page, live: LiveServer) -> None:
    """'How is my treatment monitored' gets the general answer, with the caveat under the question."""
    open_widget(page, live.url)
    reply = ask(page, "how is my treatment monitored")
    expect(reply).to_have_attribute("data-route", "answer")
    caveat = reply.locator(".caveat")
    expect(caveat).to_have_text("This is general information. Your specialist can tell you what applies to you.")
    expect(reply.locator(".q")).to_have_text("How is treatment monitored?")
    assert reply.locator("p").nth(1).get_attribute("class") == "caveat"  # straight after the question
    expect(page.locator("faq-bot-widget [data-live=polite]")).to_contain_text("This is general information")
    save_screenshot(page, "widget-caveat.png")
    reply = ask(page, "how is treatment monitored")
    expect(reply.locator(".caveat")).to_have_count(0)


def test_clarify_then_pick_a_suggestion(page: Page, live: LiveServer) -> None:
    """'Did you mean' offers buttons plus 'none of these'; picking one is reported and shows that answer."""
    open_widget(page, live.url)
    question = clarifying_question(live)
    reply = ask(page, question)
    expect(reply).to_have_attribute("data-route", "clarify")
    choices = reply.locator("button.choice")
    expect(choices.last).to_have_text("None of these")
    assert 3 <= choices.count() <= 5
    first = choices.first.inner_text()
    with page.expect_request("**/api/picked") as picked:
        choices.first.click()
    report = json.loads(picked.value.post_data or "{}")
    assert report["question"] == question and isinstance(report["answer_id"], str)
    answer = page.locator("faq-bot-widget li.answer").last
    expect(answer.locator(".q")).to_have_text(first)
    expect(answer.locator(".src")).to_contain_text("Source: ")


def test_none_of_these_points_to_the_specialist(page: Page, live: LiveServer) -> None:
    """Choosing 'None of these' suggests asking another way or speaking to the specialist."""
    open_widget(page, live.url)
    reply = ask(page, clarifying_question(live))
    reply.get_by_role("button", name="None of these").click()
    expect(page.locator("faq-bot-widget li.bot").last).to_contain_text("speak to your specialist")


def test_clinical_question_gets_the_specialist_message(page: Page, live: LiveServer) -> None:
    """A personal clinical question is answered with the specialist message only."""
    open_widget(page, live.url)
    reply = ask(page, "can I stop my pregabalin if I start cannabis?")
    expect(reply).to_have_attribute("data-route", "specialist")
    expect(reply).to_contain_text("specialist")
    expect(reply.locator(".fb")).to_have_count(0)


def test_emergency_reply_is_distinct_first_and_assertive(page: Page, live: LiveServer) -> None:
    """Emergency signposting leads with tap-to-call links and is announced assertively."""
    open_widget(page, live.url)
    question_box(page).fill("I took too many pills and can't breathe")
    question_box(page).press("Enter")
    reply = page.locator("faq-bot-widget li.emergency")
    expect(reply).to_be_visible()
    expect(reply.locator("p").first).to_have_text("Urgent: get help now")
    expect(reply.get_by_role("link", name="Call 999")).to_have_attribute("href", "tel:999")
    expect(reply.get_by_role("link", name="Call NHS 111")).to_have_attribute("href", "tel:111")
    expect(page.locator("faq-bot-widget [data-live=assertive]")).to_contain_text("999")
    colours = reply.evaluate("el => getComputedStyle(el).borderTopColor")
    assert colours == "rgb(179, 38, 30)"


def test_widget_says_it_is_automated_before_the_first_question(page: Page, live: LiveServer) -> None:
    """The chat opens saying it is an automated service, not a person; 'is this a real person' gets the same."""
    open_widget(page, live.url)
    expect(page.locator("faq-bot-widget li.msg").first).to_contain_text("This is an automated service, not a person.")
    reply = ask(page, "am I talking to a real person?")
    expect(reply).to_contain_text("This is an automated service")


def test_feedback_is_posted(page: Page, live: LiveServer) -> None:
    """Thumbs up on an answer posts to /api/feedback and is counted."""
    store = events_of(live.app)  # type: ignore[attr-defined]

    def helpful_votes() -> int:
        store.flush()
        return sum(row.helpful for row in store.feedback() if row.answer_id == "who-can-prescribe")

    before = helpful_votes()
    open_widget(page, live.url)
    reply = ask(page, "Who can prescribe medical cannabis?")
    with page.expect_response("**/api/feedback") as response:
        reply.get_by_role("button", name="Yes", exact=True).click()
    assert response.value.status == 204
    assert json.loads(response.value.request.post_data or "{}") == {"answer_id": "who-can-prescribe", "helpful": True}
    expect(reply.get_by_role("button", name="Yes", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(reply).to_contain_text("Thank you for your feedback.")
    assert helpful_votes() == before + 1


def test_network_error_keeps_the_question_for_retry(page: Page, live: LiveServer) -> None:
    """When the network fails the question is kept; 'Try again' then gets the answer."""
    open_widget(page, live.url)
    page.route("**/api/ask", lambda route: route.abort("internetdisconnected"))
    reply = ask(page, "Who can prescribe medical cannabis?")
    expect(reply).to_contain_text("could not be reached")
    expect(question_box(page)).to_have_value("Who can prescribe medical cannabis?")
    page.unroute("**/api/ask")
    reply.get_by_role("button", name="Try again").click()
    answer = page.locator("faq-bot-widget li.answer")
    expect(answer).to_have_count(1)
    expect(page.locator("faq-bot-widget li.error")).to_have_count(0)
    expect(question_box(page)).to_have_value("")


def test_rate_limited_question_can_be_retried(page: Page, live: LiveServer) -> None:
    """A 429 says to wait a moment and keeps the question for 'Try again'."""
    open_widget(page, live.url)
    body = json.dumps({"error": {"code": "rate-limited", "message": "Slow down."}})
    page.route("**/api/ask", lambda route: route.fulfill(status=429, body=body, content_type="application/json"))
    reply = ask(page, "Who can prescribe medical cannabis?")
    expect(reply).to_contain_text("Too many questions")
    page.unroute("**/api/ask")
    reply.get_by_role("button", name="Try again").click()
    expect(page.locator("faq-bot-widget li.answer")).to_have_count(1)


def test_typing_indicator_shows_while_waiting(page: Page, live: LiveServer) -> None:
    """A typing indicator is shown until the reply arrives."""
    held: list[Route] = []
    open_widget(page, live.url)
    page.route("**/api/ask", lambda route: held.append(route))
    question_box(page).fill("Who can prescribe medical cannabis?")
    question_box(page).press("Enter")
    typing = page.locator("faq-bot-widget .typing")
    expect(typing).to_be_visible()
    expect(typing).to_contain_text("Looking for an answer")
    held[0].continue_()
    expect(page.locator("faq-bot-widget li.answer")).to_have_count(1)
    expect(typing).to_be_hidden()


def test_conversation_survives_navigation_and_can_be_cleared(page: Page, live: LiveServer) -> None:
    """The conversation and open panel come back on another page of the site; Clear empties it."""
    open_widget(page, live.url)
    ask(page, "Who can prescribe medical cannabis?")
    page.get_by_role("link", name="Another page of this site").click()
    page.wait_for_url("**/?page=2")
    expect(page.locator("faq-bot-widget li.answer")).to_have_count(1)
    expect(page.locator("faq-bot-widget li.user")).to_contain_text("Who can prescribe medical cannabis?")
    page.get_by_role("button", name="Clear conversation").click()
    expect(page.locator("faq-bot-widget li.answer")).to_have_count(0)
    page.reload()
    page.get_by_role("button", name="Questions? Ask us").click()
    expect(page.locator("faq-bot-widget li.user")).to_have_count(0)


# -- the chat widget: keyboard, layout, motion ------------------------------------------------------


def test_widget_works_by_keyboard_alone(page: Page, live: LiveServer) -> None:
    """Tab reaches the launcher, focus moves into the panel, Escape returns it to the launcher."""
    page.goto(live.url)
    page.locator("faq-bot-widget").wait_for(state="attached")
    for _ in range(30):
        page.keyboard.press("Tab")
        if shadow_active_element(page) == "Questions? Ask us":
            break
    assert shadow_active_element(page) == "Questions? Ask us"
    outline = page.evaluate(
        "() => getComputedStyle(document.querySelector('faq-bot-widget').shadowRoot.activeElement).outlineStyle"
    )
    assert outline == "solid"
    page.keyboard.press("Enter")
    expect(question_box(page)).to_be_focused()
    page.keyboard.type("Who can prescribe medical cannabis?")
    page.keyboard.press("Enter")
    expect(page.locator("faq-bot-widget li.answer")).to_have_count(1)
    page.keyboard.press("Tab")
    assert shadow_active_element(page) == "Send"
    page.keyboard.press("Escape")
    expect(page.locator("#faq-bot-panel")).to_be_hidden()
    assert shadow_active_element(page) == "Questions? Ask us"
    expect(page.get_by_role("button", name="Questions? Ask us")).to_have_attribute("aria-expanded", "false")


def small_screen(browser: Browser, width: int, height: int) -> BrowserContext:
    """A phone-sized (under 400 px wide) or 200%-zoomed screen of ``width`` x ``height`` CSS pixels."""
    return browser.new_context(
        viewport={"width": width, "height": height}, device_scale_factor=2, has_touch=True, is_mobile=width < 400
    )


@pytest.mark.parametrize(("width", "height", "screenshot"), [(320, 640, "widget-320px.png"), (640, 400, None)])
def test_widget_fits_small_screens_and_200_percent_zoom(
    browser: Browser, live: LiveServer, width: int, height: int, screenshot: str | None
) -> None:
    """At 320 px wide, and at 200% zoom of a 1280x800 screen, the panel fits and nothing scrolls sideways."""
    context = small_screen(browser, width, height)
    page = context.new_page()
    try:
        open_widget(page, live.url)
        ask(page, "Who can prescribe medical cannabis?")
        panel = page.locator("#faq-bot-panel").bounding_box()
        assert panel is not None
        assert panel["x"] >= 0 and panel["y"] >= 0
        assert panel["x"] + panel["width"] <= width and panel["y"] + panel["height"] <= height
        for control in (
            question_box(page),
            page.get_by_role("button", name="Send"),
            page.get_by_role("button", name="Close chat"),
        ):
            expect(control).to_be_in_viewport()
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        if screenshot:
            save_screenshot(page, screenshot)
    finally:
        context.close()


@pytest.mark.parametrize(("width", "height"), [(320, 640), (640, 400)])
def test_emergency_reply_is_in_view_on_small_screens_and_at_200_percent_zoom(
    browser: Browser, live: LiveServer, width: int, height: int
) -> None:
    """At 320 px wide and at 200% zoom, an emergency reply arrives with its heading and 999 link in view."""
    context = small_screen(browser, width, height)
    page = context.new_page()
    try:
        open_widget(page, live.url)
        ask(page, "Who can prescribe medical cannabis?")
        reply = ask(page, "my dad has collapsed and won't wake up")
        expect(reply).to_have_attribute("data-route", "emergency")
        expect(reply.get_by_text("Urgent: get help now")).to_be_in_viewport()
        expect(reply.get_by_role("link", name="Call 999")).to_be_in_viewport()
        expect(page.locator("faq-bot-widget [data-live=assertive]")).to_contain_text("999")
    finally:
        context.close()


@pytest.mark.parametrize(("motion", "animated"), [("no-preference", True), ("reduce", False)])
def test_typing_dots_respect_reduced_motion(browser: Browser, live: LiveServer, motion: str, animated: bool) -> None:
    """The typing dots animate only when the user has not asked for reduced motion."""
    context = browser.new_context(reduced_motion=motion)  # type: ignore[arg-type]
    page = context.new_page()
    try:
        page.goto(live.url)
        page.locator("faq-bot-widget").wait_for(state="attached")
        name = page.evaluate(
            "() => getComputedStyle(document.querySelector('faq-bot-widget')"
            ".shadowRoot.querySelector('.dot')).animationName"
        )
        assert (name != "none") is animated
    finally:
        context.close()


# -- the chat widget on another site -------------------------------------------------------------------


def test_widget_on_an_allowed_foreign_site(page: Page, sites: tuple[LiveServer, LiveServer, LiveServer]) -> None:
    """On an allowed origin the widget answers, and the host page's CSS cannot break it."""
    service, allowed, _ = sites
    page.goto(allowed.url)
    launcher = page.get_by_role("button", name="Questions? Ask us")
    expect(launcher).to_be_visible()
    assert launcher.evaluate("el => getComputedStyle(el).fontSize") == "16px"
    launcher.click()
    expect(page.get_by_role("heading", name="Ask us")).to_be_visible()
    with page.expect_response(f"{service.url}/api/ask") as response:
        reply = ask(page, "Who can prescribe medical cannabis?")
    assert response.value.headers["access-control-allow-origin"] == allowed.url
    expect(reply).to_have_attribute("data-route", "answer")
    expect(reply).to_be_visible()
    header = page.locator("faq-bot-widget .head").evaluate("el => getComputedStyle(el).backgroundColor")
    assert header == "rgb(76, 44, 146)"


def test_widget_on_a_refused_foreign_site(page: Page, sites: tuple[LiveServer, LiveServer, LiveServer]) -> None:
    """On an origin not in ALLOWED_ORIGINS the API refuses, and the widget says it cannot connect."""
    service, _, refused = sites
    page.goto(refused.url)
    page.get_by_role("button", name="Questions? Ask us").click()
    reply = ask(page, "Who can prescribe medical cannabis?")
    expect(reply).to_contain_text("could not be reached")
    expect(page.locator("faq-bot-widget li.answer")).to_have_count(0)
    status = page.evaluate(f"""() => fetch('{service.url}/api/answers/sleep').then(r => r.status, e => 'blocked')""")
    assert status == "blocked"


# -- cross-site scripting -------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_widget_shows_a_script_in_a_question_as_text(unsafe_page: Page, live: LiveServer, payload: str) -> None:
    """Markup typed by the patient is shown as text and never runs, even with the CSP off."""
    open_widget(unsafe_page, live.url)
    ask(unsafe_page, payload)
    expect(unsafe_page.locator("faq-bot-widget li.user").last).to_contain_text(payload)
    unsafe_page.reload()
    unsafe_page.locator("faq-bot-widget li.user").last.wait_for(state="attached")
    assert_no_script_ran(unsafe_page, "document.querySelector('faq-bot-widget').shadowRoot")


def test_widget_shows_markup_in_answer_content_as_text(unsafe_page: Page, live: LiveServer) -> None:
    """Markup in every server field (answer, source, suggestions, messages) is shown as text."""
    evil = " ".join(PAYLOADS)
    answer = {
        "id": "sleep",
        "question": evil,
        "answer": evil,
        "topic": evil,
        "source": evil,
        "reviewed_on": evil,
        "related": [],
    }
    replies = iter(
        [
            {
                "route": "answer",
                "reason": "matched",
                "message": evil,
                "answer": answer,
                "confidence": 90,
                "suggestions": [],
                "answers_version": "x",
            },
            {
                "route": "clarify",
                "reason": "ambiguous",
                "message": evil,
                "answer": None,
                "confidence": 55,
                "suggestions": [{"id": "sleep", "question": evil}, {"id": "thanks", "question": evil}],
                "answers_version": "x",
            },
            {
                "route": "emergency",
                "reason": "emergency",
                "message": evil,
                "answer": None,
                "confidence": 0,
                "suggestions": [],
                "answers_version": "x",
            },
        ]
    )
    unsafe_page.route("**/api/ask", lambda route: route.fulfill(json=next(replies)))
    unsafe_page.route("**/api/answers/*", lambda route: route.fulfill(json=answer))
    open_widget(unsafe_page, live.url)
    for _ in range(3):
        ask(unsafe_page, "tell me")
    unsafe_page.locator("faq-bot-widget li.clarify button.choice").first.click()
    expect(unsafe_page.locator("faq-bot-widget li.answer")).to_have_count(2)
    expect(unsafe_page.locator("faq-bot-widget li.emergency")).to_contain_text(PAYLOADS[0])
    assert_no_script_ran(unsafe_page, "document.querySelector('faq-bot-widget').shadowRoot")


@pytest.fixture(scope="module")
def poisoned_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The service on a copy of the content whose first answer text carries script payloads."""
    folder = tmp_path_factory.mktemp("content") / "answers"
    shutil.copytree(ANSWERS, folder)
    path = folder / "ms-pain.yaml"
    text = path.read_text(encoding="utf-8")
    poisoned, count = re.subn(
        r"(\n(\s+)answer: >-?\n)",
        lambda m: m.group(1) + m.group(2) + "  " + " ".join(PAYLOADS).replace('"', "'") + "\n",
        text,
        count=1,
    )
    assert count == 1
    path.write_text(poisoned, encoding="utf-8")
    server = LiveServer(service_app(folder.parent, ANSWERS_DIR=str(folder)))
    yield server
    server.close()


def test_lookup_shows_markup_in_answer_content_as_text(browser: Browser, poisoned_site: LiveServer) -> None:
    """Markup in an answer's text is shown as text on the look-up page, rendered by server and by script."""
    client = poisoned_site.app.test_client()  # type: ignore[attr-defined]
    answers = client.get("/api/answers").get_json()["answers"]
    poisoned = next(answer for answer in answers if "<script>" in answer["answer"])
    for javascript in (False, True):
        context = browser.new_context(bypass_csp=True, java_script_enabled=javascript)
        page = context.new_page()
        try:
            page.goto(f"{poisoned_site.url}/lookup?q=ms+pain&id={poisoned['id']}")
            expect(page.locator("#answer .answer-text")).to_contain_text("<script>window.__xss=2</script>")
            if javascript:
                expect(page.get_by_role("button", name="Copy answer")).to_be_visible()
            assert_no_script_ran(page, "document.querySelector('#answer')")
            assert page.evaluate(f"() => typeof {XSS_MARK}") == "undefined" or not javascript
        finally:
            context.close()


# -- the look-up page -----------------------------------------------------------------------------------


def test_lookup_by_keyboard_only(browser: Browser, live: LiveServer) -> None:
    """Type, arrow down, Enter, Tab to 'Copy answer', Enter: the answer is on the clipboard."""
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    try:
        page.goto(f"{live.url}/lookup")
        search = page.get_by_role("combobox", name="Patient's question")
        expect(search).to_be_focused()
        page.keyboard.type("side effects")
        expect(page.get_by_role("listbox")).to_have_attribute("data-query", "side effects")
        options = page.get_by_role("option")
        expect(options.first).to_be_visible()
        expect(options.first.locator("mark").first).to_have_text(re.compile("side|effects", re.I))
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowUp")
        expect(options.first).to_have_attribute("aria-selected", "true")
        expect(search).to_have_attribute("aria-activedescendant", "result-side-effects")
        page.keyboard.press("Enter")
        heading = page.locator("#answer-heading")
        expect(heading).to_be_focused()
        expect(page.locator("#answer .source")).not_to_be_empty()
        expect(page.locator("#answer .reviewed")).to_have_text(re.compile(r"\d{4}-\d\d-\d\d"))
        assert "id=side-effects" in page.url
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Copy answer")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator("#answer .copy-status")).to_have_text("Answer copied to the clipboard.")
        copied = page.evaluate("() => navigator.clipboard.readText()")
        assert copied.startswith(heading.inner_text()) and "Source: " in copied
        save_screenshot(page, "lookup.png")
    finally:
        context.close()


def test_lookup_badges_emergency_and_clinical_questions(page: Page, live: LiveServer) -> None:
    """A question the chat would send to emergency or the specialist gets a badge as you type, without /api/ask."""
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url) if "/api/ask" in request.url else None)
    page.goto(f"{live.url}/lookup")
    search = page.get_by_role("combobox", name="Patient's question")
    search.fill("I took too many pills and can't breathe")
    expect(page.locator("#route .badge")).to_have_attribute("data-route", "emergency")
    search.fill("can I stop my pregabalin if I start cannabis?")
    expect(page.locator("#route .badge")).to_have_attribute("data-reason", "clinical")
    search.fill("Who can prescribe medical cannabis?")
    expect(page.locator("#route .badge")).to_have_count(0)
    search.fill("can my GP prescribe it")
    expect(page.locator("#route .badge")).to_have_attribute("data-route", "answer")
    expect(page.locator("#route .badge")).to_contain_text("Your specialist can tell you what applies to you")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#answer")).to_contain_text("specialist")
    save_screenshot(page, "lookup-caveat.png")
    assert asked == []  # staff searches are not patients' questions: never sent to /api/ask


def test_lookup_deep_links(page: Page, live: LiveServer) -> None:
    """/lookup?q=... shows the results and /lookup?id=... shows that answer."""
    page.goto(f"{live.url}/lookup?q=sleep")
    expect(page.get_by_role("combobox")).to_have_value("sleep")
    expect(page.get_by_role("option").first).to_contain_text("sleep")
    page.goto(f"{live.url}/lookup?id=eligibility")
    expect(page.locator("#answer-heading")).to_be_visible()
    expect(page.get_by_role("button", name="Copy answer")).to_be_visible()
    page.get_by_role("link", name=re.compile("the endocannabinoid system", re.I)).click()
    expect(page.locator("#answer-heading")).to_contain_text("endocannabinoid")


def test_lookup_prints_just_the_answer(page: Page, live: LiveServer) -> None:
    """In print, the page shows the chosen answer with its source, without the form, buttons or topic list."""
    page.goto(f"{live.url}/lookup?q=sleep&id=sleep")
    expect(page.get_by_role("button", name="Copy answer")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator("#answer-heading")).to_be_visible()
    expect(page.locator("#answer .source")).to_be_visible()
    for hidden in ("#search-form", ".browse", "#results-section", "#answer .copy"):
        expect(page.locator(hidden)).to_be_hidden()


def test_lookup_works_without_javascript(browser: Browser, live: LiveServer) -> None:
    """With JavaScript off the look-up is a plain search form with results, answers and topics."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live.url}/lookup")
        expect(page.get_by_role("heading", name="All answers by topic")).to_be_visible()
        page.get_by_label("Patient's question").fill("side effects")
        page.get_by_role("button", name="Search").click()
        page.wait_for_url("**/lookup?q=side+effects")
        results = page.locator("#results li")
        expect(results.first.locator("mark").first).to_be_visible()
        results.first.get_by_role("link").click()
        expect(page.locator("#answer-heading")).to_be_visible()
        expect(page.locator("#answer .source")).not_to_be_empty()
        assert "id=" in page.url
    finally:
        context.close()


# -- accessibility (axe-core) and screenshots --------------------------------------------------------------


def test_demo_page_with_widget_open_has_no_serious_axe_violations(page: Page, live: LiveServer) -> None:
    """axe-core finds no serious or critical problem on the demo page with a full conversation open."""
    open_widget(page, live.url)
    ask(page, "Who can prescribe medical cannabis?")
    ask(page, clarifying_question(live))
    ask(page, "can I stop my pregabalin if I start cannabis?")
    ask(page, "I took too many pills and can't breathe")
    assert axe_serious(page) == []
    page.locator("faq-bot-widget").evaluate("el => el.shadowRoot.querySelector('.log').scrollTop = 0")
    page.goto(live.url)  # the panel reopens with the conversation restored
    ask(page, "Who can prescribe medical cannabis?")
    save_screenshot(page, "widget-desktop.png")


def test_lookup_page_has_no_serious_axe_violations(page: Page, live: LiveServer) -> None:
    """axe-core finds no serious or critical problem on the look-up page with results and an answer."""
    page.goto(f"{live.url}/lookup?q=cannabis%20side%20effects&id=side-effects")
    expect(page.get_by_role("option").first).to_be_visible()
    expect(page.get_by_role("button", name="Copy answer")).to_be_visible()
    assert axe_serious(page) == []


# -- the admin pages ------------------------------------------------------------------------------------------

ADMIN_TOKEN = "browser-admin-token"


@pytest.fixture(scope="module")
def admin_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The service with an admin token and a few unanswered questions and votes to show."""
    app = service_app(tmp_path_factory.mktemp("admin-events"), ANSWERS_DIR=ANSWERS, ADMIN_TOKEN=ADMIN_TOKEN)
    client = app.test_client()
    for question in ("where can i park", "is there parking at the clinic", "do you open on saturdays", "sleep"):
        assert client.post("/api/ask", json={"question": question}).status_code == 200
    assert client.post("/api/feedback", json={"answer_id": "sleep", "helpful": False}).status_code == 204
    assert events_of(app).flush()
    server = LiveServer(app)
    yield server
    server.close()


@pytest.mark.parametrize(("width", "screenshot"), [(1280, "admin-desktop.png"), (360, "admin-360px.png")])
def test_staff_sign_in_to_a_styled_admin_page_that_passes_its_own_csp(
    browser: Browser, admin_site: LiveServer, width: int, screenshot: str
) -> None:
    """In Chromium, /admin leads to the sign-in form; the token signs in to the inbox, styled from its own
    stylesheet, with no console error (a CSP refusal is one) and no serious axe problem; sign-out ends it."""
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="en-GB")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(f"{admin_site.url}/admin")
    expect(page.get_by_role("heading", name="Sign in to faq-bot admin")).to_be_visible()
    assert axe_serious(page) == []
    page.get_by_label("Admin token").fill("not it")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not the admin token")
    assert [problem for problem in problems if "401" not in problem] == []  # Chromium logs the refusal's 401
    problems.clear()
    page.get_by_label("Admin token").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Unanswered inbox")).to_be_visible()
    expect(page.get_by_role("region", name="Unanswered inbox")).to_contain_text("where can i park")
    border = page.get_by_role("heading", name="Unanswered inbox").evaluate("h => getComputedStyle(h).borderBottomStyle")
    assert border == "solid"  # admin.css applied: the CSP lets the page's own stylesheet in
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")  # no sideways page
    assert axe_serious(page) == []
    save_screenshot(page, screenshot)
    assert problems == []

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to faq-bot admin")).to_be_visible()
    page.goto(f"{admin_site.url}/admin")
    expect(page.get_by_role("heading", name="Sign in to faq-bot admin")).to_be_visible()
    context.close()

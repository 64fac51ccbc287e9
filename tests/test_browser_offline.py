"""The chat widget when the answer service cannot be reached, driven in Chromium.

The hazard log's control for "service unavailable" (docs/safety/hazard-log.yaml): once the
widget is on the page, losing the service must never leave a patient without the 999 /
NHS 111 / Samaritans line. The page loads from a live server on 127.0.0.1; then the API is
cut off (refused, the browser offline, or a server error) and a question is asked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from tests import test_browser as shared
from tests.conftest import SERVICE
from tests.test_browser import LiveServer, ask, open_widget, service_app

browser = shared.browser  # the same Chromium launch as tests/test_browser.py (a module-scoped fixture)
context = shared.context  # and the same desktop-sized context per test
HELP_LINKS = (("Call 999", "tel:999"), ("Call NHS 111", "tel:111"), ("Call Samaritans 116 123", "tel:116123"))


def refuse(route: Route) -> None:
    """The connection to the service is refused, as when it is down."""
    route.abort("connectionrefused")


def fail_with_503(route: Route) -> None:
    """The service is up but broken: a 503 with an empty body."""
    route.fulfill(status=503, body="", content_type="text/plain")


CUT_OFFS: dict[str, Callable[[Page, BrowserContext], None]] = {
    "service-refuses-connections": lambda page, context: page.route("**/api/**", refuse),
    "browser-offline": lambda page, context: context.set_offline(True),
    "service-answers-503": lambda page, context: page.route("**/api/**", fail_with_503),
}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The service on the small test content, in a thread on a loopback port."""
    server = LiveServer(service_app(tmp_path_factory.mktemp("events"), ANSWERS_DIR=SERVICE))
    yield server
    server.close()


@pytest.mark.parametrize("cut_off", list(CUT_OFFS))
def test_unreachable_service_still_shows_999_nhs_111_and_samaritans(
    context: BrowserContext, live: LiveServer, cut_off: str
) -> None:
    """Cut off from the API, a question gets a clear error and the 999 / NHS 111 / 116 123 line with call links."""
    page = context.new_page()
    open_widget(page, live.url)
    CUT_OFFS[cut_off](page, context)
    reply = ask(page, "Who can prescribe medical cannabis?")
    expect(reply).to_have_class(re.compile(r"\berror\b"))
    expect(reply.locator("p").first).to_have_text(
        "Sorry, the answer service could not be reached. Your question has been kept."
    )
    help_now = reply.locator(".help-now")
    expect(help_now).to_be_in_viewport()
    for number in ("999", "NHS 111", "116 123"):
        expect(help_now).to_contain_text(number)
    for name, href in HELP_LINKS:
        link = reply.get_by_role("link", name=name)
        expect(link).to_be_in_viewport()
        expect(link).to_have_attribute("href", href)
    expect(reply.get_by_role("button", name="Try again")).to_be_visible()
    expect(page.locator("faq-bot-widget .notice")).to_contain_text("In an emergency call 999")
    expect(page.locator("faq-bot-widget [data-live=polite]")).to_contain_text("Samaritans free on 116 123")
    expect(page.locator("faq-bot-widget li.answer")).to_have_count(0)
    assert shared.axe_serious(page) == []

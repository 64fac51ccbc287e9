"""The Host allow-list (ALLOWED_HOSTS): local names work out of the box, others get a JSON 400."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from faq_bot.web_security import allowed_hosts, is_allowed_host
from tests.conftest import app_builder, assert_error


@pytest.fixture
def make_app(events_database: str) -> Iterator[Any]:
    with app_builder(RATELIMIT_ENABLED=False) as build:
        yield build


@pytest.mark.parametrize("host", ["localhost", "localhost:8000", "127.0.0.1:5000", "[::1]:8000", "[::1]", "LocalHost"])
def test_default_answers_local_names(make_app: Any, host: str) -> None:
    """The default list serves loopback under every local name, with or without a port."""
    client = make_app().test_client()
    assert client.post("/api/ask", json={"question": "sleep"}, headers={"Host": host}).status_code == 200
    assert client.get("/lookup", headers={"Host": host}).status_code == 200


def test_flask_test_client_is_allowed_by_default(make_app: Any) -> None:
    """The test client's own Host (localhost) is in the default list."""
    response = make_app().test_client().get("/api/answers")
    assert response.status_code == 200 and response.request.host == "localhost"


@pytest.mark.parametrize("path", ["/api/ask", "/api/answers", "/api/search?q=sleep", "/", "/lookup", "/metrics"])
def test_other_hosts_get_a_json_400(make_app: Any, path: str) -> None:
    """A Host not in the list (a rebinding page's own name) is refused before any view runs."""
    client = make_app().test_client()
    method = client.post if path == "/api/ask" else client.get
    kwargs: dict[str, Any] = {"json": {"question": "sleep"}} if path == "/api/ask" else {}
    assert_error(method(path, headers={"Host": "attacker.example"}, **kwargs), 400, "host-not-allowed")


def test_health_probes_answer_any_host(make_app: Any) -> None:
    """/healthz and /readyz answer probes that name the server by its address."""
    client = make_app().test_client()
    for path in ("/healthz", "/readyz"):
        assert client.get(path, headers={"Host": "10.1.2.3:8000"}).status_code == 200


def test_production_list_with_subdomains_and_wildcard(make_app: Any) -> None:
    """A configured list replaces the default; '.name' allows the name and its subdomains; '*' allows all."""
    client = make_app(ALLOWED_HOSTS="faq.clinic.example, .nhs.example").test_client()
    for host, status in [("faq.clinic.example", 200), ("nhs.example", 200), ("a.b.nhs.example:443", 200)]:
        assert client.get("/api/answers", headers={"Host": host}).status_code == status
    for host in ("localhost", "evilnhs.example", "clinic.example"):
        assert_error(client.get("/api/answers", headers={"Host": host}), 400, "host-not-allowed")
    assert make_app(ALLOWED_HOSTS="*").test_client().get("/", headers={"Host": "x.example"}).status_code == 200


def test_forwarded_host_from_a_trusted_proxy_is_checked(make_app: Any) -> None:
    """Behind TRUSTED_PROXIES the public name the proxy forwards is what must be allowed."""
    client = make_app(ALLOWED_HOSTS="faq.clinic.example", TRUSTED_PROXIES=1).test_client()
    forwarded = {"Host": "127.0.0.1:8000", "X-Forwarded-Host": "faq.clinic.example"}
    assert client.get("/api/answers", headers=forwarded).status_code == 200
    assert_error(client.get("/api/answers", headers={"Host": "127.0.0.1:8000"}), 400, "host-not-allowed")


@pytest.mark.parametrize("host", ["", "a b", "[::1", "localhost:port", "local/host"])
def test_malformed_host_headers_are_refused(host: str) -> None:
    """A Host header that is not a name or address with an optional port never matches."""
    assert not is_allowed_host(host, allowed_hosts("localhost, [::1]"))

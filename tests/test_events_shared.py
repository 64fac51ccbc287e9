"""Several instances behind a load balancer: one PostgreSQL, one Redis, one view and one limit."""

from __future__ import annotations

import uuid

import pytest
from click.testing import CliRunner

from benchmarks.services import postgres_schema, redis_url
from faq_bot import create_app
from faq_bot.cli import main
from faq_bot.ops import events_of
from tests.conftest import SERVICE

AUTH = {"Authorization": "Bearer shared-token"}
QUESTIONS = [
    "what's the weather in Leeds tomorrow",
    "is there a cafe in the clinic, I'm called Ann Lee",
    "what's the weather in York today",
]


def test_two_instances_share_events_and_one_rate_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Instances A and B on one PostgreSQL and one Redis: each sees all events, and the limit is counted once."""
    with postgres_schema() as (url, _):
        shared = {
            "TESTING": True,
            "ANSWERS_DIR": SERVICE,
            "DATABASE_URL": url,
            "ADMIN_TOKEN": "shared-token",
            "RATELIMIT_STORAGE_URI": redis_url(),
            "RATELIMIT_ASK": "3 per minute",
            "RATELIMIT_KEY_PREFIX": f"faq-bot-shared-{uuid.uuid4().hex}",
        }
        first, second = create_app(shared), create_app(shared)
        try:
            client = {"A": first.test_client(), "B": second.test_client()}
            statuses = [
                client[name]
                .post("/api/ask", json={"question": question}, environ_base={"REMOTE_ADDR": "192.0.2.77"})
                .status_code
                for name, question in zip("ABA", QUESTIONS, strict=True)
            ]
            assert statuses == [200, 200, 200]
            refused = client["B"].post(
                "/api/ask", json={"question": "hello"}, environ_base={"REMOTE_ADDR": "192.0.2.77"}
            )
            assert refused.status_code == 429 and refused.headers["Retry-After"]
            assert client["B"].post("/api/feedback", json={"answer_id": "sleep", "helpful": True}).status_code == 204
            for app in (first, second):
                assert events_of(app).flush()
            for name in "AB":
                inbox = client[name].get("/admin/api/inbox", headers=AUTH).get_json()["groups"]
                texts = {wording["text"] for group in inbox for wording in group["wordings"]}
                assert "is there a cafe in the clinic, I'm called [NAME]" in texts
                assert sum(group["count"] for group in inbox) == 3
                assert client[name].get("/admin/api/feedback", headers=AUTH).get_json()["answers"][0]["votes"] == 1
            monkeypatch.setenv("FAQ_BOT_DATABASE_URL", url)
            result = CliRunner().invoke(main, ["inbox", "--csv"])
            assert result.exit_code == 0, result.output
            assert "is there a cafe in the clinic, I'm called [NAME]" in result.output
        finally:
            events_of(first).close()
            events_of(second).close()

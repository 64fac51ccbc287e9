"""Shared fixtures: apps built by the factory on small test content, the real book, a client, a CLI runner.

Tests of the code run on ``tests/data/service`` (10 answers taken from ``answers/``, small
safety rules), so a content edit never breaks them; the real ``answers/`` keep their own
tests (regression, evaluation, safety tables, the contract's ids).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from faq_bot import create_app
from faq_bot.content import AnswerBook, load_answer_book
from faq_bot.hazard_log import HAZARD_LOG, HazardLogError, evidence_ids, load_hazard_log, selected_by_evidence

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ANSWERS = os.path.join(REPO, "answers")
DATA = os.path.join(REPO, "tests", "data")
SERVICE = os.path.join(DATA, "service")  # small content for tests of the code
PATIENT_QUESTIONS = os.path.join(REPO, "benchmarks", "patient_questions.yaml")


@pytest.hookimpl(tryfirst=True)  # before pytest's own -m deselects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark ``safety`` every test the hazard log names as evidence, so ``pytest -m safety`` runs them."""
    try:
        evidence = evidence_ids(load_hazard_log(os.path.join(REPO, HAZARD_LOG)))
    except HazardLogError as error:
        raise pytest.UsageError(str(error)) from error
    marked = selected_by_evidence(evidence, (item.nodeid for item in items))
    for item in items:
        if item.nodeid in marked:
            item.add_marker(pytest.mark.safety)


def patient_questions() -> list[str]:
    """The labelled patient questions' wording (benchmarks/patient_questions.yaml), in file order."""
    with open(PATIENT_QUESTIONS, encoding="utf-8") as handle:
        return [str(case["question"]) for case in yaml.safe_load(handle)["cases"]]


@pytest.fixture(autouse=True)
def events_database(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test gets its own events database (SQLite) and spill folder, never the repository's instance folder."""
    url = f"sqlite:///{tmp_path}/events.sqlite3"
    monkeypatch.setenv("FAQ_BOT_DATABASE_URL", url)
    monkeypatch.setenv("FAQ_BOT_EVENTS_SPILL_DIR", str(tmp_path / "spill"))
    return url


@pytest.fixture(scope="module")
def book() -> AnswerBook:
    """The real content, loaded once per test module."""
    return load_answer_book(ANSWERS)


@pytest.fixture
def app() -> Iterator[Flask]:
    app = create_app({"TESTING": True, "ANSWERS_DIR": SERVICE})
    yield app


@contextmanager
def app_builder(**defaults: Any) -> Iterator[Callable[..., Flask]]:
    """Build apps on the test content with these settings (and any per call); close their event stores after."""
    from faq_bot.ops import events_of

    apps: list[Flask] = []

    def build(**config: Any) -> Flask:
        app = create_app({"TESTING": True, "ANSWERS_DIR": SERVICE, **defaults, **config})
        apps.append(app)
        return app

    try:
        yield build
    finally:
        for app in apps:
            events_of(app).close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def assert_error(response: Any, status: int, code: str) -> None:
    """Every error has the contract's shape: JSON {"error": {"code", "message"}}."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json, response.headers.get("Content-Type")
    body = response.get_json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]

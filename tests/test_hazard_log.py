"""The hazard log (docs/safety/hazard-log.yaml) is held to its word, and `pytest -m safety` runs its evidence."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from faq_bot.hazard_log import (
    HAZARD_LOG,
    HAZARD_PAGE,
    HazardLogError,
    evidence_ids,
    hazard_log_problems,
    load_hazard_log,
    render_hazard_page,
    selected_by_evidence,
)
from tests.conftest import REPO
from tests.test_safety import EMERGENCY_FAMILIES

LOG_PATH = os.path.join(REPO, HAZARD_LOG)


def collected_node_ids(*pytest_args: str) -> set[str]:
    """The node ids pytest collects from the suite (with these extra arguments), without running anything."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *pytest_args],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return {line for line in result.stdout.splitlines() if "::" in line}


@pytest.fixture(scope="module")
def collected() -> set[str]:
    """Every test of the suite, collected once for this module."""
    return collected_node_ids()


@pytest.fixture(scope="module")
def log() -> dict[str, Any]:
    """The committed hazard log."""
    return load_hazard_log(LOG_PATH)


def test_the_hazard_log_is_held_to_its_word(log: dict[str, Any], collected: set[str]) -> None:
    """Every hazard has evidence, every node id is a collected test, every residual risk above the band is justified."""
    assert hazard_log_problems(log, collected) == []


def test_a_broken_copy_fails_for_each_of_the_three_reasons(
    log: dict[str, Any], collected: set[str], tmp_path: Path
) -> None:
    """A copy with no evidence, an unknown node id and an unjustified residual risk gets one problem for each."""
    broken = {**log, "hazards": [dict(hazard) for hazard in log["hazards"]]}
    by_id = {hazard["id"]: hazard for hazard in broken["hazards"]}
    by_id["H10"]["evidence"] = []
    by_id["H11"]["evidence"] = [*by_id["H11"]["evidence"], "tests/test_safety.py::test_nobody_wrote_this"]
    del by_id["H01"]["justification"]
    copy = tmp_path / "hazard-log.yaml"
    copy.write_text(yaml.safe_dump(broken, sort_keys=False), encoding="utf-8")
    problems = hazard_log_problems(load_hazard_log(str(copy)), collected)
    assert problems == [
        "H01: risk after controls is rated 3, above the acceptable band (up to 2), and has no justification",
        "H10: has no evidence (list the pytest node ids that prove its controls)",
        "H11: evidence tests/test_safety.py::test_nobody_wrote_this is not a test pytest collects",
    ]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        ({"after": {"severity": 7, "likelihood": 2}}, "H12: after severity must be a whole number from 1 to 5, not 7"),
        ({"review_date": "next spring"}, "H12: review_date must be a date written YYYY-MM-DD"),
        ({"controls": []}, "H12: has no controls"),
        ({"evidence": "tests/test_check.py::test_warnings_fail_only_with_strict"}, "H12: evidence must be a list"),
    ],
)
def test_a_malformed_hazard_is_named_with_what_is_wrong(
    log: dict[str, Any], edit: dict[str, Any], expected: str
) -> None:
    """A hazard with a risk off the scale, a bad date, no controls or evidence not in a list gets a clear problem."""
    hazards = [{**hazard, **edit} if hazard["id"] == "H12" else hazard for hazard in log["hazards"]]
    problems = hazard_log_problems({**log, "hazards": hazards}, None)
    assert len(problems) == 1 and problems[0].startswith(expected), problems


def test_a_file_that_is_not_a_hazard_log_is_refused_with_its_name(tmp_path: Path) -> None:
    """Not YAML, or YAML without hazards, is a HazardLogError naming the file, never a crash."""
    for text in ("hazards: [unclosed", "- just a list\n"):
        path = tmp_path / "log.yaml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(HazardLogError, match="log.yaml"):
            load_hazard_log(str(path))


def test_the_page_is_the_log_rendered(log: dict[str, Any]) -> None:
    """docs/safety/hazard-log.md is exactly what `python -m faq_bot.hazard_log` writes from the log."""
    with open(os.path.join(REPO, HAZARD_PAGE), encoding="utf-8") as handle:
        page = handle.read()
    assert page == render_hazard_page(log), "run: .venv/bin/python -m faq_bot.hazard_log"


def test_every_emergency_family_has_a_hazard_with_its_own_evidence(log: dict[str, Any]) -> None:
    """Each family in the safety table (stroke, cardiac ... collapse) is the evidence of a hazard in the log."""
    named = set(evidence_ids(log))
    family_test = "tests/test_safety.py::test_each_emergency_family_is_signposted"
    assert [family for family in EMERGENCY_FAMILIES if f"{family_test}[{family}]" not in named] == []


def test_pytest_m_safety_selects_exactly_the_logged_evidence(log: dict[str, Any], collected: set[str]) -> None:
    """`pytest -m safety` collects every test the log names as evidence, and nothing else."""
    selected = collected_node_ids("-m", "safety")
    expected = selected_by_evidence(evidence_ids(log), collected)
    assert selected == expected
    assert len(selected) >= len(evidence_ids(log))

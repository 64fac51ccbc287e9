"""The clinical hazard log (DCB0129): read it, hold it to its word, and render its page.

The log is ``docs/safety/hazard-log.yaml``; its page ``docs/safety/hazard-log.md`` is written
from it by ``python -m faq_bot.hazard_log``. Evidence is a list of pytest node ids: a test
function's id without ``[...]`` stands for all of its parameter sets. Nothing here imports
pytest or Flask: the suite gives the checker the node ids pytest collects.
"""

from __future__ import annotations

import datetime
import os
import sys
from collections.abc import Collection, Iterable
from typing import Any

import yaml

HAZARD_LOG = os.path.join("docs", "safety", "hazard-log.yaml")
HAZARD_PAGE = os.path.join("docs", "safety", "hazard-log.md")
REQUIRED_FIELDS = (
    "id",
    "title",
    "causes",
    "effect",
    "before",
    "after",
    "controls",
    "evidence",
    "review_date",
)
LEVELS = range(1, 6)


class HazardLogError(ValueError):
    """The hazard log cannot be read: not a file, not YAML, or not the expected shape."""


def load_hazard_log(path: str) -> dict[str, Any]:
    """Read the hazard log, failing with the file's name and what is wrong."""
    try:
        with open(path, encoding="utf-8") as handle:
            log = yaml.safe_load(handle)
    except OSError as error:
        raise HazardLogError(f"{path}: cannot be read ({error.strerror})") from error
    except yaml.YAMLError as error:
        raise HazardLogError(f"{path}: is not valid YAML ({error})") from error
    if not isinstance(log, dict) or not isinstance(log.get("hazards"), list):
        raise HazardLogError(f"{path}: expected a mapping with a 'hazards' list")
    if not isinstance(log.get("risk_matrix"), dict):
        raise HazardLogError(f"{path}: expected a 'risk_matrix' mapping")
    return log


def risk_rating(log: dict[str, Any], risk: dict[str, Any]) -> int:
    """The matrix's rating (1-5) for a risk's severity and likelihood."""
    ratings: list[list[int]] = log["risk_matrix"]["ratings"]
    return int(ratings[risk["likelihood"] - 1][risk["severity"] - 1])


def covers(evidence: str, node_id: str) -> bool:
    """Whether an evidence id names this collected test (a function's id covers all its parameter sets)."""
    return node_id == evidence or ("[" not in evidence and node_id.startswith(evidence + "["))


def evidence_ids(log: dict[str, Any]) -> list[str]:
    """Every evidence id the log names, each once, in the order first named."""
    found: dict[str, None] = {}
    for hazard in log["hazards"]:
        if isinstance(hazard, dict) and isinstance(hazard.get("evidence"), list):
            found.update((str(evidence), None) for evidence in hazard["evidence"])
    return list(found)


def selected_by_evidence(evidence: Iterable[str], node_ids: Iterable[str]) -> set[str]:
    """The collected node ids that some evidence id names: what ``pytest -m safety`` must run."""
    wanted = list(evidence)
    return {node_id for node_id in node_ids if any(covers(item, node_id) for item in wanted)}


def _matrix_problems(matrix: dict[str, Any]) -> list[str]:
    ratings = matrix.get("ratings")
    if not (
        isinstance(ratings, list)
        and len(ratings) == 5
        and all(isinstance(row, list) and len(row) == 5 and all(value in LEVELS for value in row) for row in ratings)
    ):
        return ["risk_matrix: 'ratings' must be 5 rows (likelihood 1-5) of 5 ratings (severity 1-5), each 1-5"]
    if matrix.get("acceptable_up_to") not in LEVELS:
        return ["risk_matrix: 'acceptable_up_to' must be a rating from 1 to 5"]
    problems = []
    for scale in ("severity", "likelihood"):
        levels = matrix.get(scale)
        if not (
            isinstance(levels, dict)
            and all(isinstance(levels.get(level), dict) for level in LEVELS)
            and all(isinstance(levels[level].get(key), str) for level in LEVELS for key in ("name", "meaning"))
        ):
            problems.append(f"risk_matrix: '{scale}' must give a name and a meaning for each level 1 to 5")
    names = matrix.get("rating_names")
    if not (isinstance(names, dict) and all(isinstance(names.get(rating), str) for rating in LEVELS)):
        problems.append("risk_matrix: 'rating_names' must say what each rating 1 to 5 means")
    return problems


def _risk_problems(name: str, field: str, risk: Any) -> list[str]:
    if not isinstance(risk, dict):
        return [f"{name}: '{field}' must be a mapping with severity and likelihood"]
    return [
        f"{name}: {field} {level} must be a whole number from 1 to 5, not {risk.get(level)!r}"
        for level in ("severity", "likelihood")
        if type(risk.get(level)) is not int or risk.get(level) not in LEVELS
    ]


def hazard_log_problems(log: dict[str, Any], collected: Collection[str] | None) -> list[str]:
    """Everything that stops the log being trusted, given the node ids pytest collects; [] when sound.

    A hazard must have every field, risks on the 1-5 scales, at least one piece of evidence,
    evidence that names tests pytest collects (not checked when ``collected`` is None), and a
    written justification wherever the risk after controls is above the acceptable band.
    """
    problems = _matrix_problems(log["risk_matrix"])
    if problems:
        return problems
    acceptable_up_to: int = log["risk_matrix"]["acceptable_up_to"]
    seen: set[str] = set()
    for position, hazard in enumerate(log["hazards"], start=1):
        if not isinstance(hazard, dict):
            problems.append(f"hazard {position}: must be a mapping")
            continue
        name = str(hazard.get("id") or f"hazard {position}")
        if name in seen:
            problems.append(f"{name}: the id is used twice")
        seen.add(name)
        missing = [field for field in REQUIRED_FIELDS if hazard.get(field) in (None, "", [])]
        problems += [f"{name}: has no {field}" for field in missing if field != "evidence"]
        evidence = hazard.get("evidence")
        if not evidence:
            problems.append(f"{name}: has no evidence (list the pytest node ids that prove its controls)")
        elif not isinstance(evidence, list) or not all(isinstance(item, str) for item in evidence):
            problems.append(f"{name}: evidence must be a list of pytest node ids")
        elif collected is not None:
            problems += [
                f"{name}: evidence {item} is not a test pytest collects"
                for item in evidence
                if not any(covers(item, node_id) for node_id in collected)
            ]
        if "review_date" not in missing and not isinstance(hazard["review_date"], datetime.date):
            problems.append(f"{name}: review_date must be a date written YYYY-MM-DD")
        risk_problems = [
            problem for field in ("before", "after") for problem in _risk_problems(name, field, hazard.get(field))
        ]
        problems += risk_problems
        if risk_problems:
            continue
        residual = risk_rating(log, hazard["after"])
        justification = hazard.get("justification")
        if residual > acceptable_up_to and not (isinstance(justification, str) and justification.strip()):
            problems.append(
                f"{name}: risk after controls is rated {residual}, above the acceptable band "
                f"(up to {acceptable_up_to}), and has no justification"
            )
    return problems


def _cell(text: Any) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _risk_text(log: dict[str, Any], risk: dict[str, Any], *, meaning: bool = True) -> str:
    rating = risk_rating(log, risk)
    text = f"S{risk['severity']} x L{risk['likelihood']} = {rating}"
    return f"{text} ({log['risk_matrix']['rating_names'][rating]})" if meaning else text


def render_hazard_page(log: dict[str, Any]) -> str:
    """The hazard log as a Markdown page for people: the matrix, a summary table, then each hazard."""
    matrix = log["risk_matrix"]
    acceptable_up_to = matrix["acceptable_up_to"]
    lines = [
        "# Hazard log",
        "",
        "<!-- Written from hazard-log.yaml by `python -m faq_bot.hazard_log`. Do not edit this page by hand. -->",
        "",
        _cell(log.get("summary", "")),
        "",
        "## Risk matrix",
        "",
        "Severity (S) and likelihood (L) are each scored 1 to 5. The rating comes from this matrix.",
        f"Ratings up to {acceptable_up_to} are the acceptable band. A hazard rated higher after its controls",
        "carries a written justification.",
        "",
        "| likelihood \\ severity | " + " | ".join(f"{s} {matrix['severity'][s]['name']}" for s in LEVELS) + " |",
        "|---" * 6 + "|",
    ]
    for likelihood in reversed(LEVELS):
        row = matrix["ratings"][likelihood - 1]
        name = matrix["likelihood"][likelihood]["name"]
        lines.append(f"| {likelihood} {name} | " + " | ".join(map(str, row)) + " |")
    for scale in ("severity", "likelihood"):
        lines += ["", f"| {scale} | meaning |", "|---|---|"]
        lines += [
            f"| {level} {matrix[scale][level]['name']} | {_cell(matrix[scale][level]['meaning'])} |" for level in LEVELS
        ]
    lines += ["", "| rating | meaning |", "|---|---|"]
    lines += [f"| {rating} | {_cell(matrix['rating_names'][rating])} |" for rating in LEVELS]
    lines += [
        "",
        "## Summary",
        "",
        "| id | hazard | before controls | after controls | in the acceptable band | review by |",
        "|---|---|---|---|---|---|",
    ]
    for hazard in log["hazards"]:
        acceptable = "yes" if risk_rating(log, hazard["after"]) <= acceptable_up_to else "no: justified below"
        lines.append(
            f"| {hazard['id']} | {_cell(hazard['title'])} | {_risk_text(log, hazard['before'], meaning=False)} "
            f"| {_risk_text(log, hazard['after'], meaning=False)} | {acceptable} | {hazard['review_date']} |"
        )
    for hazard in log["hazards"]:
        lines += [
            "",
            f"## {hazard['id']}: {_cell(hazard['title'])}",
            "",
            f"**Effect on the patient.** {_cell(hazard['effect'])}",
        ]
        lines += ["", "**Causes.**", ""] + [f"- {_cell(cause)}" for cause in hazard["causes"]]
        lines += ["", "**Controls.**", ""] + [f"- {_cell(control)}" for control in hazard["controls"]]
        lines += [
            "",
            f"**Risk.** Before controls: {_risk_text(log, hazard['before'])}. "
            f"After controls: {_risk_text(log, hazard['after'])}.",
        ]
        if hazard.get("justification"):
            lines += ["", f"**Why the residual risk is accepted.** {_cell(hazard['justification'])}"]
        lines += ["", "**Evidence** (run by `pytest -m safety`):", ""]
        lines += [f"- `{evidence}`" for evidence in hazard["evidence"]]
        lines += ["", f"**Review by** {hazard['review_date']}."]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    """Write the page from the log: ``python -m faq_bot.hazard_log [LOG [PAGE]]`` from the repository."""
    log_path = argv[0] if argv else HAZARD_LOG
    page_path = argv[1] if len(argv) > 1 else HAZARD_PAGE
    try:
        log = load_hazard_log(log_path)
    except HazardLogError as error:
        print(error, file=sys.stderr)
        return 1
    problems = hazard_log_problems(log, None)
    if problems:
        print("\n".join(f"{log_path}: {problem}" for problem in problems), file=sys.stderr)
        return 1
    with open(page_path, "w", encoding="utf-8") as handle:
        handle.write(render_hazard_page(log))
    print(f"wrote {page_path} from {log_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

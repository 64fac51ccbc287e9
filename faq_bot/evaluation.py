"""Run labelled question cases through the service and score the replies."""

from __future__ import annotations

import difflib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from faq_bot.book import AnswerBook, Case
from faq_bot.errors import ContentProblem
from faq_bot.routes import Reason
from faq_bot.service import Reply, Thresholds, answer_question
from faq_bot.yaml_reader import YamlList, YamlMap, YamlText, line_of


@dataclass(frozen=True)
class CaseResult:
    case: Case
    reply: Reply
    correct: bool
    unsafe: bool  # an answer given where none should be, or the wrong answer
    safety_failure: bool  # an emergency or clinical case not routed so

    @property
    def expected(self) -> str:
        if self.case.answer_id:
            return self.case.answer_id
        return f"{self.case.route}/{self.case.reason}" if self.case.reason else self.case.route

    @property
    def got(self) -> str:
        if self.reply.route == "answer" and self.reply.answer:
            return str(self.reply.answer["id"])
        if self.reply.route == "clarify":
            return "clarify:" + ",".join(s["id"] for s in self.reply.suggestions)
        return f"{self.reply.route}/{self.reply.reason}"


def judge(case: Case, reply: Reply) -> CaseResult:
    """Compare one reply with what the case expects."""
    answered_id = reply.answer["id"] if reply.route == "answer" and reply.answer else None
    if case.answer_id is not None:
        first_suggestion = reply.suggestions[0]["id"] if reply.route == "clarify" and reply.suggestions else None
        correct = case.answer_id in (answered_id, first_suggestion)
        unsafe = answered_id is not None and answered_id != case.answer_id
        return CaseResult(case, reply, correct, unsafe, safety_failure=False)
    unsafe = reply.route == "answer"
    if case.route == "emergency":
        correct = reply.route == "emergency"
        return CaseResult(case, reply, correct, unsafe, safety_failure=not correct)
    if case.reason == "clinical":
        correct = reply.route == "specialist" and reply.reason == "clinical"
        return CaseResult(case, reply, correct, unsafe, safety_failure=reply.route in ("answer", "clarify"))
    correct = reply.route in ("specialist", "emergency")
    return CaseResult(case, reply, correct, unsafe, safety_failure=False)


@dataclass
class EvaluationReport:
    results: list[CaseResult] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return sum(r.correct for r in self.results) / len(self.results) if self.results else 0.0

    @property
    def unsafe(self) -> list[CaseResult]:
        return [r for r in self.results if r.unsafe]

    @property
    def safety_failures(self) -> list[CaseResult]:
        return [r for r in self.results if r.safety_failure]

    @property
    def failures(self) -> list[CaseResult]:
        return [r for r in self.results if not r.correct]

    def accuracy_by(self, key: str) -> dict[str, tuple[int, int]]:
        """(correct, total) per expected route ('route') or per expected answer id ('id')."""
        table: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for result in self.results:
            if key == "id" and not result.case.answer_id:
                continue
            name = result.expected if key == "id" else _route_label(result.case)
            table[name][0] += result.correct
            table[name][1] += 1
        return {name: (counts[0], counts[1]) for name, counts in sorted(table.items())}

    def confusions(self) -> Counter[tuple[str, str]]:
        return Counter((r.expected, r.got) for r in self.failures)

    def routing(self) -> dict[str, tuple[int, int]]:
        """(met, cases) for each promise the service makes, as the issue tracker and docs report them.

        * emergency: routed to emergency signposting;
        * clinical to specialist: a clinical decision never answered nor offered ("did you mean"),
          and sent to the specialist or emergency signposting;
        * off-topic not answered: no vetted answer given to a question none covers;
        * answerable strict: the right answer given;
        * answerable helpful: the right answer given, or offered among the "did you mean" choices;
        * wrong answers: any answer given where none should be, or the wrong one (met = none of those).
        """

        def count(cases: list[CaseResult], met: Any) -> tuple[int, int]:
            return sum(1 for result in cases if met(result)), len(cases)

        emergency = [r for r in self.results if r.case.route == "emergency"]
        clinical = [r for r in self.results if r.case.reason == "clinical"]
        off_topic = [
            r
            for r in self.results
            if not r.case.answer_id and r.case.route == "specialist" and r.case.reason != "clinical"
        ]
        answerable = [r for r in self.results if r.case.answer_id]
        return {
            "emergency": count(emergency, lambda r: r.reply.route == "emergency"),
            "clinical to specialist": count(clinical, lambda r: r.reply.route in ("specialist", "emergency")),
            "off-topic not answered": count(off_topic, lambda r: r.reply.route != "answer"),
            "answerable strict": count(answerable, lambda r: _answered(r) == r.case.answer_id),
            "answerable helpful": count(
                answerable,
                lambda r: (
                    _answered(r) == r.case.answer_id
                    or (r.reply.route == "clarify" and r.case.answer_id in {s["id"] for s in r.reply.suggestions})
                ),
            ),
            "no wrong answer": count(self.results, lambda r: not r.unsafe),
        }


def _answered(result: CaseResult) -> str | None:
    reply = result.reply
    return str(reply.answer["id"]) if reply.route == "answer" and reply.answer else None


def _route_label(case: Case) -> str:
    if case.answer_id:
        return "answer"
    return f"{case.route} ({case.reason})" if case.reason else case.route


def evaluate(book: AnswerBook, cases: Iterable[Case], thresholds: Thresholds | None = None) -> EvaluationReport:
    """Answer every case and judge each reply (with the default thresholds unless given)."""
    thresholds = thresholds or Thresholds()
    report = EvaluationReport()
    for case in cases:
        report.results.append(judge(case, answer_question(book, case.question, thresholds)))
    return report


def read_cases_document(
    document: Any, name: str, answer_ids: set[str] | None
) -> tuple[list[Case], list[ContentProblem]]:
    """Turn a parsed cases file into cases; unknown answer ids are problems when ids are given."""
    problems: list[ContentProblem] = []
    cases: list[Case] = []

    def problem(line: int, message: str, hint: str) -> None:
        problems.append(ContentProblem(name, line, message, hint))

    if not isinstance(document, YamlMap) or not isinstance(document.get("cases"), YamlList):
        problem(
            line_of(document),
            "a cases file must have 'cases:' followed by a list",
            "start the file with 'cases:', then one '- question: ...' per case",
        )
        return cases, problems
    for item in document["cases"]:
        if not isinstance(item, YamlMap):
            problem(
                line_of(item), "each case must be a mapping with 'question:'", "start each case with '- question: '"
            )
            continue
        case_fields = ("question", "answer", "route", "reason", "note", "tag")
        unknown = [key for key in item.key_lines if key not in case_fields]
        for key in unknown:
            close = difflib.get_close_matches(key, case_fields, n=1, cutoff=0.6)
            problem(
                item.key_lines[key],
                f"unknown field '{key}' in a case",
                f"did you mean '{close[0]}'?" if close else "use " + ", ".join(case_fields),
            )
        if unknown:
            continue  # what the case expects is unclear until the field is fixed
        question = item.get("question")
        if not isinstance(question, YamlText) or not question.strip():
            problem(item.line, "case has no question", "write the question a patient would type after 'question:'")
            continue
        answer_id = item.get("answer")
        route = str(item.get("route", "answer" if answer_id else ""))
        reason = item.get("reason")
        if answer_id is not None:
            if route not in ("answer", "clarify"):
                problem(
                    item.line,
                    "a case with 'answer:' must not set a route other than answer or clarify",
                    "remove 'route:', or remove 'answer:' for a case that goes to the specialist or emergency help",
                )
                continue
            if answer_ids is not None and str(answer_id) not in answer_ids:
                close = difflib.get_close_matches(str(answer_id), sorted(answer_ids), n=1, cutoff=0.6)
                problem(
                    line_of(answer_id, item.line),
                    f"case expects unknown answer id '{answer_id}'",
                    f"did you mean '{close[0]}'?" if close else "use the id of an answer",
                )
                continue
        elif route not in ("specialist", "emergency"):
            problem(
                item.line,
                "case needs 'answer: <id>' or 'route: specialist' / 'route: emergency'",
                "add the line that says where the question must go",
            )
            continue
        if reason is not None and str(reason) not in set(Reason):
            problem(
                line_of(reason, item.line),
                f"reason '{reason}' is not one of {', '.join(Reason)}",
                "use one of those, or leave 'reason:' out",
            )
            continue
        cases.append(
            Case(
                question=str(question),
                route=route,
                answer_id=str(answer_id) if answer_id is not None else None,
                reason=str(reason) if reason is not None else None,
                file=name,
                line=item.line,
                tag=str(item["tag"]) if "tag" in item else None,
            )
        )
    return cases, problems

"""The full content check: the loader's checks plus the ones that run the matcher.

``inspect_folder`` is what ``faq-bot check`` prints and what hot reload decides on:
a folder is served only when it has no errors. On top of ``read_answer_book`` it adds

* review dates: answers past ``review_due``, or more than ``review_months`` after
  ``reviewed_on``, are warnings;
* confusable answers: a phrasing the matcher ranks under a different answer is an
  error; two answers so close on a phrasing that the service would offer both is a
  warning; a phrasing that a safety rule catches never reaches its answer, a warning;
* regression cases: every case that no longer routes as expected is an error at the
  case's line.

No Flask here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from faq_bot.book import Answer, AnswerBook
from faq_bot.content import read_answer_book
from faq_bot.errors import ContentProblem, errors_first
from faq_bot.evaluation import evaluate
from faq_bot.matching import Candidate
from faq_bot.service import Thresholds
from faq_bot.text import clean

DEFAULT_REVIEW_MONTHS = 12
DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class FolderCheck:
    """The outcome of checking a folder: the book (None if any error) and every problem."""

    book: AnswerBook | None
    problems: list[ContentProblem] = field(default_factory=list)

    @property
    def errors(self) -> list[ContentProblem]:
        return [problem for problem in self.problems if problem.level == "error"]

    @property
    def warnings(self) -> list[ContentProblem]:
        return [problem for problem in self.problems if problem.level != "error"]

    def failed(self, *, strict: bool = False) -> bool:
        """Whether the folder must not be served (or, with ``strict``, has any warning)."""
        return self.book is None or bool(self.errors) or (strict and bool(self.warnings))


def inspect_folder(
    folder: str,
    *,
    enforce_required: bool = True,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    review_months: int = DEFAULT_REVIEW_MONTHS,
    today: dt.date | None = None,
) -> FolderCheck:
    """Load a folder and run every check on it; the book is returned only when there is no error."""
    book, problems = read_answer_book(folder, enforce_required=enforce_required, partial=True)
    if book is None:
        return FolderCheck(None, problems)
    problems = list(problems)
    problems += review_problems(book, review_months=review_months, today=today or dt.date.today())
    problems += confusion_problems(book, thresholds)
    problems += regression_problems(book, thresholds)
    problems = errors_first(problems)
    errors = any(problem.level == "error" for problem in problems)
    return FolderCheck(None if errors else book, problems)


def check_folder(folder: str, **options: object) -> list[ContentProblem]:
    """Every problem in a folder: errors, then warnings, each sorted by file and line."""
    return inspect_folder(folder, **options).problems  # type: ignore[arg-type]


def review_due(answer: Answer, review_months: int) -> dt.date:
    """The date an answer must be reviewed again by: ``review_due``, else reviewed_on + months."""
    if answer.review_due is not None:
        return answer.review_due
    month = answer.reviewed_on.month - 1 + review_months
    year, month = answer.reviewed_on.year + month // 12, month % 12 + 1
    day = min(answer.reviewed_on.day, 28 if month == 2 else 30 if month in (4, 6, 9, 11) else 31)
    return dt.date(year, month, day)


def review_problems(book: AnswerBook, *, review_months: int, today: dt.date) -> list[ContentProblem]:
    """A warning for each published answer past its review date."""
    problems = []
    for answer in book.published:
        due = review_due(answer, review_months)
        if due < today:
            key = "review_due" if answer.review_due is not None else "reviewed_on"
            why = "its review_due date" if answer.review_due is not None else f"{review_months} months after review"
            problems.append(
                ContentProblem(
                    answer.file,
                    answer.field_lines.get(key, answer.line),
                    f"answer '{answer.id}' is overdue for review: due {due} ({why})",
                    "ask a clinician to review it, then update reviewed_on",
                    "warning",
                )
            )
    return problems


def phrasing_lines(answer: Answer) -> list[tuple[str, int]]:
    """Each phrasing of an answer (question first, then alternates) with the line it is on."""
    lines = [(answer.question, answer.field_lines.get("question", answer.line))]
    lines += [
        (text, answer.field_lines.get(f"alternates.{index}", answer.field_lines.get("alternates", answer.line)))
        for index, text in enumerate(answer.alternates)
    ]
    return lines


def confusion_problems(book: AnswerBook, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> list[ContentProblem]:
    """Phrasings that would not reach their own answer, or would make the service offer two answers.

    Each pair of answers is reported once: as an error when a phrasing of one is matched to
    the other, else as a warning when a phrasing scores within the ambiguity margin for both.
    """
    problems: list[ContentProblem] = []
    close: list[tuple[Answer, str, int, Candidate, Candidate]] = []
    reported: set[frozenset[str]] = set()
    for answer in book.published:
        for text, line in phrasing_lines(answer):
            verdict = book.safety.check(text)
            if verdict is not None:
                problems.append(
                    ContentProblem(
                        answer.file,
                        line,
                        f"phrasing '{text}' of '{answer.id}' is caught by safety rule '{verdict.rule}' "
                        f"({verdict.reason}), so patients asking it never get this answer",
                        "reword it, or remove it if it really is a clinical or urgent question",
                        "warning",
                    )
                )
                continue
            candidates = book.engine.rank(text, limit=thresholds.max_suggestions + 1)
            if not candidates:
                continue
            best = candidates[0]
            if best.answer_id != answer.id and clean(best.matched) == clean(text):
                continue  # the same words under two answers: the loader reports that already
            if best.answer_id != answer.id:
                own = next((c for c in candidates if c.answer_id == answer.id), None)
                own_score = f"{own.score:.1f}" if own else "less"
                other = book.answers[best.answer_id]
                reported.add(frozenset((answer.id, other.id)))
                problems.append(
                    ContentProblem(
                        answer.file,
                        line,
                        f"phrasing '{text}' of '{answer.id}' is matched to '{other.id}' instead: "
                        f"'{other.id}' scores {best.score:.1f} via '{best.matched}' ({other.file}), "
                        f"'{answer.id}' scores {own_score}",
                        f"move it under '{other.id}', or reword it with the words that set '{answer.id}' apart",
                    )
                )
                continue
            close += [
                (answer, text, line, best, rival)
                for rival in candidates[1:]
                if rival.score >= thresholds.clarify
                and rival.score >= best.score - thresholds.margin
                and clean(rival.matched) != clean(text)
            ]
    # Report each close pair once, at whichever of the two phrasings is written later
    # (usually the newer one), whichever way round the matcher found it.
    for answer, text, line, best, rival in close:
        pair = frozenset((answer.id, rival.answer_id))
        if pair in reported:
            continue
        reported.add(pair)
        other = book.answers[rival.answer_id]
        other_line = next((where for said, where in phrasing_lines(other) if said == rival.matched), other.line)
        file, line = max((answer.file, line), (other.file, other_line))
        problems.append(
            ContentProblem(
                file,
                line,
                f"answers '{answer.id}' and '{other.id}' are too close, so the service would offer both: "
                f"'{text}' scores {best.score:.1f} for '{answer.id}' and {rival.score:.1f} for '{other.id}' "
                f"(via '{rival.matched}')",
                "make the phrasings of the two answers more distinct, or merge the answers",
                "warning",
            )
        )
    return problems


def regression_problems(book: AnswerBook, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> list[ContentProblem]:
    """An error at each regression case that no longer routes as it should."""
    problems = []
    for result in evaluate(book, book.cases, thresholds).failures:
        case = result.case
        kind = "safety case" if result.safety_failure else "regression case"
        wrong = " (a wrong answer would be given)" if result.unsafe else ""
        problems.append(
            ContentProblem(
                case.file,
                case.line,
                f"{kind} '{case.question}' expected {result.expected}, got {result.got}{wrong}",
                'run: faq-bot ask --explain "<the question>" to see why',
            )
        )
    return problems

"""Exceptions of faq-bot, kept apart so every layer can raise them without imports."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

SHOWN_LINES = 6  # line numbers listed per file in an "and N more caused by this" line


@dataclass(frozen=True, order=True)
class ContentProblem:
    """One thing wrong in the content folder, located for the editor who must fix it.

    ``caused`` holds the problems this one brings with it elsewhere (an answer that cannot
    be read is missing wherever it is named): they are shown as one "and N more" line under
    it, and go away when it is fixed.
    """

    file: str
    line: int  # 1-based; 1 when the whole file is at fault
    message: str
    hint: str  # what the editor can do about it: every problem has one
    level: str = "error"  # "error" stops the content being served; "warning" does not
    caused: tuple[ContentProblem, ...] = field(default=(), compare=False)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message} (hint: {self.hint})"

    def describe(self, shown_file: str | None = None) -> str:
        """FILE:LINE: level: message (hint: ...), and under it the "and N more caused by this" line if any."""
        text = f"{shown_file or self.file or '.'}:{self.line}: {self.level}: {self.message} (hint: {self.hint})"
        return f"{text}\n  {self.caused_summary()}" if self.caused else text

    def caused_summary(self) -> str:
        """One line saying how many problems elsewhere come from this one, and where they are."""
        lines: dict[str, list[str]] = {}
        for problem in sorted(self.caused):
            numbers = lines.setdefault(problem.file or ".", [])
            if str(problem.line) not in numbers:
                numbers.append(str(problem.line))
        where = "; ".join(
            f"{file} line{'s' if len(numbers) > 1 else ''} {', '.join(numbers[:SHOWN_LINES])}"
            + (", ..." if len(numbers) > SHOWN_LINES else "")
            for file, numbers in lines.items()
        )
        return f"and {len(self.caused)} more caused by this ({where}): they go away when it is fixed"

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "level": self.level,
            "message": self.message,
            "hint": self.hint,
            "caused": [problem.as_dict() for problem in sorted(self.caused)],
        }


def errors_first(problems: Iterable[ContentProblem]) -> list[ContentProblem]:
    """Errors before warnings, each by file and line: what stops the content comes first."""
    return sorted(problems, key=lambda problem: (problem.level != "error", problem))


class ContentError(Exception):
    """The content folder cannot be served; ``problems`` lists every reason."""

    def __init__(self, problems: list[ContentProblem]) -> None:
        self.problems = errors_first(problems)
        super().__init__("\n".join(problem.describe() for problem in self.problems))


class QuestionError(ValueError):
    """A question the service cannot take, with the HTTP status and slug that explain why."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

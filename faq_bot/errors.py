"""Exceptions of faq-bot, kept apart so every layer can raise them without imports."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class ContentProblem:
    """One thing wrong in the content folder, located for the editor who must fix it."""

    file: str
    line: int  # 1-based; 1 when the whole file is at fault
    message: str
    hint: str = ""
    level: str = "error"  # "error" stops the content being served; "warning" does not

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "level": self.level, "message": self.message, "hint": self.hint}


class ContentError(Exception):
    """The content folder cannot be served; ``problems`` lists every reason."""

    def __init__(self, problems: list[ContentProblem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


class QuestionError(ValueError):
    """A question the service cannot take, with the HTTP status and slug that explain why."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

"""Checks shared by the readers of the content folder: shapes, texts, dates and keys, each with its line.

Every reader (answers, safety rules, compliance rules) appends what it finds to one list of
``ContentProblem``; ``file`` says which file it is reading.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from typing import Any

from faq_bot.errors import ContentProblem
from faq_bot.yaml_reader import YamlList, YamlMap, YamlText, line_of

MAX_TEXT_LENGTH = 2000
REGEX_HINT = "check its brackets and backslashes, and keep it in single quotes"


class YamlChecker:
    """Reads parsed YAML values, reporting each problem with the file and line it is at."""

    def __init__(self, problems: list[ContentProblem], file: str = "") -> None:
        self.problems = problems
        self.file = file

    def problem(self, line: int, message: str, hint: str, level: str = "error") -> None:
        self.problems.append(ContentProblem(self.file, line, message, hint, level))

    def _mapping(self, value: Any, where: str, line: int) -> YamlMap | None:
        if isinstance(value, YamlMap):
            return value
        self.problem(
            line_of(value, line),
            f"{where} must be a mapping of 'key: value' lines",
            "write one 'name: value' per line, each indented the same under it",
        )
        return None

    def _list(self, value: Any, where: str, line: int) -> YamlList | None:
        if isinstance(value, YamlList):
            return value
        self.problem(
            line_of(value, line),
            f"{where} must be a list ('- ' items)",
            "put each item on its own line starting with '- ', indented under it",
        )
        return None

    def _text(self, value: Any, where: str, line: int, *, allow_empty: bool = False) -> str | None:
        if not isinstance(value, YamlText):
            kind = "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else "empty"
            hint = (
                "write the text after the colon, or '>-' and the text on the lines below"
                if value is None
                else "write plain text here; put text containing ': ' in quotes"
            )
            self.problem(line_of(value, line), f"{where} must be text, found {kind}", hint)
            return None
        coerced = value.coerced_as()
        if coerced:
            self.problem(
                value.line,
                f"{where} '{value}' would be read as {coerced} by YAML tools",
                f'put it in quotes: "{value}"',
            )
            return None
        text = " ".join(str(value).split()) if "\n" in value else str(value).strip()
        if not text and not allow_empty:
            self.problem(value.line, f"{where} is empty", "write the text, or remove the field if it is optional")
            return None
        if len(text) > MAX_TEXT_LENGTH:
            self.problem(
                value.line,
                f"{where} is longer than {MAX_TEXT_LENGTH} characters ({len(text)})",
                "shorten it; if it covers two questions, split it into two answers",
            )
            return None
        return text

    def _text_list(self, value: Any, where: str, line: int) -> list[str]:
        items = self._list(value, where, line)
        texts: list[str] = []
        for item in items or []:
            text = self._text(item, f"each item of {where}", items.line if items else line)
            if text is not None:
                texts.append(text)
        return texts

    def _date(self, value: Any, where: str, line: int) -> dt.date | None:
        if not isinstance(value, YamlText):
            self.problem(
                line_of(value, line),
                f"{where} must be a date like 2026-11-25",
                "write it as YYYY-MM-DD, e.g. 2026-11-25",
            )
            return None
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            self.problem(value.line, f"{where} '{value}' is not a real date", "write it as YYYY-MM-DD, e.g. 2026-11-25")
            return None

    def _known_keys(self, mapping: YamlMap, allowed: Mapping[str, str] | tuple[str, ...], where: str) -> None:
        for key, key_line in mapping.key_lines.items():
            if key not in allowed:
                close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'?" if close else "allowed: " + ", ".join(allowed)
                self.problem(key_line, f"unknown field '{key}' in {where}", hint)

    def _misspelt(self, mapping: YamlMap, allowed: Mapping[str, str] | tuple[str, ...]) -> set[str]:
        """The allowed keys that an unknown key of ``mapping`` looks like a misspelling of."""
        return {
            close
            for key in mapping.key_lines
            if key not in allowed
            for close in difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
        }

    def _flag(self, entry: YamlMap, key: str) -> bool:
        """An optional true/false field of an answer (false when absent; a problem when neither)."""
        value = str(entry.get(key, "false"))
        if value not in ("true", "false"):
            self.problem(
                line_of(entry.get(key), entry.line),
                f"{key} '{value}' must be true or false",
                f"write '{key}: true', or leave it out for false",
            )
        return value == "true"

    def _patterns(self, value: Any, line: int, *, flags: int = 0) -> tuple[re.Pattern[str], ...]:
        """Compile a list of regular expressions; each one that does not compile is a problem at its line."""
        compiled = []
        items: list[Any] = self._list(value, "patterns", line) or []
        for item in items:
            text = self._text(item, "pattern", line_of(item, line_of(items, line)))
            if text is None:
                continue
            try:
                compiled.append(re.compile(text, flags))
            except re.error as error:
                self.problem(
                    line_of(item, line),
                    f"pattern {text!r} is not a valid regular expression: {error.msg}",
                    REGEX_HINT,
                )
        return tuple(compiled)

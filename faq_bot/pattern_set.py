"""Search a question for many regular expressions at once, with the answer Python's ``re`` would give.

The safety rules hold a few hundred patterns, and every question is searched for all of
them: one by one, that is most of the cost of the safety check. RE2's ``Set`` (PyPI
``google-re2``, Google's own binding) searches for all of them in one linear-time pass.

Safety patterns are written in the syntax RE2 and Python's ``re`` share, and RE2 reads
their source text as it is. The loader refuses, with file and line, a pattern RE2 cannot
read (look-arounds, back-references...) or one the two engines read differently
(``shared_syntax_problem``). On plain ASCII text without line breaks, which is what
``text.clean`` makes of nearly every question, the two engines then agree; a text with
any other character (a question in another script) is searched with Python's ``re``
pattern by pattern, and so is any pattern RE2 will not take (never a shipped one).
``tests/test_pattern_set.py`` checks that both ways give the same positions.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any

import re2

log = logging.getLogger("faq_bot.safety")

# Bytes RE2 may use for the set's program and the automaton it builds as texts arrive (RE2's default).
# When that is full it starts the automaton afresh and goes on: never a missed match (a test searches
# long random texts with a smaller budget), and memory stays bounded whatever patients type.
SET_MEMORY = 8 << 20
# Text both engines read alike: printable ASCII and tabs, no line breaks or control characters.
_PLAIN_TEXT = re.compile(r"[\t\x20-\x7e]*")
# Syntax both engines accept but read differently.
_READ_DIFFERENTLY = (
    (re.compile(r"(?<!\\)\{,"), "'{,n}' is a repeat to Python but plain text to RE2: write '{0,n}'"),
    (re.compile(r"\[\[?:[a-z]+:\]"), "'[:alpha:]' classes are RE2's own: write the characters, e.g. '[a-z]'"),
)


def shared_syntax_problem(source: str) -> str | None:
    """Why RE2 would not read this pattern as Python's ``re`` does; None when both read it alike."""
    for finder, problem in _READ_DIFFERENTLY:
        if finder.search(source):
            return problem
    options = re2.Options()
    options.log_errors = False
    try:
        re2.compile(source, options)
    except re2.error as error:
        reason = error.args[0].decode() if error.args and isinstance(error.args[0], bytes) else str(error)
        return (
            f"RE2 cannot read it ({reason}): look-arounds, back-references, atomic groups and '\\Z' "
            "are Python's own; write the pattern without them"
        )
    return None


def flags_in_source(pattern: re.Pattern[str]) -> bool:
    """Whether every flag of the pattern is written in its source ("(?i)"), where RE2 reads it too."""
    return re.compile(pattern.pattern).flags == pattern.flags


def literal_characters(pattern: re.Pattern[str]) -> set[str]:
    """The characters the pattern must match literally somewhere (outside classes), lower-cased
    where it ignores case: what a text needs for that part to match.

    Read from the source text: escapes such as ``\\b`` or ``\\w`` and character classes match
    no particular character; an escaped punctuation mark (``\\.``, ``\\'``) is a literal one.
    """
    source = pattern.pattern
    ignore_case = [bool(pattern.flags & re.IGNORECASE)]  # per open group: "(?i:...)" and "(?-i:...)" scope it
    found: set[str] = set()
    index = 0
    while index < len(source):
        character = source[index]
        if character == "\\" and index + 1 < len(source):
            escaped = source[index + 1]
            code = re.match(r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8}))", source[index:])
            if code:  # a character by its number: a literal one
                literal = chr(int(next(group for group in code.groups() if group), 16))
                found.add(literal.lower() if ignore_case[-1] else literal)
                index += code.end()
                continue
            if not escaped.isalnum():
                found.add(escaped.lower() if ignore_case[-1] else escaped)
            index += 2
        elif character == "[":  # a class: no particular character; skip to its closing bracket
            index += 1
            index += source.startswith("^", index)
            index += source.startswith("]", index)
            while index < len(source) and source[index] != "]":
                index += 2 if source[index] == "\\" else 1
            index += 1
        elif character == "(":
            flags = re.match(r"\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])", source[index:])
            scoped = ignore_case[-1]
            if flags:
                scoped = ("i" in flags.group(1) or scoped) and "i" not in (flags.group(2) or "")
                if flags.group(3) == ")":  # "(?i)": for the rest of the pattern
                    ignore_case[-1] = scoped
                    index += flags.end()
                    continue
                index += flags.end()
            elif source.startswith("(?P<", index):  # a named group: its name is no text
                index = source.index(">", index) + 1
            else:
                index += 1
            ignore_case.append(scoped)
        elif character == ")":
            if len(ignore_case) > 1:
                ignore_case.pop()
            index += 1
        elif character == "{" and re.match(r"\{\d*,?\d*\}", source[index:]):  # a count
            index = source.index("}", index) + 1
        else:
            if character not in "|?*+.^$":
                found.add(character.lower() if ignore_case[-1] else character)
            index += 1
    return found


class PatternSet:
    """Patterns searched together; ``found(texts)`` gives the positions of those matching any text."""

    def __init__(self, patterns: Sequence[re.Pattern[str]], *, memory: int = SET_MEMORY) -> None:
        self.patterns = tuple(patterns)
        self._set, self._set_positions = self._compile(self.patterns, memory)
        in_set = set(self._set_positions)
        # Searched with Python's re even in plain text: the patterns RE2 would not take.
        self._python_only = tuple(
            (position, pattern) for position, pattern in enumerate(self.patterns) if position not in in_set
        )
        self._all = tuple(enumerate(self.patterns))

    @staticmethod
    def _compile(patterns: Sequence[re.Pattern[str]], memory: int) -> tuple[Any, tuple[int, ...]]:
        options = re2.Options()
        options.max_mem = memory
        options.log_errors = False
        searcher = re2.Set.SearchSet(options)
        positions: list[int] = []
        for position, pattern in enumerate(patterns):
            if not flags_in_source(pattern) or shared_syntax_problem(pattern.pattern) is not None:
                continue
            index = searcher.Add(pattern.pattern)
            assert index == len(positions), "RE2 numbers a set's patterns in the order they are added"
            positions.append(position)
        if not positions:
            return None, ()
        try:
            searcher.Compile()
        except re2.error:
            log.warning("RE2 could not compile the safety patterns; searching them one by one")
            return None, ()
        return searcher, tuple(positions)

    @property
    def in_one_pass(self) -> int:
        """How many of the patterns RE2 searches for in one pass (the others are searched one by one)."""
        return len(self._set_positions)

    def found(self, texts: Iterable[str]) -> set[int]:
        """Positions (in ``patterns``) of the patterns that ``re.search`` finds in at least one of ``texts``."""
        found: set[int] = set()
        for text in texts:
            if self._set is not None and _PLAIN_TEXT.fullmatch(text):
                hits = self._set.Match(text)
                if hits:
                    found.update(self._set_positions[hit] for hit in hits)
                one_by_one = self._python_only
            else:
                one_by_one = self._all
            found.update(position for position, pattern in one_by_one if position not in found and pattern.search(text))
        return found

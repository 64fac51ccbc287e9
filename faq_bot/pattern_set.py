"""Search a question for many regular expressions at once, with the answer Python's ``re`` would give.

The safety rules hold about a hundred patterns, and every question is searched for all of
them: one by one, that is most of the cost of the safety check. RE2's ``Set`` (PyPI
``google-re2``, Google's own binding) searches for all of them in one linear-time pass.

RE2 reads some syntax differently from Python (``{,5}``, ``\\Z``, inline flags, Unicode
classes), so no pattern's source text is handed to it. Each pattern is parsed by
Python's own parser and written out again in RE2 syntax from the parse tree, and only
when every piece of it is one whose meaning both engines share on the texts searched here:
literals, classes, ``\\d \\s \\w \\b``, ``.``, anchors, groups, alternation and counted
repeats, with no flags. Anything else (look-arounds, back-references, flags...) stays
with Python's ``re``, searched one by one as before.

The two engines agree on ASCII text without line breaks, given how ``\\s`` is written
out (Python's also matches ``\\v`` and ``\\x1c``-``\\x1f``); a text with any other
character (a question in another script) is searched with Python's ``re`` alone. Cleaned
questions (``text.clean``) are ASCII nearly always. ``tests/test_pattern_set.py`` checks
that both ways give the same positions on every labelled question and on generated texts.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

import re2

log = logging.getLogger("faq_bot.safety")

# Bytes RE2 may use for the set's program and the automaton it builds as texts arrive (RE2's default).
# When that is full it starts the automaton afresh and goes on: never a missed match (a test searches
# long random texts with a quarter of this), and memory stays bounded whatever patients type.
SET_MEMORY = 8 << 20
_MAX_COUNT = 1000  # RE2's largest repeat count

_CATEGORIES = {
    sre.CATEGORY_DIGIT: r"\d",
    sre.CATEGORY_NOT_DIGIT: r"\D",
    # Python's \s on ASCII: also \v and the separators \x1c-\x1f, which RE2's \s leaves out.
    sre.CATEGORY_SPACE: r"\t\n\x{b}\f\r \x{1c}-\x{1f}",
    sre.CATEGORY_NOT_SPACE: r"\x{0}-\x{8}\x{e}-\x{1b}\x{21}-\x{10ffff}",
    sre.CATEGORY_WORD: r"\w",
    sre.CATEGORY_NOT_WORD: r"\W",
}
_ANCHORS = {
    sre.AT_BEGINNING: "^",
    sre.AT_BEGINNING_STRING: r"\A",
    sre.AT_END: "$",  # Python's also matches before a final newline: texts with one are not searched by RE2
    sre.AT_END_STRING: r"\z",
    sre.AT_BOUNDARY: r"\b",
    sre.AT_NON_BOUNDARY: r"\B",
}


class _Untranslatable(Exception):
    """The pattern uses something RE2 does not read exactly as Python does."""


def re2_syntax(pattern: re.Pattern[str]) -> str | None:
    """The pattern in RE2 syntax, written from Python's parse of it; None when it cannot be said exactly."""
    if pattern.flags & ~re.UNICODE:
        return None
    try:
        return _sequence(sre_parse.parse(pattern.pattern, pattern.flags))
    except (_Untranslatable, re.error):
        return None


def _sequence(items: Iterable[tuple[Any, Any]]) -> str:
    return "".join(_item(op, value) for op, value in items)


def _item(op: Any, value: Any) -> str:
    if op is sre.LITERAL:
        return _char(value)
    if op is sre.NOT_LITERAL:
        return f"[^{_char(value)}]"
    if op is sre.ANY:
        return "."
    if op is sre.IN:
        return _class(value)
    if op is sre.AT and value in _ANCHORS:
        return _ANCHORS[value]
    if op is sre.BRANCH:
        return "(?:" + "|".join(_sequence(branch) for branch in value[1]) + ")"
    if op is sre.SUBPATTERN:
        _group, add_flags, del_flags, inner = value
        if add_flags or del_flags:
            raise _Untranslatable
        return f"(?:{_sequence(inner)})"
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
        low, high, inner = value
        if low > _MAX_COUNT or (high is not sre.MAXREPEAT and high > _MAX_COUNT):
            raise _Untranslatable
        count = f"{{{low},}}" if high is sre.MAXREPEAT else f"{{{low},{high}}}"
        return f"(?:{_sequence(inner)}){count}{'?' if op is sre.MIN_REPEAT else ''}"
    raise _Untranslatable  # look-arounds, back-references, atomic groups, possessive repeats...


def _class(items: Sequence[tuple[Any, Any]]) -> str:
    negate = bool(items) and items[0][0] is sre.NEGATE
    parts = []
    for op, value in items[1:] if negate else items:
        if op is sre.LITERAL:
            parts.append(_char(value))
        elif op is sre.RANGE:
            parts.append(f"{_char(value[0])}-{_char(value[1])}")
        elif op is sre.CATEGORY and value in _CATEGORIES:
            parts.append(_CATEGORIES[value])
        else:
            raise _Untranslatable
    return f"[{'^' if negate else ''}{''.join(parts)}]"


def literal_characters(pattern: re.Pattern[str]) -> set[str]:
    """The characters the pattern must match literally somewhere (outside classes and negative
    look-arounds), lower-cased where it ignores case: what a text needs for that part to match."""
    try:
        parsed = sre_parse.parse(pattern.pattern, pattern.flags)
    except re.error:
        return set()
    found: set[str] = set()
    _collect_literals(parsed, bool(pattern.flags & re.IGNORECASE), found)
    return found


def _collect_literals(items: Iterable[tuple[Any, Any]], ignore_case: bool, found: set[str]) -> None:
    for op, value in items:
        if op is sre.LITERAL:
            found.add(chr(value).lower() if ignore_case else chr(value))
        elif op is sre.BRANCH:
            for branch in value[1]:
                _collect_literals(branch, ignore_case, found)
        elif op is sre.SUBPATTERN:
            _group, add_flags, del_flags, inner = value
            scoped = (ignore_case or bool(add_flags & re.IGNORECASE)) and not del_flags & re.IGNORECASE
            _collect_literals(inner, scoped, found)
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            _collect_literals(value[2], ignore_case, found)
        elif op is sre.ASSERT:  # a positive look-around needs its text too
            _collect_literals(value[1], ignore_case, found)


def _char(code: int) -> str:
    character = chr(code)
    return character if character.isascii() and character.isalnum() else f"\\x{{{code:x}}}"


class PatternSet:
    """Patterns searched together; ``found(texts)`` gives the positions of those matching any text."""

    def __init__(self, patterns: Sequence[re.Pattern[str]], *, memory: int = SET_MEMORY) -> None:
        self.patterns = tuple(patterns)
        self._set, self._set_positions = self._compile(self.patterns, memory)
        in_set = set(self._set_positions)
        # Searched with Python's re even in ASCII text: the patterns RE2 could not take.
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
            syntax = re2_syntax(pattern)
            if syntax is None:
                continue
            try:
                index = searcher.Add(syntax)
            except re2.error:
                continue
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
            if self._set is not None and text.isascii() and "\n" not in text:
                hits = self._set.Match(text)
                if hits:
                    found.update(self._set_positions[hit] for hit in hits)
                one_by_one = self._python_only
            else:
                one_by_one = self._all
            found.update(position for position, pattern in one_by_one if position not in found and pattern.search(text))
        return found

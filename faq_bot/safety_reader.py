"""Read ``safety.yaml`` into ``SafetyRules``: messages, concepts, rules and their examples.

Patterns are written from named concepts (``{sudden}``) and may say ``A ~ B`` (A and B at
most ``NEAR_WORDS`` words apart, either way round); both are written out here. Each
pattern must be in the syntax RE2 and Python share (``pattern_set.shared_syntax_problem``).
The plain words a rule is written with are the words misspellings are read as.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from faq_bot.book import Case
from faq_bot.errors import ContentProblem
from faq_bot.pattern_set import literal_characters, shared_syntax_problem
from faq_bot.safety import CLINICAL, EMERGENCY, OUT_OF_SCOPE, SafetyRule, SafetyRules
from faq_bot.text import SynonymTable, clean, in_clean_text
from faq_bot.yaml_checks import REGEX_HINT, YamlChecker
from faq_bot.yaml_reader import YamlList, YamlMap, line_of

SAFETY_FILE = "safety.yaml"
MESSAGE_KEYS = ("emergency", "clinical", "unmatched", "clarify")
OPTIONAL_MESSAGE_KEYS = ("caveat",)  # shown under an answer given to a question in personal words
NEAR_WORDS = 6  # "A ~ B" in a safety pattern: at most this many words between A and B
_CONCEPT_NAME = re.compile(r"[a-z][a-z_]*")
_CONCEPT_REFERENCE = re.compile(r"\{([a-z][a-z_]*)\}")
_PLAIN_WORDS = re.compile(r"[a-z]+(?: [a-z]+)*")
_ESCAPE = re.compile(r"\\[a-zA-Z]")
_WHOLE_WORD = re.compile(r"(?<![a-z])[a-z]{5,}(?![a-z?*+{(\\[])")


def whole_words(regex: str) -> list[str]:
    """Whole words written in a regular expression, 5 letters or more: not cut short by a group, a
    class or a repeat ("slurr(ed|ing)", "droop\\w*", "pains?"). Misspellings are read as these."""
    return _WHOLE_WORD.findall(_ESCAPE.sub(" ", regex))


class SafetyReader(YamlChecker):
    """Reads ``safety.yaml``; every text patients read is added to ``patient_texts`` for the compliance lint."""

    def __init__(self, problems: list[ContentProblem], patient_texts: list[tuple[str, str, Any, str]]) -> None:
        super().__init__(problems, SAFETY_FILE)
        self._patient_texts = patient_texts
        self._concepts: dict[str, tuple[str, tuple[str, ...]]] = {}
        self._vocabulary: list[str] = []  # plain words of the rule being read
        self._examples: list[tuple[str, str, int]] = []  # (kind, question, line) of the rules' examples

    def read(self, document: Any, synonyms: SynonymTable) -> SafetyRules:
        """The rules of ``safety.yaml`` (None: the file is missing or unreadable)."""
        empty = SafetyRules((), (), dict.fromkeys(MESSAGE_KEYS, ""), synonyms=synonyms)
        root = self._mapping(document, "safety.yaml", 1) if document is not None else None
        if root is None:
            return empty
        self._known_keys(root, ("messages", "concepts", "personal", EMERGENCY, CLINICAL, OUT_OF_SCOPE), "safety.yaml")
        messages: dict[str, str] = {}
        table = self._mapping(root.get("messages"), "messages", root.line) or YamlMap()
        self._known_keys(table, MESSAGE_KEYS + OPTIONAL_MESSAGE_KEYS, "messages")
        for key in MESSAGE_KEYS + OPTIONAL_MESSAGE_KEYS:
            if key not in table:
                if key in OPTIONAL_MESSAGE_KEYS:
                    continue
                self.problem(
                    table.line if table else root.line,
                    f"messages has no '{key}' text",
                    f"add '{key}:' under 'messages:' with the text patients see",
                )
                continue
            text = self._text(table[key], f"message '{key}'", table.key_lines[key])
            messages[key] = text or ""
            if text:
                self._patient_texts.append((self.file, "message", table[key], text))
        self._concepts = self._read_concepts(root.get("concepts", YamlMap()), root.key_lines.get("concepts", root.line))
        personal = self._question_patterns(root.get("personal", YamlList()), root.key_lines.get("personal", root.line))
        rules = {
            # Out-of-scope rules are optional; emergency and clinical rules are not.
            kind: tuple(
                self._rules(
                    root.get(kind, YamlList() if kind == OUT_OF_SCOPE else None),
                    kind,
                    root.key_lines.get(kind, root.line),
                )
            )
            for kind in (EMERGENCY, CLINICAL, OUT_OF_SCOPE)
        }
        return SafetyRules(rules[EMERGENCY], rules[CLINICAL], messages, rules[OUT_OF_SCOPE], synonyms, personal)

    def _read_concepts(self, value: Any, line: int) -> dict[str, tuple[str, tuple[str, ...]]]:
        """Named lists of words and phrases: each name -> (the regex they make, the plain words among them)."""
        concepts: dict[str, tuple[str, tuple[str, ...]]] = {}
        table = self._mapping(value, "concepts", line) or YamlMap()
        for name, entries in table.items():
            where = table.key_lines[name]
            if not _CONCEPT_NAME.fullmatch(name):
                self.problem(
                    where, f"concept name '{name}' must be lower-case letters and '_'", "rename it, e.g. 'chest_pain'"
                )
                continue
            texts = self._text_list(entries, f"the words of concept '{name}'", where)
            alternatives = []
            for text in texts:
                try:
                    re.compile(text)
                except re.error as error:
                    self.problem(
                        where,
                        f"'{text}' in concept '{name}' is not a valid regular expression: {error.msg}",
                        REGEX_HINT,
                    )
                    continue
                alternatives.append(text)
            if not alternatives:
                self.problem(where, f"concept '{name}' has no words", "list the words and phrases it stands for")
                continue
            plain = tuple(word for text in alternatives for word in whole_words(text))
            concepts[name] = (r"\b(?:" + "|".join(alternatives) + r")\b", plain)
        return concepts

    def _rules(self, value: Any, kind: str, line: int) -> list[SafetyRule]:
        rules: list[SafetyRule] = []
        names: set[str] = set()
        for item in self._list(value, f"'{kind}' rules", line) or []:
            entry = self._mapping(item, f"each {kind} rule", line)
            if entry is None:
                continue
            self._known_keys(
                entry, ("rule", "sign", "patterns", "words", "also", "unless", "message", "examples"), f"a {kind} rule"
            )
            name = self._text(entry.get("rule"), "rule name", entry.line) or "?"
            if name in names:
                self.problem(entry.line, f"duplicate rule name '{name}'", "give each rule its own name")
            names.add(name)
            self._vocabulary = []
            words = tuple(clean(word) for word in self._text_list(entry.get("words", YamlList()), "words", entry.line))
            self._vocabulary.extend(word for word in words if _PLAIN_WORDS.fullmatch(word))
            patterns = self._question_patterns(entry.get("patterns", YamlList()), entry.line)
            if kind == EMERGENCY:  # an emergency in a misspelt word must still be caught
                for item in entry.get("patterns", YamlList()) if isinstance(entry.get("patterns"), YamlList) else ():
                    self._vocabulary.extend(whole_words(str(item)))
            if words:
                patterns += (re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b"),)
            unless = self._question_patterns(entry.get("unless", YamlList()), entry.line)
            also = self._question_patterns(entry.get("also", YamlList()), entry.line)
            if not patterns:
                self.problem(entry.line, f"rule '{name}' has no patterns or words", "add at least one")
            message = self._text(entry["message"], "message", entry.line) if "message" in entry else ""
            if message:
                self._patient_texts.append((self.file, "message", entry["message"], message))
            sign = self._text(entry["sign"], "sign", entry.line) if "sign" in entry else ""
            examples = tuple(self._text_list(entry["examples"], "examples", entry.line)) if "examples" in entry else ()
            if examples:
                self._examples += [(kind, str(item), line_of(item, entry.line)) for item in entry["examples"]]
            rules.append(
                SafetyRule(
                    name,
                    kind,
                    patterns,
                    unless,
                    also,
                    message or "",
                    sign or "",
                    examples,
                    tuple(dict.fromkeys(self._vocabulary)),
                )
            )
        return rules

    def _question_patterns(self, value: Any, line: int) -> tuple[re.Pattern[str], ...]:
        """Compile a list of safety patterns: concepts written out, the syntax RE2 shares checked, and a
        character cleaning always removes (capitals, punctuation, apostrophes) flagged."""
        compiled = []
        items: list[Any] = self._list(value, "patterns", line) or []
        for item in items:
            text = self._text(item, "pattern", line_of(item, line_of(items, line)))
            if text is None:
                continue
            text = self._expand(text, line_of(item, line))
            if text is None:
                continue
            try:
                pattern = re.compile(text)
            except re.error as error:
                self.problem(
                    line_of(item, line), f"pattern {text!r} is not a valid regular expression: {error.msg}", REGEX_HINT
                )
                continue
            problem = shared_syntax_problem(pattern.pattern)
            if problem is not None:
                self.problem(
                    line_of(item, line),
                    f"pattern {text!r}: {problem}",
                    "safety patterns are searched with RE2 and Python alike: docs/content-format.md",
                )
                continue
            compiled.append(pattern)
            never = sorted(character for character in literal_characters(pattern) if not in_clean_text(character))
            if never:
                self.problem(
                    line_of(item, line),
                    f"pattern {text!r} needs {', '.join(map(repr, never))}, which a question never has once cleaned: "
                    "that part of it can never match",
                    "questions are matched in lower case, with punctuation turned into spaces and apostrophes "
                    "dropped: write 'cant' for \"can't\", and \\s+ or a space for punctuation",
                    level="warning",
                )
        return tuple(compiled)

    def _expand(self, text: str, line: int) -> str | None:
        """A safety pattern with its concepts ({name}) written out and 'A ~ B' as A and B near each other."""

        def concept(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in self._concepts:
                unknown.append(name)
                return ""
            regex, plain = self._concepts[name]
            self._vocabulary.extend(plain)
            return regex

        unknown: list[str] = []
        expanded = _CONCEPT_REFERENCE.sub(concept, text)
        for name in unknown:
            close = difflib.get_close_matches(name, list(self._concepts), n=1, cutoff=0.6)
            self.problem(
                line,
                f"pattern {text!r} names unknown concept '{name}'",
                f"did you mean '{close[0]}'?" if close else "add it under 'concepts:' first",
            )
        if unknown:
            return None
        parts = expanded.split(" ~ ")
        if len(parts) == 1:
            return expanded
        if len(parts) != 2:
            self.problem(line, f"pattern {text!r} has more than one '~'", "write one 'A ~ B' per pattern")
            return None
        first, second = (f"(?:{part.strip()})" for part in parts)
        gap = f"(?: \\w+){{0,{NEAR_WORDS}}} "
        return f"(?:{first}{gap}{second}|{second}{gap}{first})"

    def example_cases(self) -> list[Case]:
        """The safety rules' examples as regression cases: each must get its rule's route."""
        routes = {
            EMERGENCY: ("emergency", None),
            CLINICAL: ("specialist", "clinical"),
            OUT_OF_SCOPE: ("specialist", "unmatched"),
        }
        return [
            Case(question, routes[kind][0], reason=routes[kind][1], file=SAFETY_FILE, line=line)
            for kind, question, line in self._examples
        ]

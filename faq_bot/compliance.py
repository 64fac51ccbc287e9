"""Compliance lint for patient-facing text: the rules are data in ``answers/compliance.yaml``.

Each rule is a list of regular expressions (matched case-insensitively against the text as
patients see it). An allow-list of phrases or patterns exempts wording the clinic has
approved, such as public signposting numbers or "do not stop any medicine without
speaking to your specialist". No Flask and no content loading here: the loader builds a
``ComplianceRules`` and asks it for ``hits`` in each text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from faq_bot.errors import ContentProblem
from faq_bot.yaml_checks import YamlChecker
from faq_bot.yaml_reader import YamlList, YamlText, line_of

COMPLIANCE_FILE = "compliance.yaml"
PATIENT_FIELDS = ("question", "answer", "message")  # texts patients read, as compliance rules name them


@dataclass(frozen=True)
class ComplianceRule:
    """One kind of wording that patient-facing text must not contain."""

    name: str
    about: str  # what the rule catches, in the editors' words
    patterns: tuple[re.Pattern[str], ...]
    hint: str = ""
    fields: tuple[str, ...] = ("question", "answer", "message")  # which patient-facing texts it checks


@dataclass(frozen=True)
class Allowance:
    """Wording the clinic has approved; a hit inside it is not reported."""

    pattern: re.Pattern[str]
    rules: tuple[str, ...] = ()  # empty: exempt from every rule


@dataclass(frozen=True)
class ComplianceHit:
    """Where a rule fired in a text."""

    rule: ComplianceRule
    start: int
    end: int
    text: str  # the words that fired it


@dataclass(frozen=True)
class ComplianceRules:
    """Every compliance rule and the allow-list; empty means nothing is checked."""

    rules: tuple[ComplianceRule, ...] = ()
    allow: tuple[Allowance, ...] = ()

    def hits(self, text: str, kind: str | None = None) -> list[ComplianceHit]:
        """Return the first hit of each rule in ``text`` (a ``kind`` of field, if given), by position."""
        found: list[ComplianceHit] = []
        for rule in self.rules:
            if kind is not None and kind not in rule.fields:
                continue
            allowed = [
                match.span()
                for allowance in self.allow
                if not allowance.rules or rule.name in allowance.rules
                for match in allowance.pattern.finditer(text)
            ]
            for pattern in rule.patterns:
                hit = next(
                    (
                        match
                        for match in pattern.finditer(text)
                        if match.end() > match.start()
                        and not any(start <= match.start() and match.end() <= end for start, end in allowed)
                    ),
                    None,
                )
                if hit is not None:
                    found.append(ComplianceHit(rule, hit.start(), hit.end(), hit.group(0)))
                    break
        return sorted(found, key=lambda hit: hit.start)


NO_COMPLIANCE = ComplianceRules()


def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """A case-insensitive pattern for a literal phrase, whitespace-tolerant, on word boundaries."""
    words = [re.escape(word) for word in phrase.split()]
    body = r"\s+".join(words)
    start = r"\b" if phrase[:1].isalnum() else ""
    end = r"\b" if phrase[-1:].isalnum() else ""
    return re.compile(f"{start}{body}{end}", re.IGNORECASE)


class ComplianceReader(YamlChecker):
    """Reads ``compliance.yaml`` into ``ComplianceRules``, each problem with its line."""

    def __init__(self, problems: list[ContentProblem]) -> None:
        super().__init__(problems, COMPLIANCE_FILE)

    def read(self, document: Any) -> ComplianceRules:
        """The rules and allowed phrases of ``compliance.yaml``."""
        root = self._mapping(document, "compliance.yaml", 1) if document is not None else None
        if root is None:
            return NO_COMPLIANCE
        self._known_keys(root, ("rules", "allow"), "compliance.yaml")
        rules: list[ComplianceRule] = []
        for item in self._list(root.get("rules"), "rules", root.line) or []:
            entry = self._mapping(item, "each compliance rule", root.line)
            if entry is None:
                continue
            self._known_keys(entry, ("rule", "about", "patterns", "hint", "fields"), "a compliance rule")
            name = self._text(entry.get("rule"), "rule name", entry.line)
            blank = YamlText("", entry.line, False)
            about = self._text(entry.get("about", blank), "about", entry.line, allow_empty=True)
            hint = self._text(entry.get("hint", blank), "hint", entry.line, allow_empty=True)
            patterns = self._patterns(entry.get("patterns"), entry.line, flags=re.IGNORECASE)
            fields: tuple[str, ...] = PATIENT_FIELDS
            if "fields" in entry:
                fields = tuple(self._text_list(entry["fields"], "fields", entry.line))
            for unknown in set(fields) - set(PATIENT_FIELDS):
                self.problem(
                    line_of(entry["fields"], entry.line),
                    f"fields: '{unknown}' is not one of " + ", ".join(PATIENT_FIELDS),
                    "use those names, or leave 'fields:' out to check them all",
                )
            if name is None:
                continue
            if any(rule.name == name for rule in rules):
                self.problem(entry.line, f"duplicate compliance rule '{name}'", "give each rule its own name")
            if not patterns:
                self.problem(entry.line, f"compliance rule '{name}' has no patterns", "add at least one")
            rules.append(ComplianceRule(name, about or name, patterns, hint or "", fields))
        allow: list[Allowance] = []
        names = {rule.name for rule in rules}
        for item in self._list(root.get("allow", YamlList()), "allow", root.line) or []:
            entry = self._mapping(item, "each allowed phrase", root.line)
            if entry is None:
                continue
            self._known_keys(entry, ("phrase", "pattern", "rules", "note"), "an allowed phrase")
            only = tuple(self._text_list(entry["rules"], "rules", entry.line)) if "rules" in entry else ()
            for unknown in [name for name in only if name not in names]:
                self.problem(
                    line_of(entry["rules"], entry.line),
                    f"allowed phrase names unknown rule '{unknown}'",
                    "use the name after 'rule:' of a rule above",
                )
            if ("phrase" in entry) == ("pattern" in entry):
                self.problem(
                    entry.line,
                    "an allowed phrase needs exactly one of 'phrase:' or 'pattern:'",
                    "use 'phrase:' for exact words, 'pattern:' for a regular expression",
                )
                continue
            if "phrase" in entry:
                phrase = self._text(entry["phrase"], "phrase", entry.line)
                if phrase:
                    allow.append(Allowance(phrase_pattern(phrase), only))
            else:
                allow.extend(
                    Allowance(pattern, only)
                    for pattern in self._patterns(YamlList([entry["pattern"]]), entry.line, flags=re.IGNORECASE)
                )
        return ComplianceRules(tuple(rules), tuple(allow))

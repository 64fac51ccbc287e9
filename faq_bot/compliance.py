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

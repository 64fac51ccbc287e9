"""Read and validate the content folder into one immutable ``AnswerBook``.

The folder holds answer files (one per topic) and four special files:
``sources.yaml`` (sections an answer may cite), ``synonyms.yaml``, ``safety.yaml`` and
``regression.yaml``, plus an optional ``compliance.yaml`` (wording patients must never
read, with an allow-list). Every problem is collected with its file and line; the book is
only built when there are no errors, so a half-valid folder is never served.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from faq_bot.compliance import NO_COMPLIANCE, Allowance, ComplianceRule, ComplianceRules, phrase_pattern
from faq_bot.errors import ContentError, ContentProblem
from faq_bot.matching import MatchEngine, Phrasing
from faq_bot.pattern_set import literal_characters, shared_syntax_problem
from faq_bot.routes import Reason
from faq_bot.safety import CLINICAL, EMERGENCY, OUT_OF_SCOPE, SafetyRule, SafetyRules
from faq_bot.text import SynonymTable, clean, in_clean_text
from faq_bot.yaml_reader import YamlList, YamlMap, YamlText, line_of, read_yaml

SOURCES_FILE = "sources.yaml"
SYNONYMS_FILE = "synonyms.yaml"
SAFETY_FILE = "safety.yaml"
REGRESSION_FILE = "regression.yaml"
COMPLIANCE_FILE = "compliance.yaml"
SPECIAL_FILES = (SOURCES_FILE, SYNONYMS_FILE, SAFETY_FILE, REGRESSION_FILE)
OPTIONAL_FILES = (COMPLIANCE_FILE,)  # read when present; never an answer file
FOLDER = ""  # ContentProblem.file for problems of the whole folder rather than one file
PATIENT_FIELDS = ("question", "answer", "message")  # texts patients read, as compliance rules name them

REQUIRED_IDS = (
    "ms-pain", "standard-treatments",
    "how-it-may-help", "endocannabinoid-system", "muscle-stiffness-spasms", "sleep", "reported-benefits",
    "results-vary", "research-evidence", "complementary-approach", "side-effects", "suitability",
    "uk-availability", "who-can-prescribe", "eligibility", "assessment", "personalised-treatment",
    "follow-up", "monitoring",
    "fibromyalgia", "ehlers-danlos", "other-conditions",
    "greeting", "thanks", "about-this-service",
)  # fmt: skip
MESSAGE_KEYS = ("emergency", "clinical", "unmatched", "clarify")
OPTIONAL_MESSAGE_KEYS = ("caveat",)  # shown under an answer given to a question in personal words
STATUSES = ("published", "draft")

ANSWER_FIELDS = {
    "id": "lower-case slug, unique across files",
    "question": "the canonical wording",
    "alternates": "a list of other phrasings",
    "answer": "the text patients see",
    "source": "a section name from sources.yaml",
    "reviewed_on": "the date of the last clinical review, YYYY-MM-DD",
    "status": "published or draft",
    "related": "a list of answer ids",
    "review_due": "a date by which it must be reviewed again, YYYY-MM-DD",
    "caveat": "true: asked in personal words ('how is my treatment monitored'), it is given with the caveat line",
    "smalltalk": "true: conversation (a greeting, thanks, what this service is), not information",
}
REQUIRED_ANSWER_FIELDS = ("id", "question", "alternates", "answer", "source", "reviewed_on")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_TEXT_LENGTH = 2000
READ_ATTEMPTS = 3  # reads of a folder that changes while it is read, before giving up
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


@dataclass(frozen=True)
class Answer:
    """One vetted answer and everything needed to find and show it."""

    id: str
    topic: str
    question: str
    alternates: tuple[str, ...]
    answer: str
    source: str
    reviewed_on: dt.date
    status: str = "published"
    related: tuple[str, ...] = ()
    review_due: dt.date | None = None
    caveat: bool = False  # given with the caveat line when asked in personal words
    smalltalk: bool = False  # conversation (greeting, thanks, about the service): reason "smalltalk"
    file: str = ""
    line: int = 0
    # Line of each field's value ("question", "answer", "alternates.0", ...), for messages.
    field_lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def phrasings(self) -> tuple[str, ...]:
        return (self.question, *self.alternates)

    def public(self) -> dict[str, Any]:
        """The answer object of the HTTP API."""
        return {
            "id": self.id,
            "question": self.question,
            "answer": self.answer,
            "topic": self.topic,
            "source": self.source,
            "reviewed_on": self.reviewed_on.isoformat(),
            "related": list(self.related),
        }


@dataclass(frozen=True)
class Case:
    """A labelled question: where it must be routed, and to which answer."""

    question: str
    route: str
    answer_id: str | None = None
    reason: str | None = None
    file: str = ""
    line: int = 0
    tag: str | None = None  # what kind of question it is ("stroke", "personal", "typo"...), for reports


@dataclass(frozen=True)
class Section:
    name: str
    in_document: bool = True


@dataclass(frozen=True)
class AnswerBook:
    """Everything the service answers from; replaced whole, never changed in place."""

    answers: Mapping[str, Answer]  # published and draft, by id
    sections: tuple[Section, ...]
    synonyms: SynonymTable
    safety: SafetyRules
    cases: tuple[Case, ...]
    version: str
    engine: MatchEngine = field(repr=False)
    warnings: tuple[ContentProblem, ...] = ()
    folder: str = ""
    compliance: ComplianceRules = NO_COMPLIANCE

    @property
    def published(self) -> list[Answer]:
        return [answer for answer in self.answers.values() if answer.status == "published"]

    def get(self, answer_id: str) -> Answer | None:
        """A published answer by id, or None."""
        answer = self.answers.get(answer_id)
        return answer if answer is not None and answer.status == "published" else None


def content_version(folder: str) -> str:
    """A short hash of every YAML file in the folder: same content, same version."""
    digest = hashlib.sha256()
    for name in yaml_files(folder):
        digest.update(name.encode())
        with open(os.path.join(folder, name), "rb") as handle:
            digest.update(hashlib.sha256(handle.read()).digest())
    return digest.hexdigest()[:12]


def yaml_files(folder: str) -> list[str]:
    """The content files of a folder, sorted: every *.yaml / *.yml not starting with '.' or '_'."""
    return sorted(
        name
        for name in os.listdir(folder)
        if name.endswith((".yaml", ".yml"))
        and not name.startswith((".", "_"))
        and os.path.isfile(os.path.join(folder, name))
    )


def load_answer_book(folder: str, *, required_ids: tuple[str, ...] = REQUIRED_IDS) -> AnswerBook:
    """Read, validate and index a content folder.

    Raises:
        ContentError: listing every error found, each with file and line.
    """
    book, problems = read_answer_book(folder, required_ids=required_ids)
    errors = [problem for problem in problems if problem.level == "error"]
    if errors or book is None:
        raise ContentError(errors or [ContentProblem(FOLDER, 1, "content folder could not be read")])
    return book


def read_answer_book(
    folder: str, *, required_ids: tuple[str, ...] = REQUIRED_IDS, partial: bool = False
) -> tuple[AnswerBook | None, list[ContentProblem]]:
    """Read and validate a folder; return the book (None on any error) and every problem found.

    These are the checks that need no matching: file format, fields, references, dates and
    compliance wording. ``faq_bot.checks.check_folder`` adds the ones that run the matcher.
    With ``partial``, a book of the valid answers is returned even when some answers have
    errors (but not when a special file has), so the matcher checks can still run: it is
    for reporting only and must never be served.
    """
    for _ in range(READ_ATTEMPTS):
        # The version is the hash of the files before they are read: an editor saving while
        # they are read changes it, and then the folder is read again.
        version = content_version(folder) if os.path.isdir(folder) else ""
        reader = _FolderReader(folder)
        book = reader.read(required_ids, partial=partial, version=version)
        if not os.path.isdir(folder) or content_version(folder) == version:
            return book, sorted(reader.problems)
    reader.file = FOLDER
    reader.problem(1, "the content kept changing while it was being read", "save your edits, then check again")
    return None, sorted(reader.problems)


class _FolderReader:
    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.problems: list[ContentProblem] = []
        self.file = ""
        self._related_lines: dict[str, int] = {}
        # (file, field, value as read, text as shown) of everything patients read.
        self._patient_texts: list[tuple[str, str, Any, str]] = []
        self._source_lines: dict[str, list[str]] = {}
        self._concepts: dict[str, tuple[str, tuple[str, ...]]] = {}
        self._vocabulary: list[str] = []  # plain words of the safety rule being read
        self._examples: list[tuple[str, str, int]] = []  # (kind, question, line) of the safety rules' examples

    def problem(self, line: int, message: str, hint: str = "", level: str = "error") -> None:
        self.problems.append(ContentProblem(self.file, line, message, hint, level))

    def read(self, required_ids: tuple[str, ...], *, partial: bool = False, version: str = "") -> AnswerBook | None:
        if not os.path.isdir(self.folder):
            self.file = self.folder
            self.problem(1, "content folder does not exist")
            return None
        names = yaml_files(self.folder)
        documents = {name: self._parse(name) for name in names}
        for special in SPECIAL_FILES:
            if special not in documents:
                self.file = FOLDER
                self.problem(1, f"missing {special}", "every content folder needs it; see docs/content-format.md")

        sections = self._sections(documents.get(SOURCES_FILE))
        synonyms = self._synonyms(documents.get(SYNONYMS_FILE))
        safety = self._safety(documents.get(SAFETY_FILE), synonyms)
        answers: dict[str, Answer] = {}
        compliance = self._compliance(documents[COMPLIANCE_FILE]) if COMPLIANCE_FILE in documents else NO_COMPLIANCE
        for name in names:
            if name not in SPECIAL_FILES and name not in OPTIONAL_FILES:
                self._answer_file(name, documents[name], sections, answers)
        self._check_answers(answers, required_ids)
        self._lint(compliance)
        cases = self._cases(REGRESSION_FILE, documents.get(REGRESSION_FILE), answers) + self._example_cases()
        errors = [problem for problem in self.problems if problem.level == "error"]
        # A partial book needs every special file readable; only broken items are left out.
        unreadable = any(documents.get(name) is None for name in SPECIAL_FILES)
        if errors and (not partial or unreadable):
            return None
        published = [answer for answer in answers.values() if answer.status == "published"]
        engine = MatchEngine(
            [Phrasing(answer.id, text) for answer in published for text in answer.phrasings],
            answer_texts={answer.id: answer.answer for answer in published},
            synonyms=synonyms,
        )
        return AnswerBook(
            answers=answers,
            sections=tuple(sections.values()),
            synonyms=synonyms,
            safety=safety,
            cases=tuple(cases),
            version=version or content_version(self.folder),
            engine=engine,
            warnings=tuple(p for p in self.problems if p.level != "error"),
            folder=self.folder,
            compliance=compliance,
        )

    def _parse(self, name: str) -> Any:
        self.file = name
        return read_yaml(os.path.join(self.folder, name), name, self.problems)

    # -- shapes ---------------------------------------------------------------------

    def _mapping(self, value: Any, where: str, line: int) -> YamlMap | None:
        if isinstance(value, YamlMap):
            return value
        self.problem(line_of(value, line), f"{where} must be a mapping of 'key: value' lines")
        return None

    def _list(self, value: Any, where: str, line: int) -> YamlList | None:
        if isinstance(value, YamlList):
            return value
        self.problem(line_of(value, line), f"{where} must be a list ('- ' items)")
        return None

    def _text(self, value: Any, where: str, line: int, *, allow_empty: bool = False) -> str | None:
        if not isinstance(value, YamlText):
            kind = "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else "empty"
            self.problem(line_of(value, line), f"{where} must be text, found {kind}")
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
            self.problem(value.line, f"{where} is empty")
            return None
        if len(text) > MAX_TEXT_LENGTH:
            self.problem(value.line, f"{where} is longer than {MAX_TEXT_LENGTH} characters")
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
            self.problem(line_of(value, line), f"{where} must be a date like 2026-11-25")
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

    # -- special files ----------------------------------------------------------------

    def _sections(self, document: Any) -> dict[str, Section]:
        self.file = SOURCES_FILE
        sections: dict[str, Section] = {}
        root = self._mapping(document, "sources.yaml", 1) if document is not None else None
        if root is None:
            return sections
        self._known_keys(root, ("document", "sections"), "sources.yaml")
        for item in self._list(root.get("sections"), "sections", root.line) or []:
            entry = self._mapping(item, "each section", root.line)
            if entry is None:
                continue
            self._known_keys(entry, ("name", "in_document"), "a section")
            name = self._text(entry.get("name"), "section name", entry.line)
            in_document = entry.get("in_document", "true")
            if str(in_document) not in ("true", "false"):
                self.problem(line_of(in_document, entry.line), "in_document must be true or false")
            if name is not None:
                sections[name] = Section(name, str(in_document) != "false")
        return sections

    def _synonyms(self, document: Any) -> SynonymTable:
        self.file = SYNONYMS_FILE
        root = self._mapping(document, "synonyms.yaml", 1) if document is not None else None
        if root is None:
            return SynonymTable.from_mapping({})
        self._known_keys(root, ("synonyms",), "synonyms.yaml")
        table = self._mapping(root.get("synonyms"), "synonyms", root.line) or YamlMap()
        mapping: dict[str, list[str]] = {}
        seen: dict[str, tuple[str, int]] = {}
        for canonical, variants in table.items():
            line = table.key_lines[canonical]
            words = self._text_list(variants, f"the variants of '{canonical}'", line)
            for word in words:
                key = clean(word)
                if key in seen and seen[key][0] != canonical:
                    self.problem(line, f"'{word}' is a variant of both '{seen[key][0]}' and '{canonical}'")
                seen[key] = (canonical, line)
            mapping[canonical] = words
        return SynonymTable.from_mapping(mapping)

    def _safety(self, document: Any, synonyms: SynonymTable) -> SafetyRules:
        self.file = SAFETY_FILE
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
                self.problem(table.line if table else root.line, f"messages has no '{key}' text")
                continue
            text = self._text(table[key], f"message '{key}'", table.key_lines[key])
            messages[key] = text or ""
            if text:
                self._patient_texts.append((self.file, "message", table[key], text))
        self._concepts = self._read_concepts(root.get("concepts", YamlMap()), root.key_lines.get("concepts", root.line))
        personal = self._patterns(
            root.get("personal", YamlList()), root.key_lines.get("personal", root.line), on_questions=True
        )
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
                self.problem(where, f"concept name '{name}' must be lower-case letters and '_'")
                continue
            texts = self._text_list(entries, f"the words of concept '{name}'", where)
            alternatives = []
            for text in texts:
                try:
                    re.compile(text)
                except re.error as error:
                    self.problem(where, f"'{text}' in concept '{name}' is not a valid regular expression: {error.msg}")
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
                self.problem(entry.line, f"duplicate rule name '{name}'")
            names.add(name)
            self._vocabulary = []
            words = tuple(clean(word) for word in self._text_list(entry.get("words", YamlList()), "words", entry.line))
            self._vocabulary.extend(word for word in words if _PLAIN_WORDS.fullmatch(word))
            patterns = self._patterns(entry.get("patterns", YamlList()), entry.line, on_questions=True)
            if kind == EMERGENCY:  # an emergency in a misspelt word must still be caught
                for item in entry.get("patterns", YamlList()) if isinstance(entry.get("patterns"), YamlList) else ():
                    self._vocabulary.extend(whole_words(str(item)))
            if words:
                patterns += (re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b"),)
            unless = self._patterns(entry.get("unless", YamlList()), entry.line, on_questions=True)
            also = self._patterns(entry.get("also", YamlList()), entry.line, on_questions=True)
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

    def _patterns(
        self, value: Any, line: int, *, flags: int = 0, on_questions: bool = False
    ) -> tuple[re.Pattern[str], ...]:
        """Compile a list of patterns. ``on_questions``: they are searched in cleaned questions, so a
        character cleaning always removes (capitals, punctuation, apostrophes) is flagged."""
        compiled = []
        items: list[Any] = self._list(value, "patterns", line) or []
        for item in items:
            text = self._text(item, "pattern", line_of(item, line_of(items, line)))
            if text is None:
                continue
            if on_questions:
                text = self._expand(text, line_of(item, line))
                if text is None:
                    continue
            try:
                pattern = re.compile(text, flags)
            except re.error as error:
                self.problem(line_of(item, line), f"pattern {text!r} is not a valid regular expression: {error.msg}")
                continue
            if not on_questions:
                compiled.append(pattern)
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

    def _compliance(self, document: Any) -> ComplianceRules:
        self.file = COMPLIANCE_FILE
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
                )
            if name is None:
                continue
            if any(rule.name == name for rule in rules):
                self.problem(entry.line, f"duplicate compliance rule '{name}'")
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
                self.problem(line_of(entry["rules"], entry.line), f"allowed phrase names unknown rule '{unknown}'")
            if ("phrase" in entry) == ("pattern" in entry):
                self.problem(entry.line, "an allowed phrase needs exactly one of 'phrase:' or 'pattern:'")
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

    def _lint(self, compliance: ComplianceRules) -> None:
        """Report compliance wording in every text patients read, at the line where it is."""
        for file, kind, value, text in self._patient_texts:
            self.file = file
            for hit in compliance.hits(text, kind):
                line = self._locate(file, line_of(value), hit.text)
                self.problem(
                    line,
                    f"{hit.rule.about} in the {kind}: '{hit.text}' (compliance rule '{hit.rule.name}')",
                    hit.rule.hint,
                )

    def _locate(self, file: str, start: int, words: str) -> int:
        """The line, from ``start`` on, where ``words`` are written; ``start`` if not found."""
        if file not in self._source_lines:
            try:
                with open(os.path.join(self.folder, file), encoding="utf-8-sig") as handle:
                    self._source_lines[file] = handle.read().splitlines()
            except (OSError, UnicodeDecodeError):
                self._source_lines[file] = []
        lines = self._source_lines[file]
        if not 0 < start <= len(lines):
            return start
        indent = len(lines[start - 1]) - len(lines[start - 1].lstrip())
        needle = words.split()[0].casefold() if words.split() else words.casefold()
        for number in range(start, len(lines) + 1):
            text = lines[number - 1]
            if number > start and text.strip() and len(text) - len(text.lstrip()) <= indent:
                break  # past the end of this value
            if needle in text.casefold():
                return number
        return start

    # -- answers --------------------------------------------------------------------

    def _answer_file(
        self, name: str, document: Any, sections: Mapping[str, Section], answers: dict[str, Answer]
    ) -> None:
        self.file = name
        if document is None:
            if not any(problem.file == name for problem in self.problems):
                self.problem(1, "file is empty", "an answer file has 'topic:' and 'answers:'")
            return
        root = self._mapping(document, "an answer file", 1)
        if root is None:
            return
        self._known_keys(root, ("topic", "answers"), "an answer file")
        topic = self._text(root.get("topic"), "topic", root.line)
        for item in self._list(root.get("answers"), "answers", root.key_lines.get("answers", root.line)) or []:
            entry = self._mapping(item, "each answer", root.line)
            if entry is not None:
                self._answer(entry, topic or "", sections, answers)

    def _answer(self, entry: YamlMap, topic: str, sections: Mapping[str, Section], answers: dict[str, Answer]) -> None:
        self._known_keys(entry, ANSWER_FIELDS, "an answer")
        missing = [key for key in REQUIRED_ANSWER_FIELDS if key not in entry]
        misspelt = {
            close
            for key in entry.key_lines
            if key not in ANSWER_FIELDS
            for close in difflib.get_close_matches(key, list(ANSWER_FIELDS), n=1, cutoff=0.6)
        }
        for key in missing:
            if key not in misspelt:  # already reported as "unknown field ... did you mean"
                self.problem(entry.line, f"answer is missing '{key}' ({ANSWER_FIELDS[key]})")
        answer_id = self._text(entry.get("id"), "id", entry.line) if "id" in entry else None
        if answer_id is not None and not _SLUG.fullmatch(answer_id):
            self.problem(entry["id"].line, f"id '{answer_id}' must be lower-case words joined by hyphens")
            answer_id = None
        if answer_id is not None and answer_id in answers:
            first = answers[answer_id]
            self.problem(entry["id"].line, f"duplicate id '{answer_id}' (first in {first.file}:{first.line})")
            answer_id = None
        fields: dict[str, Any] = {}
        for key in ("question", "answer", "source"):
            if key in entry:
                fields[key] = self._text(entry[key], key, entry.line)
        fields["alternates"] = (
            self._text_list(entry["alternates"], "alternates", entry.line) if "alternates" in entry else []
        )
        fields["reviewed_on"] = (
            self._date(entry["reviewed_on"], "reviewed_on", entry.line) if "reviewed_on" in entry else None
        )
        review_due = self._date(entry["review_due"], "review_due", entry.line) if "review_due" in entry else None
        caveat = self._flag(entry, "caveat")
        smalltalk = self._flag(entry, "smalltalk")
        reviewed_on = fields["reviewed_on"]
        if reviewed_on is not None and reviewed_on > dt.date.today():
            self.problem(
                entry["reviewed_on"].line,
                f"reviewed_on {reviewed_on} is in the future",
                "write the date the clinician actually reviewed it",
            )
            fields["reviewed_on"] = None
        elif reviewed_on is not None and review_due is not None and review_due <= reviewed_on:
            self.problem(
                entry["review_due"].line,
                f"review_due {review_due} is not after reviewed_on {reviewed_on}",
                "review_due is the date of the next review",
            )
            review_due = None
            fields["reviewed_on"] = None
        for key in ("question", "answer"):
            if fields.get(key):
                self._patient_texts.append((self.file, key, entry[key], fields[key]))
        status = self._text(entry.get("status", YamlText("published", entry.line, False)), "status", entry.line)
        if status is not None and status not in STATUSES:
            self.problem(line_of(entry.get("status"), entry.line), f"status '{status}' must be published or draft")
        related = self._text_list(entry["related"], "related", entry.line) if "related" in entry else []
        source = fields.get("source")
        if source is not None and source not in sections:
            close = difflib.get_close_matches(source, list(sections), n=1, cutoff=0.5)
            hint = f"did you mean '{close[0]}'?" if close else "use a section name from sources.yaml"
            self.problem(
                line_of(entry["source"], entry.line), f"source '{source}' is not a section of the source document", hint
            )
            fields["source"] = None
        if answer_id is None or missing or any(fields[key] is None for key in fields) or status not in STATUSES:
            return
        answers[answer_id] = Answer(
            id=answer_id,
            topic=topic,
            question=fields["question"],
            alternates=tuple(fields["alternates"]),
            answer=fields["answer"],
            source=fields["source"],
            reviewed_on=fields["reviewed_on"],
            status=status,
            related=tuple(related),
            review_due=review_due,
            caveat=caveat,
            smalltalk=smalltalk,
            file=self.file,
            line=entry.line,
            field_lines=_field_lines(entry),
        )
        self._related_lines[answer_id] = line_of(entry.get("related"), entry.line)

    def _flag(self, entry: YamlMap, key: str) -> bool:
        """An optional true/false field of an answer (false when absent; a problem when neither)."""
        value = str(entry.get(key, "false"))
        if value not in ("true", "false"):
            self.problem(line_of(entry.get(key), entry.line), f"{key} '{value}' must be true or false")
        return value == "true"

    def _check_answers(self, answers: dict[str, Answer], required_ids: tuple[str, ...]) -> None:
        phrasing_owner: dict[str, tuple[str, str, int]] = {}
        for answer in answers.values():
            self.file = answer.file
            for related in answer.related:
                if related not in answers:
                    close = difflib.get_close_matches(related, list(answers), n=1, cutoff=0.6)
                    self.problem(
                        self._related_lines.get(answer.id, answer.line),
                        f"related id '{related}' does not exist",
                        f"did you mean '{close[0]}'?" if close else "use the id of another answer",
                    )
            lines = answer.field_lines
            located = [(answer.question, lines.get("question", answer.line))] + [
                (text, lines.get(f"alternates.{index}", answer.line)) for index, text in enumerate(answer.alternates)
            ]
            for text, line in located:
                key = clean(text)
                owner = phrasing_owner.get(key)
                if owner and owner[0] != answer.id:
                    self.problem(
                        line,
                        f"phrasing '{text}' is also under '{owner[0]}' ({owner[1]}:{owner[2]})",
                        "keep each phrasing under one answer",
                    )
                elif owner and owner[2] != line:
                    self.problem(
                        line,
                        f"phrasing '{text}' is written twice under '{answer.id}' (also line {owner[2]})",
                        "delete one of them",
                        "warning",
                    )
                phrasing_owner.setdefault(key, (answer.id, answer.file, line))
        for required in required_ids:
            if required not in answers or answers[required].status != "published":
                self.file = FOLDER
                self.problem(1, f"required answer id '{required}' is missing or not published", "see CONTRACT.md")

    def _example_cases(self) -> list[Case]:
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

    def _cases(self, name: str, document: Any, answers: Mapping[str, Answer]) -> list[Case]:
        self.file = name
        cases, problems = read_cases_document(document, name, set(answers))
        self.problems.extend(problems)
        return cases


def _field_lines(entry: YamlMap) -> dict[str, int]:
    lines = {key: line_of(value, entry.key_lines.get(key, entry.line)) for key, value in entry.items()}
    alternates = entry.get("alternates")
    if isinstance(alternates, YamlList):
        lines.update({f"alternates.{index}": line_of(item, alternates.line) for index, item in enumerate(alternates)})
    return lines


def read_cases_document(
    document: Any, name: str, answer_ids: set[str] | None
) -> tuple[list[Case], list[ContentProblem]]:
    """Turn a parsed cases file into cases; unknown answer ids are problems when ids are given."""
    problems: list[ContentProblem] = []
    cases: list[Case] = []

    def problem(line: int, message: str, hint: str = "") -> None:
        problems.append(ContentProblem(name, line, message, hint))

    if not isinstance(document, YamlMap) or not isinstance(document.get("cases"), YamlList):
        problem(line_of(document), "a cases file must have 'cases:' followed by a list")
        return cases, problems
    for item in document["cases"]:
        if not isinstance(item, YamlMap):
            problem(line_of(item), "each case must be a mapping with 'question:'")
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
            problem(item.line, "case has no question")
            continue
        answer_id = item.get("answer")
        route = str(item.get("route", "answer" if answer_id else ""))
        reason = item.get("reason")
        if answer_id is not None:
            if route not in ("answer", "clarify"):
                problem(item.line, "a case with 'answer:' must not set a route other than answer or clarify")
                continue
            if answer_ids is not None and str(answer_id) not in answer_ids:
                problem(line_of(answer_id, item.line), f"case expects unknown answer id '{answer_id}'")
                continue
        elif route not in ("specialist", "emergency"):
            problem(item.line, "case needs 'answer: <id>' or 'route: specialist' / 'route: emergency'")
            continue
        if reason is not None and str(reason) not in set(Reason):
            problem(line_of(reason, item.line), f"reason '{reason}' is not one of {', '.join(Reason)}")
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

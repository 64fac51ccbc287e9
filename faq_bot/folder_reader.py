"""Read and validate a content folder into an ``AnswerBook``: the files, the answers and everything they cite.

The folder holds answer files (one per topic) and four special files:
``sources.yaml`` (sections an answer may cite), ``synonyms.yaml``, ``safety.yaml``
(``faq_bot.safety_reader``) and ``regression.yaml`` (``faq_bot.evaluation``), plus an
optional ``compliance.yaml`` (``faq_bot.compliance``). Every problem is collected with its
file and line; the book is only built when there are no errors. A problem that only follows
from another (an answer that cannot be read is missing wherever it is named; so is every
section when sources.yaml cannot be read) is kept under its cause, in ``ContentProblem.caused``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import hashlib
import os
import re
from collections.abc import Mapping
from typing import Any

from faq_bot.book import Answer, AnswerBook, Case, Section
from faq_bot.compliance import COMPLIANCE_FILE, NO_COMPLIANCE, ComplianceReader, ComplianceRules
from faq_bot.errors import ContentProblem
from faq_bot.evaluation import read_cases_document
from faq_bot.matching import MatchEngine, Phrasing
from faq_bot.safety_reader import SAFETY_FILE, SafetyReader
from faq_bot.text import SynonymTable, clean
from faq_bot.yaml_checks import YamlChecker
from faq_bot.yaml_reader import YamlList, YamlMap, YamlText, line_of, read_yaml

SOURCES_FILE = "sources.yaml"
SYNONYMS_FILE = "synonyms.yaml"
REGRESSION_FILE = "regression.yaml"
SPECIAL_FILES = (SOURCES_FILE, SYNONYMS_FILE, SAFETY_FILE, REGRESSION_FILE)
OPTIONAL_FILES = (COMPLIANCE_FILE,)  # read when present; never an answer file
FOLDER = ""  # ContentProblem.file for problems of the whole folder rather than one file
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
ANSWER_FILE_FIELDS = {"topic": "the name of the topic shown to patients", "answers": "the list of answers"}
_WRITTEN_ID = re.compile(r"^[ \t-]*id:[ \t]*['\"]?([a-z0-9-]+)", re.MULTILINE)
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


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


class FolderReader(YamlChecker):
    """Reads one content folder; ``read`` returns the book, or None when there is any error."""

    def __init__(self, folder: str) -> None:
        super().__init__([])
        self.folder = folder
        self._related_lines: dict[str, int] = {}
        # (file, field, value as read, text as shown) of everything patients read.
        self._patient_texts: list[tuple[str, str, Any, str]] = []
        self._source_lines: dict[str, list[str]] = {}
        self._required: list[tuple[str, int]] = []  # (answer id, line in sources.yaml)
        # What stops other things being checked, and so causes problems elsewhere: an answer left
        # out (its id -> the first error in it), a special file that cannot be read (-> why not).
        self._left_out: dict[str, ContentProblem] = {}
        self._unreadable: dict[str, ContentProblem] = {}
        self._caused: dict[int, list[ContentProblem]] = {}  # id() of a cause -> its knock-on problems
        self._causes: list[ContentProblem] = []  # the cause of each knock-on problem, in order

    def read(self, *, enforce_required: bool = True, partial: bool = False, version: str = "") -> AnswerBook | None:
        if not os.path.isdir(self.folder):
            self.file = self.folder
            self.problem(1, "content folder does not exist", "check the folder name, or set FAQ_BOT_ANSWERS_DIR to it")
            return None
        names = yaml_files(self.folder)
        documents = {name: self._parse(name) for name in names}
        for special in SPECIAL_FILES:
            errors = [problem for problem in self.problems if problem.file == special and problem.level == "error"]
            if special not in documents:
                self.file = FOLDER
                self.problem(1, f"missing {special}", "every content folder needs it; see docs/content-format.md")
                errors = [self.problems[-1]]
            if documents.get(special) is None and errors:
                self._unreadable[special] = errors[0]

        sections = self._sections(documents.get(SOURCES_FILE))
        synonyms = self._synonyms(documents.get(SYNONYMS_FILE))
        safety_reader = SafetyReader(self.problems, self._patient_texts)
        safety = safety_reader.read(documents.get(SAFETY_FILE), synonyms)
        answers: dict[str, Answer] = {}
        compliance = (
            ComplianceReader(self.problems).read(documents[COMPLIANCE_FILE])
            if COMPLIANCE_FILE in documents
            else NO_COMPLIANCE
        )
        for name in names:
            if name not in SPECIAL_FILES and name not in OPTIONAL_FILES:
                self._answer_file(name, documents[name], sections, answers)
                self._leave_out_unread_answers(name, answers)
        self._check_answers(answers)
        if enforce_required:
            self._check_required(answers)
        self._lint(compliance)
        cases = self._cases(REGRESSION_FILE, documents.get(REGRESSION_FILE), answers) + safety_reader.example_cases()
        self._group_knock_ons()
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

    def _sections(self, document: Any) -> dict[str, Section]:
        self.file = SOURCES_FILE
        sections: dict[str, Section] = {}
        root = self._mapping(document, "sources.yaml", 1) if document is not None else None
        if root is None:
            return sections
        self._known_keys(root, ("document", "sections", "required_answers"), "sources.yaml")
        if "required_answers" in root:
            listed = root["required_answers"]
            for item in self._list(listed, "required_answers", root.line) or []:
                answer_id = self._text(item, "each required answer id", line_of(listed, root.line))
                if answer_id is not None:
                    self._required.append((answer_id, line_of(item, line_of(listed, root.line))))
        for item in self._list(root.get("sections"), "sections", root.line) or []:
            entry = self._mapping(item, "each section", root.line)
            if entry is None:
                continue
            self._known_keys(entry, ("name", "in_document"), "a section")
            name = self._text(entry.get("name"), "section name", entry.line)
            in_document = entry.get("in_document", "true")
            if str(in_document) not in ("true", "false"):
                self.problem(
                    line_of(in_document, entry.line),
                    "in_document must be true or false",
                    "write 'in_document: false' for a section the source document lacks, or leave it out",
                )
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
                    self.problem(
                        line,
                        f"'{word}' is a variant of both '{seen[key][0]}' and '{canonical}'",
                        "keep it under one of them",
                    )
                seen[key] = (canonical, line)
            mapping[canonical] = words
        return SynonymTable.from_mapping(mapping)

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
        self._known_keys(root, ANSWER_FILE_FIELDS, "an answer file")
        misspelt = self._misspelt(root, ANSWER_FILE_FIELDS)
        for key in [key for key in ANSWER_FILE_FIELDS if key not in root and key not in misspelt]:
            self.problem(
                root.line,
                f"answer file is missing '{key}' ({ANSWER_FILE_FIELDS[key]})",
                f"add '{key}:' at the start of a line, as in the other answer files",
            )
        topic = self._text(root["topic"], "topic", root.line) if "topic" in root else None
        if "answers" in root:
            for item in self._list(root["answers"], "answers", root.key_lines["answers"]) or []:
                entry = self._mapping(item, "each answer", root.line)
                if entry is not None:
                    self._answer(entry, topic or "", sections, answers)

    def _leave_out_unread_answers(self, name: str, answers: Mapping[str, Answer]) -> None:
        """Blame the first error in a file for each answer written in it that was not read at all."""
        cause = next((p for p in self.problems if p.file == name and p.level == "error"), None)
        if cause is None:
            return
        try:
            with open(os.path.join(self.folder, name), "rb") as handle:
                text = handle.read().decode("utf-8", errors="replace")
        except OSError:
            return
        for answer_id in _WRITTEN_ID.findall(text):
            if answer_id not in answers:
                self._left_out.setdefault(answer_id, cause)

    def _knock_on(self, cause: ContentProblem, line: int, message: str, hint: str) -> None:
        """A problem that only exists because of ``cause``: shown grouped under it."""
        self._caused.setdefault(id(cause), []).append(ContentProblem(self.file, line, message, hint))
        self._causes.append(cause)

    def _group_knock_ons(self) -> None:
        self.problems[:] = [
            dataclasses.replace(problem, caused=tuple(self._caused[id(problem)]))
            if id(problem) in self._caused
            else problem
            for problem in self.problems
        ]
        self._caused = {}

    def _answer(self, entry: YamlMap, topic: str, sections: Mapping[str, Section], answers: dict[str, Answer]) -> None:
        first_problem, first_cause = len(self.problems), len(self._causes)
        self._read_answer(entry, topic, sections, answers)
        written_id = str(entry.get("id", "")).strip()
        causes = [p for p in self.problems[first_problem:] if p.level == "error"] + self._causes[first_cause:]
        if written_id and written_id not in answers and causes:
            self._left_out.setdefault(written_id, causes[0])

    def _read_answer(
        self, entry: YamlMap, topic: str, sections: Mapping[str, Section], answers: dict[str, Answer]
    ) -> None:
        self._known_keys(entry, ANSWER_FIELDS, "an answer")
        missing = [key for key in REQUIRED_ANSWER_FIELDS if key not in entry]
        misspelt = self._misspelt(entry, ANSWER_FIELDS)
        for key in missing:
            if key not in misspelt:  # already reported as "unknown field ... did you mean"
                self.problem(
                    entry.line,
                    f"answer is missing '{key}' ({ANSWER_FIELDS[key]})",
                    f"add '{key}:' to this answer, lined up with its other fields",
                )
        answer_id = self._text(entry.get("id"), "id", entry.line) if "id" in entry else None
        if answer_id is not None and not _SLUG.fullmatch(answer_id):
            self.problem(
                entry["id"].line,
                f"id '{answer_id}' must be lower-case words joined by hyphens",
                "use lower-case letters and digits with '-' between words, e.g. 'sleep-problems'",
            )
            answer_id = None
        if answer_id is not None and answer_id in answers:
            first = answers[answer_id]
            self.problem(
                entry["id"].line,
                f"duplicate id '{answer_id}' (first in {first.file}:{first.line})",
                "give this answer an id of its own: ids are unique across all files",
            )
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
            self.problem(
                line_of(entry.get("status"), entry.line),
                f"status '{status}' must be published or draft",
                "write 'status: published' (served) or 'status: draft' (kept, not served)",
            )
        related = self._text_list(entry["related"], "related", entry.line) if "related" in entry else []
        source = fields.get("source")
        if source is not None and source not in sections:
            close = difflib.get_close_matches(source, list(sections), n=1, cutoff=0.5)
            hint = f"did you mean '{close[0]}'?" if close else "use a section name from sources.yaml"
            message = f"source '{source}' is not a section of the source document"
            if SOURCES_FILE in self._unreadable:
                self._knock_on(self._unreadable[SOURCES_FILE], line_of(entry["source"], entry.line), message, hint)
            else:
                self.problem(line_of(entry["source"], entry.line), message, hint)
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

    def _check_answers(self, answers: dict[str, Answer]) -> None:
        phrasing_owner: dict[str, tuple[str, str, int]] = {}
        for answer in answers.values():
            self.file = answer.file
            for related in answer.related:
                if related not in answers:
                    close = difflib.get_close_matches(related, list(answers), n=1, cutoff=0.6)
                    line = self._related_lines.get(answer.id, answer.line)
                    message = f"related id '{related}' does not exist"
                    hint = f"did you mean '{close[0]}'?" if close else "use the id of another answer"
                    if related in self._left_out:
                        self._knock_on(self._left_out[related], line, message, hint)
                    else:
                        self.problem(line, message, hint)
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

    def _check_required(self, answers: Mapping[str, Answer]) -> None:
        """Every id under sources.yaml's required_answers is a published answer."""
        self.file = SOURCES_FILE
        for answer_id, line in self._required:
            if answer_id not in answers or answers[answer_id].status != "published":
                message = f"required answer '{answer_id}' is missing or not published"
                hint = "the service promises it to the clinic's other tools: restore or publish it, or fix the id"
                if answer_id in self._left_out:
                    self._knock_on(self._left_out[answer_id], line, message, hint)
                else:
                    self.problem(line, message, hint)

    def _cases(self, name: str, document: Any, answers: Mapping[str, Answer]) -> list[Case]:
        self.file = name
        if name in self._unreadable:
            return []  # its own problem says why; "no cases" would only repeat it
        cases, problems = read_cases_document(document, name, set(answers) | set(self._left_out))
        self.problems.extend(problems)
        for case in [case for case in cases if case.answer_id in self._left_out]:
            self._knock_on(
                self._left_out[str(case.answer_id)],
                case.line,
                f"case expects answer '{case.answer_id}', which cannot be read",
                "fix the answer first",
            )
        return [case for case in cases if case.answer_id not in self._left_out]


def _field_lines(entry: YamlMap) -> dict[str, int]:
    lines = {key: line_of(value, entry.key_lines.get(key, entry.line)) for key, value in entry.items()}
    alternates = entry.get("alternates")
    if isinstance(alternates, YamlList):
        lines.update({f"alternates.{index}": line_of(item, alternates.line) for index, item in enumerate(alternates)})
    return lines

"""docs/answers.schema.json and the loader agree on what an answer file may hold."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from faq_bot.content import read_answer_book
from faq_bot.folder_reader import OPTIONAL_FILES, SPECIAL_FILES
from tests.conftest import ANSWERS, DATA, REPO

SCHEMA_PATH = os.path.join(REPO, "docs", "answers.schema.json")
SCHEMA_LINE = "# yaml-language-server: $schema=../docs/answers.schema.json"


class EditorYamlLoader(yaml.SafeLoader):
    """YAML as an editor's tools see it: yes/no are booleans, but dates stay text."""


EditorYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    with open(SCHEMA_PATH, encoding="utf-8") as handle:
        schema = json.load(handle)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def schema_accepts(validator: jsonschema.protocols.Validator, text: str) -> bool:
    document: Any = yaml.load(text, Loader=EditorYamlLoader)
    return validator.is_valid(document)


def loader_accepts(tmp_path: Path, text: str) -> bool:
    """Whether the loader finds no error in this answer file (other files are the valid fixture's)."""
    folder = tmp_path / "content"
    shutil.copytree(os.path.join(DATA, "valid"), folder)
    (folder / "topics.yaml").write_text(text, encoding="utf-8")
    _, problems = read_answer_book(str(folder))
    return not [p for p in problems if p.file == "topics.yaml" and p.level == "error"]


ANSWER = """\
  - id: sleep
    question: Can medical cannabis help with sleep?
    alternates:
      - sleep problems
    answer: Some people find they sleep better. Your specialist can talk it through with you.
    source: Benefits and Considerations
    reviewed_on: 2026-11-01
"""


def answer_file(answer: str = ANSWER, head: str = "topic: Test topic\nanswers:\n") -> str:
    return SCHEMA_LINE + "\n" + head + answer


def changed(old: str, new: str) -> str:
    assert old in ANSWER
    return answer_file(ANSWER.replace(old, new))


VALID_FILES = {
    "minimal": answer_file(),
    "all fields": answer_file(ANSWER + "    review_due: 2027-06-01\n    status: draft\n    related: [sleep]\n"),
    "no answers yet": answer_file("", head="topic: Test topic\nanswers: []\n"),
    "empty alternates": changed("    alternates:\n      - sleep problems\n", "    alternates: []\n"),
    "folded answer": changed(
        "    answer: Some people find they sleep better. Your specialist can talk it through with you.\n",
        "    answer: >-\n      Some people find they sleep better.\n      Your specialist can talk it through.\n",
    ),
    "quoted text with a colon": changed(
        "    question: Can medical cannabis help with sleep?\n", '    question: "Sleep: can it help?"\n'
    ),
}

INVALID_FILES = {
    "missing question": changed("    question: Can medical cannabis help with sleep?\n", ""),
    "misspelt field": changed("    alternates:\n", "    alternats:\n"),
    "unknown field": answer_file(ANSWER + "    colour: blue\n"),
    "alternates as text": changed("    alternates:\n      - sleep problems\n", "    alternates: sleep problems\n"),
    "empty answer": changed(
        "    answer: Some people find they sleep better. Your specialist can talk it through with you.\n",
        '    answer: ""\n',
    ),
    "blank question": changed("    question: Can medical cannabis help with sleep?\n", '    question: "   "\n'),
    "empty alternate": changed("      - sleep problems\n", '      - ""\n'),
    "upper-case id": changed("  - id: sleep\n", "  - id: Sleep_Help\n"),
    "unknown status": answer_file(ANSWER + "    status: live\n"),
    "date written day first": changed("    reviewed_on: 2026-11-01\n", "    reviewed_on: 01/11/2026\n"),
    "impossible date": changed("    reviewed_on: 2026-11-01\n", '    reviewed_on: "2026-02-30"\n'),
    "related as text": answer_file(ANSWER + "    related: sleep\n"),
    "question read as true/false": changed(
        "    question: Can medical cannabis help with sleep?\n", "    question: yes\n"
    ),
    "question read as a number": changed("    question: Can medical cannabis help with sleep?\n", "    question: 12\n"),
    "answer too long": changed(
        "    answer: Some people find they sleep better. Your specialist can talk it through with you.\n",
        "    answer: " + "word " * 401 + "\n",
    ),
    "missing topic": answer_file(head="answers:\n"),
    "unknown top-level field": answer_file(head="topic: Test topic\ntopics: x\nanswers:\n"),
    "answers not a list": answer_file("", head="topic: Test topic\nanswers: none yet\n"),
}


@pytest.mark.parametrize("name", sorted(VALID_FILES))
def test_schema_and_loader_accept(name: str, validator: jsonschema.protocols.Validator, tmp_path: Path) -> None:
    """A valid answer file is valid for both the schema and the loader."""
    text = VALID_FILES[name]
    assert loader_accepts(tmp_path, text)
    assert schema_accepts(validator, text)


@pytest.mark.parametrize("name", sorted(INVALID_FILES))
def test_schema_and_loader_reject(name: str, validator: jsonschema.protocols.Validator, tmp_path: Path) -> None:
    """An invalid answer file is rejected by both the schema and the loader."""
    text = INVALID_FILES[name]
    assert not loader_accepts(tmp_path, text)
    assert not schema_accepts(validator, text)


def topic_files(folder: str) -> list[str]:
    return sorted(
        name
        for name in os.listdir(folder)
        if name.endswith(".yaml") and name not in SPECIAL_FILES and name not in OPTIONAL_FILES
    )


@pytest.mark.parametrize("name", topic_files(ANSWERS))
def test_real_answer_files_follow_the_schema(name: str, validator: jsonschema.protocols.Validator) -> None:
    """Every topic file in answers/ names the schema on its first line and passes it."""
    with open(os.path.join(ANSWERS, name), encoding="utf-8") as handle:
        text = handle.read()
    assert text.splitlines()[0] == SCHEMA_LINE
    errors = [error.message for error in validator.iter_errors(yaml.load(text, Loader=EditorYamlLoader))]
    assert errors == []

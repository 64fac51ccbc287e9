"""Load a content folder into one immutable ``AnswerBook``, or say with file and line why not.

``load_answer_book`` is what the service, the CLI and the checks call. The work is done by
``faq_bot.folder_reader`` (answers and the files they cite), ``faq_bot.safety_reader``,
``faq_bot.compliance`` and ``faq_bot.evaluation`` (regression cases); the model is in
``faq_bot.book``.
"""

from __future__ import annotations

import os

from faq_bot.book import Answer, AnswerBook, Case, Section
from faq_bot.compliance import COMPLIANCE_FILE
from faq_bot.errors import ContentError, ContentProblem, errors_first
from faq_bot.evaluation import read_cases_document
from faq_bot.folder_reader import FOLDER, FolderReader, content_version, yaml_files
from faq_bot.yaml_checks import MAX_TEXT_LENGTH

__all__ = [
    "COMPLIANCE_FILE",
    "MAX_TEXT_LENGTH",
    "Answer",
    "AnswerBook",
    "Case",
    "Section",
    "content_version",
    "load_answer_book",
    "read_answer_book",
    "read_cases_document",
    "yaml_files",
]

READ_ATTEMPTS = 3  # reads of a folder that changes while it is read, before giving up


def load_answer_book(folder: str, *, enforce_required: bool = True) -> AnswerBook:
    """Read, validate and index a content folder.

    Raises:
        ContentError: listing every error found, each with file and line.
    """
    book, problems = read_answer_book(folder, enforce_required=enforce_required)
    errors = [problem for problem in problems if problem.level == "error"]
    if errors or book is None:
        raise ContentError(
            errors or [ContentProblem(FOLDER, 1, "content folder could not be read", "run: faq-bot check")]
        )
    return book


def read_answer_book(
    folder: str, *, enforce_required: bool = True, partial: bool = False
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
        reader = FolderReader(folder)
        book = reader.read(enforce_required=enforce_required, partial=partial, version=version)
        if not os.path.isdir(folder) or content_version(folder) == version:
            return book, errors_first(reader.problems)
    reader.file = FOLDER
    reader.problem(1, "the content kept changing while it was being read", "save your edits, then check again")
    return None, errors_first(reader.problems)

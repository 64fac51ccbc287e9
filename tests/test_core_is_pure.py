"""The core (content, matching, safety, service) works without importing Flask."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ANSWERS, REPO


def test_core_does_not_import_flask() -> None:
    """Loading content and answering a question leaves flask out of sys.modules."""
    code = (
        "import sys\n"
        "from faq_bot.content import load_answer_book\n"
        "from faq_bot.service import answer_question\n"
        f"book = load_answer_book({ANSWERS!r})\n"
        "assert answer_question(book, 'does it help sleep').route == 'answer'\n"
        "print('flask' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"

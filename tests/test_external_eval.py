"""benchmarks/external_eval.py takes any set in the shared format, including banks that repeat a question."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.external_eval import evaluate_set, write_content_folder
from faq_bot.content import load_answer_book


def write_set(folder: Path, faqs: list[dict], queries: list[dict]) -> Path:
    folder.mkdir()
    (folder / "faq.jsonl").write_text("".join(json.dumps(faq) + "\n" for faq in faqs), encoding="utf-8")
    (folder / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in queries), encoding="utf-8")
    return folder


FAQS = [
    {"id": "1", "question": "What is glaucoma?", "answer": "An eye condition."},
    {"id": "2", "question": "What is glaucoma?", "answer": "A condition of the optic nerve."},  # repeated
    {"id": "3", "question": "How is glaucoma treated?", "answer": "With eye drops."},
    {"id": "4", "question": "   ", "answer": "No usable question."},
    {"id": "4!", "question": "Who gets glaucoma?", "answer": "Mostly older people."},  # same slug as "4"
]


def test_repeated_questions_are_merged_and_unusable_entries_skipped_with_counts(tmp_path: Path) -> None:
    """A FAQ bank that repeats a question becomes one answer for both ids; unusable entries are skipped and counted."""
    converted = write_content_folder(FAQS, tmp_path)
    book = load_answer_book(converted.folder)
    assert converted.slug_to_ids["faq-1"] == {"1", "2"}
    assert sorted(map(sorted, converted.slug_to_ids.values())) == [["1", "2"], ["3"], ["4!"]]
    assert len(book.published) == 3
    notes = " ".join(converted.notes)
    assert "1 FAQ entries repeat" in notes and "1 FAQ entries have no usable question" in notes


def test_a_set_with_repeats_is_evaluated_and_either_id_counts(tmp_path: Path) -> None:
    """Evaluating a bank with merged repeats counts a reply as right for either of the merged ids."""
    folder = write_set(
        tmp_path / "set",
        FAQS,
        [
            {"id": "q1", "query": "what is glaucoma", "faq_id": "2", "faq_ids": ["2"]},
            {"id": "q2", "query": "how do they treat glaucoma", "faq_id": "3", "faq_ids": ["3"]},
            {"id": "q3", "query": "what is the weather", "faq_id": None, "faq_ids": []},
        ],
    )
    result = evaluate_set(folder)
    assert result["_info"]["answerable"] == 2
    assert result["engine"]["top1"] == 1.0

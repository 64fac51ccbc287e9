"""Evaluate the matcher and the answering service on third-party FAQ sets.

Usage:
    python benchmarks/external_eval.py [FOLDER ...] [--json]

Each FOLDER holds ``faq.jsonl`` and ``queries.jsonl`` in the format described in
``../shared/eval/README.md``; with no folder, every set in ``repo_root/../shared/eval``
is used. For each set the FAQ bank is written out as a real content folder (answer
YAML in the project's format, plus sources, synonyms, safety and regression files) in
a temporary directory, loaded with ``load_answer_book`` and answered with
``answer_question`` and the service's default ``Thresholds``. The safety file keeps
the project's messages but no emergency or clinical rules: those are the clinic's
domain content and would not apply to another FAQ.

Reported per set:
* engine: top-1 and top-3 of ``book.engine.rank`` on answerable queries, and routing
  accuracy over all queries (answerable: ``answer`` with a right id, or ``clarify``
  whose first suggestion is right; no FAQ: anything but ``answer``);
* naive: ``rapidfuzz.process.extractOne`` with ``fuzz.ratio`` and ``default_process``
  over the same phrasings; it answers when its score reaches ``NAIVE_ANSWER_RATIO``;
* always_no_answer: routing accuracy of never answering;
* speed: mean and p99 milliseconds of a whole ``answer_question`` call next to one
  naive ``extractOne`` call, on one pinned core after a warm-up.

Evaluation data only: nothing from these sets is ever copied into ``answers/``.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.measure import pin_to_one_core  # noqa: E402
from faq_bot.content import MAX_TEXT_LENGTH, load_answer_book  # noqa: E402
from faq_bot.service import Thresholds, answer_question  # noqa: E402
from faq_bot.text import clean  # noqa: E402

DEFAULT_EVAL_DIR = REPO_ROOT.parent / "shared" / "eval"
PROJECT_SAFETY = REPO_ROOT / "answers" / "safety.yaml"
SECTION = "External FAQ"
REVIEWED_ON = "2000-01-01"
# Placeholder for an entry without answer text: no words, so it adds nothing to matching.
NO_ANSWER_TEXT = "-"
WARMUP_QUERIES = 50
# The naive baseline answers at this fuzz.ratio (the service's raw answer threshold until its
# confidence became a calibrated chance, which a raw ratio cannot be compared with).
NAIVE_ANSWER_RATIO = 68.0


class _QuotingDumper(yaml.SafeDumper):
    """SafeDumper that double-quotes every string, so none can be read as yes/no, a number or a date."""


_QuotingDumper.add_representer(
    str, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
)


def dump_yaml(data: Any, path: Path) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        yaml.dump(data, handle, Dumper=_QuotingDumper, allow_unicode=True, sort_keys=False, width=100)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def slug(raw_id: str) -> str:
    """A content id for an evaluation id: '42' -> 'faq-42'."""
    return "faq-" + (re.sub(r"[^a-z0-9]+", "-", str(raw_id).lower()).strip("-") or "x")


def fit_text(text: str) -> str:
    """Collapse whitespace and cut to the loader's length limit at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= MAX_TEXT_LENGTH:
        return text
    return text[:MAX_TEXT_LENGTH].rsplit(" ", 1)[0]


@dataclass
class ConvertedSet:
    folder: str
    slug_to_ids: dict[str, set[str]]  # answer id in the content folder -> the set's FAQ ids it stands for
    notes: list[str]


def write_content_folder(faqs: Sequence[dict[str, Any]], folder: Path) -> ConvertedSet:
    """Write an FAQ bank as a content folder the project's loader accepts.

    Real banks repeat themselves: two entries with the same question (MedQuAD has over a
    hundred such pairs) become one answer standing for both ids, so a reply with it is
    right for either; an entry with no usable question is skipped. Both are counted.
    """
    notes: list[str] = []
    slug_to_ids: dict[str, set[str]] = {}
    owners: dict[str, str] = {}  # cleaned phrasing -> answer id: the loader wants each phrasing once
    answers: dict[str, dict[str, Any]] = {}
    truncated = dropped = placeholders = merged = skipped = 0
    for faq in faqs:
        texts = [fit_text(text) for text in [faq["question"], *(faq.get("alt_questions") or [])] if text]
        first_owner = owners.get(clean(texts[0])) if texts else None
        if first_owner is not None:  # the same question as an earlier entry: one answer for both
            slug_to_ids[first_owner].add(str(faq["id"]))
            merged += 1
            answer_id, phrasings = first_owner, answers[first_owner]["alternates"]
        else:
            answer_id = slug(faq["id"])
            while answer_id in slug_to_ids:
                answer_id += "-x"
            phrasings = []
        for text in texts:
            key = clean(text)
            if not key or key in owners or text in phrasings:
                dropped += 1
                continue
            owners[key] = answer_id
            phrasings.append(text)
        if first_owner is not None:
            continue
        if not phrasings:
            skipped += 1
            continue
        slug_to_ids[answer_id] = {str(faq["id"])}
        answer_text = faq.get("answer")
        if not answer_text or not str(answer_text).strip():
            answer_text = NO_ANSWER_TEXT
            placeholders += 1
        elif len(" ".join(str(answer_text).split())) > MAX_TEXT_LENGTH:
            truncated += 1
        answers[answer_id] = {
            "id": answer_id,
            "question": phrasings[0],
            "alternates": phrasings[1:],
            "answer": fit_text(str(answer_text)),
            "source": SECTION,
            "reviewed_on": REVIEWED_ON,
        }
        phrasings = answers[answer_id]["alternates"]
    if placeholders:
        notes.append(f"{placeholders} FAQ entries have no answer text: placeholder used")
    if truncated:
        notes.append(f"{truncated} answer texts cut to {MAX_TEXT_LENGTH} characters (loader limit)")
    if merged:
        notes.append(f"{merged} FAQ entries repeat an earlier entry's question: merged into it (either id is right)")
    if skipped:
        notes.append(f"{skipped} FAQ entries have no usable question: skipped")
    if dropped:
        notes.append(f"{dropped} phrasings dropped (empty or already under another entry)")

    with open(PROJECT_SAFETY, encoding="utf-8") as handle:
        messages = {key: " ".join(str(text).split()) for key, text in yaml.safe_load(handle)["messages"].items()}
    dump_yaml({"topic": "External FAQ", "answers": list(answers.values())}, folder / "faq.yaml")
    dump_yaml({"document": "External evaluation set", "sections": [{"name": SECTION}]}, folder / "sources.yaml")
    dump_yaml({"synonyms": {}}, folder / "synonyms.yaml")
    dump_yaml({"messages": messages, "emergency": [], "clinical": []}, folder / "safety.yaml")
    dump_yaml({"cases": []}, folder / "regression.yaml")
    return ConvertedSet(str(folder), slug_to_ids, notes)


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def distinct_ids(ids: Sequence[str], count: int) -> list[str]:
    return list(dict.fromkeys(ids))[:count]


def evaluate_set(folder: Path) -> dict[str, Any]:
    faqs = read_jsonl(folder / "faq.jsonl")
    queries = read_jsonl(folder / "queries.jsonl")
    thresholds = Thresholds()
    with tempfile.TemporaryDirectory(prefix="faq-eval-") as temp:
        converted = write_content_folder(faqs, Path(temp))
        book = load_answer_book(converted.folder)
    to_ids = converted.slug_to_ids

    # The naive baseline sees exactly the phrasings the engine indexes.
    choices: list[str] = []
    choice_ids: list[str] = []
    for answer in book.published:
        for text in answer.phrasings:
            choices.append(text)
            choice_ids.append(answer.id)

    def naive_best(query: str) -> tuple[str | None, float]:
        found = process.extractOne(query, choices, scorer=fuzz.ratio, processor=default_process)
        return (choice_ids[found[2]], found[1]) if found else (None, 0.0)

    # Warm up caches (stemmer, allocator) and the branch predictor before timing.
    for query in queries[:WARMUP_QUERIES]:
        answer_question(book, query["query"], thresholds)
        naive_best(query["query"])

    counts = dict.fromkeys(
        (
            "answerable",
            "engine_top1",
            "engine_top3",
            "engine_route",
            "naive_top1",
            "naive_top3",
            "naive_route",
            "none_route",
        ),
        0,
    )
    engine_times: list[float] = []
    naive_times: list[float] = []
    for query in queries:
        text, right = query["query"], set(map(str, query.get("faq_ids") or []))
        answerable = bool(right)

        start = time.perf_counter()
        reply = answer_question(book, text, thresholds)
        engine_times.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        naive_id, naive_score = naive_best(text)
        naive_times.append((time.perf_counter() - start) * 1000)

        if reply.route == "answer":
            engine_routed_right = bool(to_ids[reply.answer["id"]] & right) if answerable else False
        elif reply.route == "clarify":
            engine_routed_right = bool(to_ids[reply.suggestions[0]["id"]] & right) if answerable else True
        else:
            engine_routed_right = not answerable
        naive_answers = naive_score >= NAIVE_ANSWER_RATIO
        naive_routed_right = (naive_answers and bool(to_ids[naive_id] & right)) if answerable else not naive_answers
        counts["engine_route"] += engine_routed_right
        counts["naive_route"] += naive_routed_right
        counts["none_route"] += not answerable
        if not answerable:
            continue

        counts["answerable"] += 1
        ranked = [to_ids[c.answer_id] for c in book.engine.rank(text, limit=3)]
        counts["engine_top1"] += bool(ranked) and bool(ranked[0] & right)
        counts["engine_top3"] += any(ids & right for ids in ranked[:3])
        extracted = process.extract(text, choices, scorer=fuzz.ratio, processor=default_process, limit=None)
        naive_ranked = distinct_ids([choice_ids[index] for _, _, index in extracted], 3)
        counts["naive_top1"] += bool(naive_ranked) and bool(to_ids[naive_ranked[0]] & right)
        counts["naive_top3"] += any(to_ids[answer_id] & right for answer_id in naive_ranked)

    answerable = counts["answerable"] or 1
    total = len(queries) or 1
    return {
        "name": folder.name,
        "engine": {
            "top1": round(counts["engine_top1"] / answerable, 3),
            "top3": round(counts["engine_top3"] / answerable, 3),
            "routing": round(counts["engine_route"] / total, 3),
        },
        "naive": {
            "top1": round(counts["naive_top1"] / answerable, 3),
            "top3": round(counts["naive_top3"] / answerable, 3),
            "routing": round(counts["naive_route"] / total, 3),
        },
        "always_no_answer": {"routing": round(counts["none_route"] / total, 3)},
        "speed": {
            "engine_mean_ms": round(statistics.fmean(engine_times), 3),
            "engine_p99_ms": round(percentile(engine_times, 0.99), 3),
            "naive_mean_ms": round(statistics.fmean(naive_times), 3),
            "naive_p99_ms": round(percentile(naive_times, 0.99), 3),
        },
        "_info": {
            "queries": len(queries),
            "answerable": counts["answerable"],
            "faqs": len(faqs),
            "phrasings": len(choices),
            "notes": converted.notes,
        },
    }


def print_table(results: list[dict[str, Any]], pinned: str, cutoff: float) -> None:
    print(f"External FAQ evaluation ({pinned}; naive answers at ratio >= {cutoff:g})")
    for result in results:
        info, speed = result["_info"], result["speed"]
        print()
        print(
            f"{result['name']}: {info['faqs']} FAQs, {info['phrasings']} phrasings, "
            f"{info['queries']} queries ({info['answerable']} answerable)"
        )
        for note in info["notes"]:
            print(f"  note: {note}")
        print(f"  {'system':<18} {'top-1':>6} {'top-3':>6} {'routing':>8}")
        for label, key in (("engine + service", "engine"), ("naive extractOne", "naive")):
            row = result[key]
            print(f"  {label:<18} {row['top1']:>6.3f} {row['top3']:>6.3f} {row['routing']:>8.3f}")
        print(f"  {'always no answer':<18} {'':>6} {'':>6} {result['always_no_answer']['routing']:>8.3f}")
        ratio = speed["engine_mean_ms"] / speed["naive_mean_ms"] if speed["naive_mean_ms"] else float("inf")
        print(
            f"  speed ms/question: engine mean {speed['engine_mean_ms']:.3f} p99 {speed['engine_p99_ms']:.3f} | "
            f"naive mean {speed['naive_mean_ms']:.3f} p99 {speed['naive_p99_ms']:.3f} | "
            f"engine/naive {ratio:.0f}x (mean)"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "folders", nargs="*", type=Path, help=f"evaluation sets (default: every folder in {DEFAULT_EVAL_DIR})"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)

    folders = args.folders or sorted(path for path in DEFAULT_EVAL_DIR.iterdir() if (path / "faq.jsonl").is_file())
    pinned = pin_to_one_core()
    results = [evaluate_set(folder) for folder in folders]
    if args.json:
        public = [{key: value for key, value in result.items() if not key.startswith("_")} for result in results]
        print(json.dumps({"sets": public}, indent=2))
    else:
        print_table(results, pinned, NAIVE_ANSWER_RATIO)
    return 0


if __name__ == "__main__":
    sys.exit(main())

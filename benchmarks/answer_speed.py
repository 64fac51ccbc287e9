"""What one ``answer_question`` costs in process, now against an earlier commit, on a noisy shared machine.

Usage:
    python benchmarks/answer_speed.py [--baseline REF] [--rounds 8]

Each round runs two fresh subprocesses, one after the other: this checkout and a git
worktree of ``REF`` (default ``HEAD~1``; made under a temporary folder and removed after),
each with its own code and its own ``answers/``. A subprocess answers the labelled
patient questions (``benchmarks/patient_questions.yaml``) once to warm up, then times
``answer_question`` over them five times, and in turns with each pass times a fixed
reference workload in the same process: ``rapidfuzz.process.extractOne`` of each
question over a fixed list of 500 phrasings. It prints microseconds per question for
both. The figure compared between commits is answer / reference, which cancels most
of what a busy or throttled core does to both; the raw medians are printed too.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.measure import checkout_of  # noqa: E402

QUESTIONS = REPO_ROOT / "benchmarks" / "patient_questions.yaml"

CHILD = r"""
import json, statistics, sys, time
import yaml
from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process
sys.path.insert(0, sys.argv[1])
from faq_bot.content import load_answer_book
from faq_bot.service import answer_question
book = load_answer_book(sys.argv[1] + "/answers")
questions = [str(case["question"]) for case in yaml.safe_load(open(sys.argv[2], encoding="utf-8"))["cases"]]
reference = [" ".join(q.split()[:8]) for q in questions][:500]
for question in questions:
    answer_question(book, question)
answers, references = [], []
for _ in range(5):
    start = time.perf_counter()
    for question in questions:
        answer_question(book, question)
    answers.append((time.perf_counter() - start) / len(questions) * 1e6)
    start = time.perf_counter()
    for question in questions:
        process.extractOne(question, reference, scorer=fuzz.ratio, processor=default_process)
    references.append((time.perf_counter() - start) / len(questions) * 1e6)
print(json.dumps({"answer": statistics.median(answers), "reference": statistics.median(references),
                  "phrasings": len(book.engine)}))
"""


def run(code: Path) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(code), str(QUESTIONS)],
        capture_output=True,
        text=True,
        check=True,
        cwd=str(code),
    )
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default="HEAD~1", help="git ref to compare with (default HEAD~1)")
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    rows: dict[str, list[dict[str, float]]] = {"current": [], "baseline": []}
    with checkout_of(args.baseline) as base:
        for _ in range(args.rounds):
            rows["current"].append(run(REPO_ROOT))
            rows["baseline"].append(run(base))
            time.sleep(0.2)
    summary = {}
    for name, runs in rows.items():
        ratios = [row["answer"] / row["reference"] for row in runs]
        summary[name] = statistics.median(ratios)
        print(
            f"{name:<9} phrasings {int(runs[0]['phrasings']):>5}  answer_question µs median "
            f"{statistics.median(row['answer'] for row in runs):7.1f}  reference µs "
            f"{statistics.median(row['reference'] for row in runs):6.1f}  "
            f"answer/reference median {summary[name]:.2f} (min {min(ratios):.2f}, max {max(ratios):.2f})"
        )
    print(f"current / baseline (answer/reference): {summary['current'] / summary['baseline']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

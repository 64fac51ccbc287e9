"""The service's promises on labelled case files, for this checkout and an earlier commit side by side.

Usage:
    python benchmarks/routing_compare.py [--baseline REF] [CASES ...]

CASES default to the independently written splits (``benchmarks/independent/dev.yaml``,
``test.yaml`` and ``test-fresh.yaml``). Each commit answers them with its own code and
its own ``answers/`` in a subprocess (``REF`` in a temporary git worktree, default
``HEAD~1``). The figures are computed here, the same way for both, from each reply's
route, answer id and suggestions:

* emergency: emergency cases routed to emergency signposting;
* clinical: clinical cases routed to the specialist (or emergency signposting);
* off-topic: cases no answer covers that get no answer;
* strict: answerable cases given their answer; helpful: given it or offered it in "did you mean";
* first: answerable cases whose answer the matcher ranks first (whatever the route);
* wrong: answers given where none should be, or the wrong one.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.measure import checkout_of  # noqa: E402

INDEPENDENT = REPO_ROOT / "benchmarks" / "independent"
DEFAULT_CASES = [INDEPENDENT / "dev.yaml", INDEPENDENT / "test.yaml", INDEPENDENT / "test-fresh.yaml"]

CHILD = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from faq_bot.content import load_answer_book
from faq_bot.service import answer_question
book = load_answer_book(sys.argv[1] + "/answers")
replies = []
for question in json.load(sys.stdin):
    reply = answer_question(book, question)
    replies.append({"route": reply.route, "answer": reply.answer["id"] if reply.answer else None,
                    "suggestions": [s["id"] for s in reply.suggestions],
                    "first": reply.candidates[0].answer_id if reply.candidates else None})
print(json.dumps(replies))
"""


def replies_of(code: Path, questions: list[str]) -> list[dict[str, Any]]:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(code)],
        input=json.dumps(questions),
        capture_output=True,
        text=True,
        check=True,
        cwd=str(code),
    )
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def promises(cases: list[dict[str, Any]], replies: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    counts: dict[str, list[int]] = {
        key: [0, 0] for key in ("emergency", "clinical", "off-topic", "strict", "helpful", "first", "wrong")
    }

    def count(key: str, met: bool) -> None:
        counts[key][0] += met
        counts[key][1] += 1

    for case, reply in zip(cases, replies, strict=True):
        expected = case.get("answer")
        answered = reply["answer"] if reply["route"] == "answer" else None
        count("wrong", answered is not None and answered != expected)
        if expected:
            count("strict", answered == expected)
            count("helpful", answered == expected or expected in reply["suggestions"])
            count("first", reply["first"] == expected)
        elif case.get("route") == "emergency":
            count("emergency", reply["route"] == "emergency")
        elif case.get("reason") == "clinical":
            count("clinical", reply["route"] in ("specialist", "emergency"))
        else:
            count("off-topic", reply["route"] != "answer")
    return {key: (met, total) for key, (met, total) in counts.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", nargs="*", type=Path, default=DEFAULT_CASES)
    parser.add_argument("--baseline", default="HEAD~1")
    args = parser.parse_args()
    with checkout_of(args.baseline) as base:
        for path in (given.resolve() for given in args.cases):
            cases = yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
            questions = [str(case["question"]) for case in cases]
            print(f"{path.relative_to(REPO_ROOT)} ({len(cases)} cases)")
            print(f"  {'':<10} {args.baseline[:12]:>22} {'this checkout':>22}")
            rows = {
                name: promises(cases, replies_of(code, questions))
                for name, code in (("baseline", base), ("current", REPO_ROOT))
            }
            for key in rows["current"]:
                cells = []
                for name in ("baseline", "current"):
                    met, total = rows[name][key]
                    cells.append(f"{met:>4}/{total:<4} {met / total if total else 0:6.3f}")
                print(f"  {key:<10} {cells[0]:>22} {cells[1]:>22}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

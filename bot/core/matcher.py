"""Score a normalized question against every FAQ entry.

Pure: an `Index` is built once per knowledge base (all phrasings normalized and
tokenized at load); `Index.rank` is then a few dictionary look-ups and one rapidfuzz call.

Three kinds of evidence are combined, because each fails where another holds:
- **Bag of character n-grams, IDF-weighted cosine** against everything an entry says it
  answers (all phrasings and keywords together). It copes with paraphrase and word order,
  and its IDF weighting makes a question full of words the FAQ never uses (生育, 工伤…)
  score low, which is what rejects out-of-scope questions.
- **The same cosine against the single closest phrasing**, which separates a question
  that is one phrasing reworded from one that only shares the topic's words.
- **rapidfuzz similarity to the single closest phrasing.** It rewards a question that is
  nearly one of the phrasings, typos included.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.core.kb import KnowledgeBase
from bot.core.normalize import tokens

# Weights of the three kinds of evidence in the combined 0-100 score. Chosen on the dev set
# (`eval`), where the entry-level cosine alone ranks best and the phrasing-level scores
# separate a near-copy of one phrasing from a question that merely shares topic words.
ENTRY_COSINE_WEIGHT = 0.4
PHRASING_COSINE_WEIGHT = 0.3
PHRASING_FUZZ_WEIGHT = 0.3
# Keywords count this many times over a phrasing's words: an admin listed them as evidence.
KEYWORD_BOOST = 2.0
# How many entries (by entry cosine) get the phrasing-level comparisons.
CANDIDATES = 12
# rapidfuzz scores below this are treated as no resemblance at all.
FUZZ_CUTOFF = 30.0


@dataclass(frozen=True)
class Scored:
    entry_id: str
    score: float  # 0..100, the combined score
    cosine: float  # 0..100, entry-level n-gram cosine
    phrasing: float  # 0..100, best phrasing-level n-gram cosine
    fuzzy: float  # 0..100, best rapidfuzz ratio against one phrasing


class Index:
    """Everything about the KB's phrasings that can be computed once."""

    def __init__(self, kb: KnowledgeBase, normalizer: Callable[[str], str]) -> None:
        self.normalizer = normalizer
        self.entry_ids = [e.id for e in kb.entries]
        bags: list[dict[str, float]] = []
        # Flat lists for rapidfuzz: one row per phrasing, with the entry it belongs to.
        self.phrasings: list[str] = []
        self.phrasing_entry: list[int] = []
        self.entry_phrasings: list[list[int]] = []
        row_tokens: list[Counter[str]] = []
        for i, entry in enumerate(kb.entries):
            bag: dict[str, float] = defaultdict(float)
            rows: list[int] = []
            for lang_phrasings in entry.questions.values():
                for q in lang_phrasings:
                    norm = normalizer(q)
                    if not norm:
                        continue
                    toks = tokens(norm)
                    for tok in set(toks):
                        bag[tok] += 1.0
                    row_tokens.append(Counter(toks))
                    rows.append(len(self.phrasings))
                    self.phrasings.append(norm)
                    self.phrasing_entry.append(i)
            for kw in entry.keywords:
                for tok in set(tokens(normalizer(kw))):
                    bag[tok] += KEYWORD_BOOST
            bags.append(bag)
            self.entry_phrasings.append(rows)

        n = len(bags)
        df: Counter[str] = Counter()
        for bag in bags:
            df.update(bag.keys())
        self.idf = {t: math.log((n + 1) / (c + 1)) + 1.0 for t, c in df.items()}
        # A token the FAQ never uses is as informative as the rarest one: counting it in
        # the question's norm is what lowers the score of off-topic questions.
        self.unknown_idf = math.log(n + 1) + 1.0
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, bag in enumerate(bags):
            # Sublinear term frequency: ten phrasings sharing a word is not ten times the evidence.
            weights = {t: self._tf(c) * self.idf[t] for t, c in bag.items()}
            length = math.sqrt(sum(w * w for w in weights.values())) or 1.0
            for t, w in weights.items():
                self.postings[t].append((i, w / length))
        # Each phrasing as a unit vector, for the phrasing-level cosine of the candidates.
        self.row_vectors = [self._unit(self._weigh(c)) for c in row_tokens]

    @staticmethod
    def _tf(count: float) -> float:
        # Sublinear: ten phrasings sharing a word is not ten times the evidence.
        return 1.0 + math.log(count)

    def _weigh(self, counts: Mapping[str, float]) -> dict[str, float]:
        return {t: self._tf(c) * self.idf.get(t, self.unknown_idf) for t, c in counts.items()}

    @staticmethod
    def _unit(weights: dict[str, float]) -> dict[str, float]:
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {t: w / norm for t, w in weights.items()}

    def _cosines(self, query: dict[str, float]) -> dict[int, float]:
        """Entry-level cosine of the unit query vector against every entry sharing a token."""
        acc: dict[int, float] = defaultdict(float)
        for t, qw in query.items():
            for i, ew in self.postings.get(t, ()):
                acc[i] += qw * ew
        return acc

    def rank(self, normalized: str, limit: int = 5) -> list[Scored]:
        """Entries by combined score, best first; empty when the question has no words."""
        toks = tokens(normalized)
        if not toks:
            return []
        query = self._unit(self._weigh(Counter(toks)))
        cosines = self._cosines(query)
        top = sorted(cosines, key=cosines.__getitem__, reverse=True)[:CANDIDATES]
        rows = [r for i in top for r in self.entry_phrasings[i]]
        best_cos: dict[int, float] = defaultdict(float)
        for r in rows:
            vec = self.row_vectors[r]
            c = sum(w * vec.get(t, 0.0) for t, w in query.items())
            i = self.phrasing_entry[r]
            best_cos[i] = max(best_cos[i], c)
        best_fuzz: dict[int, float] = defaultdict(float)
        # One C++ call over the candidates' pre-normalized phrasings.
        matches = process.extract(
            normalized,
            [self.phrasings[r] for r in rows],
            scorer=fuzz.ratio,
            processor=None,
            score_cutoff=FUZZ_CUTOFF,
            limit=None,
        )
        for _, score, pos in matches:
            i = self.phrasing_entry[rows[pos]]
            best_fuzz[i] = max(best_fuzz[i], score)
        scored = []
        for i in top:
            ecos, pcos, fz = 100.0 * cosines[i], 100.0 * best_cos[i], best_fuzz[i]
            combined = (
                ENTRY_COSINE_WEIGHT * ecos
                + PHRASING_COSINE_WEIGHT * pcos
                + PHRASING_FUZZ_WEIGHT * fz
            )
            scored.append(
                Scored(
                    self.entry_ids[i],
                    round(combined, 2),
                    round(ecos, 2),
                    round(pcos, 2),
                    round(fz, 2),
                )
            )
        scored.sort(key=lambda s: s.score, reverse=True)
        return scored[:limit]

"""Gather evidence of how well each FAQ entry fits a normalized question.

Pure: an `Index` is built once per knowledge base (all phrasings normalized, tokenized and
segmented at load); `Index.evidence` is then a few posting-list walks and one rapidfuzz call.

Kinds of evidence, because each fails where another holds:
- **Bag of character n-grams, IDF-weighted cosine** against everything an entry says it
  answers (all phrasings and keywords together). Copes with paraphrase, typos and word
  order; words the FAQ never uses pull it down, which rejects off-topic questions.
- **The same cosine against the single closest phrasing**: a question that is one phrasing
  reworded, versus one that only shares the topic's words.
- **rapidfuzz ratio to the single closest phrasing**: near-copies and typos.
- **BM25 over words** (rjieba; stemmed English) of the entry's phrasings and keywords:
  finds answers the n-grams miss when a long question buries the few words that matter.
- **Coverage**: the IDF-weighted share of the question's content words that the entry
  (phrasings, keywords or answers) uses at all. A question about one disease's rate is not
  answered by the overall rate: 乳腺癌 is a word that entry never says.

The structures are flat arrays of ids and float32 weights (an inverted index of token ids
to postings), not a dict per phrasing: a 10,000-entry FAQ fits in tens of megabytes.
"""

from __future__ import annotations

import heapq
import math
from array import array
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.core.kb import KnowledgeBase
from bot.core.normalize import tokens
from bot.core.words import words

# Keywords count this many times over a phrasing's words: an admin listed them as evidence.
KEYWORD_BOOST = 2.0
# How many entries by each first-pass score (n-gram cosine, BM25) get the costlier
# phrasing-level comparisons.
CANDIDATES = 10
# rapidfuzz scores below this are treated as no resemblance at all.
FUZZ_CUTOFF = 30.0
# BM25's usual constants: term-frequency saturation and document-length normalization.
BM25_K1 = 1.2
BM25_B = 0.75
# Weights of the first-pass score that orders candidates and measures the margin to the
# runner-up; the calibrated confidence (confidence.py) makes the decision.
PRESCORE_WEIGHTS = (0.3, 0.2, 0.2, 0.3)  # entry cosine, phrasing cosine, fuzzy, BM25


@dataclass(frozen=True)
class Evidence:
    """What the index knows about one candidate entry, each on 0..1."""

    entry: int  # position in the KB's entries
    cosine: float  # entry-level n-gram cosine
    phrasing: float  # best phrasing-level n-gram cosine
    fuzzy: float  # best rapidfuzz ratio against one phrasing, /100
    bm25: float  # word BM25, divided by what the question's words could score at most
    coverage: float  # IDF-weighted share of the question's words the entry uses

    @property
    def prescore(self) -> float:
        a, b, c, d = PRESCORE_WEIGHTS
        return a * self.cosine + b * self.phrasing + c * self.fuzzy + d * self.bm25


class _Vocab:
    """String -> dense id, so postings and vectors hold 4-byte ints, not strings."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def id(self, token: str) -> int:
        i = self.ids.get(token)
        if i is None:
            i = self.ids[token] = len(self.ids)
        return i


class Index:
    """Everything about the KB's phrasings that can be computed once."""

    def __init__(self, kb: KnowledgeBase, normalizer: Callable[[str], str]) -> None:
        self.normalizer = normalizer
        self.entry_ids = [e.id for e in kb.entries]
        n = len(kb.entries)
        # Synthetic or templated FAQs repeat keywords and answers: prepare each text once.
        norm_cache: dict[str, str] = {}
        words_cache: dict[str, list[str]] = {}

        def norm(text: str) -> str:
            out = norm_cache.get(text)
            if out is None:
                out = norm_cache[text] = normalizer(text)
            return out

        def words_of(text: str) -> list[str]:
            out = words_cache.get(text)
            if out is None:
                out = words_cache[text] = words(norm(text))
            return out

        chars, wvocab = _Vocab(), _Vocab()
        # Per-entry bags, kept as (ids, counts) arrays until the IDFs are known.
        entry_bags: list[tuple[array[int], array[float]]] = []
        entry_words: list[tuple[array[int], array[float]]] = []
        entry_len: list[float] = []
        self.cover: list[array[int]] = []  # sorted word ids each entry uses anywhere
        self.phrasings: list[str] = []
        self.phrasing_entry = array("i")
        self.entry_rows: list[tuple[int, int]] = []  # [start, end) of its rows
        row_counts: list[Counter[int]] = []
        for i, entry in enumerate(kb.entries):
            bag: defaultdict[int, float] = defaultdict(float)
            wbag: defaultdict[int, float] = defaultdict(float)
            start = len(self.phrasings)
            for lang_phrasings in entry.questions.values():
                for q in lang_phrasings:
                    text = norm(q)
                    if not text:
                        continue
                    tok_ids = [chars.id(tok) for tok in tokens(text)]
                    for t in set(tok_ids):
                        bag[t] += 1.0
                    row_counts.append(Counter(tok_ids))
                    self.phrasings.append(text)
                    self.phrasing_entry.append(i)
                    for w in words_of(q):
                        wbag[wvocab.id(w)] += 1.0
            for kw in entry.keywords:
                for tok in set(tokens(norm(kw))):
                    bag[chars.id(tok)] += KEYWORD_BOOST
                for w in words_of(kw):
                    wbag[wvocab.id(w)] += KEYWORD_BOOST
            self.entry_rows.append((start, len(self.phrasings)))
            entry_bags.append((array("i", bag.keys()), array("f", bag.values())))
            entry_words.append((array("i", wbag.keys()), array("f", wbag.values())))
            entry_len.append(sum(wbag.values()))
            used = set(wbag)
            for v in entry.variants:
                for answer in v.answer.values():
                    used.update(wvocab.id(w) for w in words_of(answer))
            self.cover.append(array("i", sorted(used)))
        self.phrasing_entry_list = self.phrasing_entry.tolist()

        self.char_ids = chars.ids
        self.word_ids = wvocab.ids
        # --- character n-grams: IDF, entry postings, phrasing vectors
        df = [0] * len(chars.ids)
        for bag_ids, _ in entry_bags:
            for t in bag_ids:
                df[t] += 1
        self.idf = array("f", (math.log((n + 1) / (c + 1)) + 1.0 for c in df))
        # A token the FAQ never uses is as informative as the rarest one: counting it in
        # the question's norm is what lowers the score of off-topic questions.
        self.unknown_idf = math.log(n + 1) + 1.0
        self.post_ids: list[array[int]] = [array("i") for _ in df]
        self.post_w: list[array[float]] = [array("f") for _ in df]
        for i, (bag_ids, bag_counts) in enumerate(entry_bags):
            # Sublinear term frequency: ten phrasings sharing a word is not ten times the
            # evidence.
            ws = [
                (1.0 + math.log(c)) * self.idf[t]
                for t, c in zip(bag_ids, bag_counts, strict=True)
            ]
            length = math.sqrt(sum(x * x for x in ws)) or 1.0
            for t, x in zip(bag_ids, ws, strict=True):
                self.post_ids[t].append(i)
                self.post_w[t].append(x / length)
        self.row_start = array("i", [0])
        self.row_tok = array("i")
        self.row_w = array("f")
        for counts_ in row_counts:
            ws = [(1.0 + math.log(c)) * self.idf[t] for t, c in counts_.items()]
            length = math.sqrt(sum(w * w for w in ws)) or 1.0
            self.row_tok.extend(counts_.keys())
            self.row_w.extend(w / length for w in ws)
            self.row_start.append(len(self.row_tok))
        # --- words: BM25 postings and IDF
        wdf = [0] * len(wvocab.ids)
        for bag_ids, _ in entry_words:
            for t in bag_ids:
                wdf[t] += 1
        # Words only an answer uses get df 0: known to coverage, but no BM25 evidence.
        self.widf = array("f", (math.log(1.0 + (n - c + 0.5) / (c + 0.5)) for c in wdf))
        self.unknown_widf = math.log(1.0 + (n + 0.5) / 0.5)
        avg_len = (sum(entry_len) / n) if n else 1.0
        self.wpost_ids: list[array[int]] = [array("i") for _ in wdf]
        self.wpost_w: list[array[float]] = [array("f") for _ in wdf]
        for i, (bag_ids, bag_counts) in enumerate(entry_words):
            norm_len = BM25_K1 * (1 - BM25_B + BM25_B * entry_len[i] / (avg_len or 1.0))
            for t, tf in zip(bag_ids, bag_counts, strict=True):
                self.wpost_ids[t].append(i)
                self.wpost_w[t].append(self.widf[t] * tf * (BM25_K1 + 1) / (tf + norm_len))

    # ------------------------------------------------------------------ query side

    def _query_chars(self, normalized: str) -> dict[int, float]:
        """Unit query vector over known token ids; unknown tokens only lengthen it."""
        counts = Counter(tokens(normalized))
        weights: dict[int, float] = {}
        sq = 0.0
        for tok, c in counts.items():
            t = self.char_ids.get(tok)
            w = (1.0 + math.log(c)) * (self.idf[t] if t is not None else self.unknown_idf)
            sq += w * w
            if t is not None:
                weights[t] = w
        length = math.sqrt(sq) or 1.0
        return {t: w / length for t, w in weights.items()}

    def _accumulate(
        self, query: Iterable[tuple[int, float]], ids: list[array[int]], ws: list[array[float]]
    ) -> list[float]:
        acc = [0.0] * len(self.entry_ids)
        for t, qw in query:
            for i, w in zip(ids[t], ws[t], strict=True):
                acc[i] += qw * w
        return acc

    def _word_idf(self, w: str) -> float:
        t = self.word_ids.get(w)
        return self.widf[t] if t is not None else self.unknown_widf

    def evidence(self, normalized: str) -> list[Evidence]:
        """The candidate entries with their evidence, best first-pass score first."""
        if not normalized:
            return []
        query = self._query_chars(normalized)
        qwords = set(words(normalized))
        if not query and not qwords:
            return []
        cos = self._accumulate(query.items(), self.post_ids, self.post_w)
        known = [(self.word_ids[w], 1.0) for w in qwords if w in self.word_ids]
        bm = self._accumulate(known, self.wpost_ids, self.wpost_w)
        qidf = {w: self._word_idf(w) for w in qwords}
        bm_max = sum(qidf.values()) * (BM25_K1 + 1) or 1.0
        n = len(self.entry_ids)
        top = set(heapq.nlargest(CANDIDATES, range(n), key=cos.__getitem__))
        top.update(heapq.nlargest(CANDIDATES, range(n), key=bm.__getitem__))
        top = {i for i in top if cos[i] > 0 or bm[i] > 0}
        if not top:
            return []
        best_cos: dict[int, float] = dict.fromkeys(top, 0.0)
        best_fuzz: dict[int, float] = dict.fromkeys(top, 0.0)
        rows = [r for i in sorted(top) for r in range(*self.entry_rows[i])]
        qget = query.get
        for r in rows:
            a, b = self.row_start[r], self.row_start[r + 1]
            c = sum(
                qget(t, 0.0) * w
                for t, w in zip(self.row_tok[a:b], self.row_w[a:b], strict=True)
            )
            i = self.phrasing_entry_list[r]
            if c > best_cos[i]:
                best_cos[i] = c
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
            i = self.phrasing_entry_list[rows[pos]]
            best_fuzz[i] = max(best_fuzz[i], score / 100.0)
        out = []
        for i in top:
            out.append(
                Evidence(
                    entry=i,
                    cosine=min(1.0, cos[i]),
                    phrasing=min(1.0, best_cos[i]),
                    fuzzy=best_fuzz[i],
                    bm25=min(1.0, bm[i] / bm_max),
                    coverage=self.coverage(i, qidf),
                )
            )
        out.sort(key=lambda e: e.prescore, reverse=True)
        return out

    def query_words(self, normalized: str) -> dict[str, float]:
        """The question's content words with their IDF (unknown words: the highest)."""
        return {w: self._word_idf(w) for w in set(words(normalized))}

    def coverage(self, entry: int, qidf: dict[str, float]) -> float:
        """IDF-weighted share of the question's words that the entry uses anywhere."""
        total = sum(qidf.values())
        if not total:
            return 0.0
        cover = self.cover[entry]
        covered = 0.0
        for w, idf in qidf.items():
            t = self.word_ids.get(w)
            if t is not None:
                k = bisect_left(cover, t)
                if k < len(cover) and cover[k] == t:
                    covered += idf
        return covered / total

    def query_size(self, normalized: str) -> int:
        """How many content words the question has (a feature: short questions are risky)."""
        return len(set(words(normalized)))

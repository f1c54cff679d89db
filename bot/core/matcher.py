"""Gather evidence of how well each FAQ entry fits a normalized question.

Pure: an `Index` is built once per knowledge base (all phrasings normalized, tokenized and
segmented at load; its arrays by index_build.py, or for a large FAQ index_build_np.py);
`Index.evidence` is then a few posting-list walks and one rapidfuzz call.
What only a question's few candidate entries need (each phrasing's own vector, the set of
words an entry uses) is made per entry on first use and kept; a FAQ of up to
EAGER_ENTRIES makes it for every entry at build.

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

import gc
import heapq
import math
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import accumulate, compress, count, repeat
from operator import mul, sub, truediv

from rapidfuzz import fuzz, process

from bot.core.asks import asks
from bot.core.index_build import (
    BM25_K1,
    PLAIN,
    Build,
    Prepare,
    Prepared,
    per_posting,
    prepare_many,
    tf_table,
    vector_length,
    word_bags,
)
from bot.core.kb import KnowledgeBase
from bot.core.normalize import tokens
from bot.core.words import words

# How many entries by each first-pass score (n-gram cosine, BM25) get the costlier
# phrasing-level comparisons. Out of fold 3 and 4 are alike (right 0.888 / 0.885, wrong
# 0.010 both, at the same thresholds) and 3 answers a long question 20% sooner.
CANDIDATES = 3
# rapidfuzz scores below this are treated as no resemblance at all.
FUZZ_CUTOFF = 30.0
# Weights of the first-pass score that orders candidates and measures the margin to the
# runner-up; the calibrated confidence (confidence.py) makes the decision.
PRESCORE_WEIGHTS = (0.3, 0.2, 0.2, 0.3)  # entry cosine, phrasing cosine, fuzzy, BM25
# Postings read per question and kind of evidence before the commonest tokens are left to
# the candidates' second pass: the real FAQ's questions need at most half of it; a
# 10,000-entry FAQ's 医 (thousands of entries) does not fit. On the synthetic FAQs 3,000
# ranks as well as 6,000 (top-1 0.982 at 1,000 entries, 0.968 at 10,000) and answers
# sooner (p99 6.5 -> 5.7 ms and 11.3 -> 9.9 ms); 2,000 starts to lose top-1.
POSTINGS_BUDGET = 3000
# A FAQ of at least this many phrasings (after preparing: empty ones are no rows) has its
# index built with numpy (index_build_np.py): the same arrays, several times sooner. Its
# import (60-110 ms, 14 MB) is repaid from about 3,500 phrasings on (200 synthetic entries:
# 0.22 s either way); from 10,000 it is a third of the build (600 entries, 10,234
# phrasings: 0.63 -> 0.43 s, the import included), and the real FAQ (1,875) is far below.
NUMPY_BUILD = 10_000
# A question of at most this many words, each used by at least this share of the FAQ's
# entries, names a topic rather than asks a question (医保, 异地就医, 备案: 7% and more of
# the real FAQ's entries use each; the rarer words of a real question, 乳腺癌 or 签约, none).
BROAD_MAX_WORDS = 2
BROAD_SHARE = 0.05
# Up to this many entries (and known out-of-scope topics), what a question's candidates
# need is made for every entry at build instead of on first use: a 1,000-entry FAQ's
# first questions then answer as fast as later ones (p99 5.5 -> 3.5 ms) for 0.4 s more
# build, and the real FAQ's p99 goes from 2.0 to 1.7 ms for 37 ms more start-up. A larger
# FAQ keeps it lazy, so that its build stays small.
EAGER_ENTRIES = 2000


@dataclass(frozen=True)
class Evidence:
    """What the index knows about one candidate entry, each on 0..1."""

    entry: int  # position in the KB's entries
    cosine: float  # entry-level n-gram cosine
    phrasing: float  # best phrasing-level n-gram cosine
    fuzzy: float  # best rapidfuzz ratio against one phrasing, /100
    bm25: float  # word BM25, divided by what the question's words could score at most
    coverage: float  # IDF-weighted share of the question's words the entry uses
    # The first-pass score, worked out once: the engine reads it dozens of times a question.
    prescore: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        a, b, c, d = PRESCORE_WEIGHTS
        score = a * self.cosine + b * self.phrasing + c * self.fuzzy + d * self.bm25
        object.__setattr__(self, "prescore", score)  # frozen: set once, here


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: building a large index creates millions of
    long-lived objects (no cycles among them), and each collection would walk them all
    again (a third of a 10,000-entry build)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _unit_rows(
    starts: array[int], toks: array[int], counts: array[int], idf: array[float]
) -> array[float]:
    """Each phrasing's tf-idf vector divided by its length, for consecutive rows (those of
    one entry: `starts` are offsets into `toks` and `counts`)."""
    tf = tf_table(max(counts, default=0))
    out = array("f", map(mul, map(tf.__getitem__, counts), map(idf.__getitem__, toks)))
    lengths = list(map(vector_length, map(out.__getitem__, map(slice, starts, starts[1:]))))
    return array("f", map(truediv, out, per_posting(lengths, starts)))


def _build_for(phrasings: int) -> Build:
    """How a FAQ of this many phrasings is indexed: in plain Python, or (a large one) with
    numpy, imported only then: a small FAQ's start-up does not pay for it."""
    if phrasings < NUMPY_BUILD:
        return PLAIN
    from bot.core import index_build_np

    return index_build_np.BUILD


class Index:
    """Everything about the KB's phrasings that can be computed once."""

    def __init__(self, kb: KnowledgeBase, prepare: Prepare) -> None:
        with _no_gc():
            self._build(kb, prepare)

    def _build(self, kb: KnowledgeBase, prepare: Prepare) -> None:
        self.normalizer = prepare
        self._recent_words: dict[str, frozenset[str]] = {}
        # The entries, then the known out-of-scope topics: indexed alike, so that a
        # question closer to one of those than to any entry is seen to be one of those.
        entries = (*kb.entries, *kb.declines)
        self.answerable = len(kb.entries)  # positions from here on are declines
        self.entry_ids = [e.id for e in entries]
        n = len(entries)

        # Every phrasing of every entry, prepared in one batch; those left empty are no
        # rows.
        raw: list[str] = []
        owner = array("i")
        for i, entry in enumerate(entries):
            for lang_phrasings in entry.questions.values():
                raw.extend(lang_phrasings)
                owner.extend(repeat(i, len(lang_phrasings)))
        prepared = prepare_many(prepare, raw)
        del raw
        self.phrasings: list[str] = list(filter(None, prepared))
        self.phrasing_entry = array("i", compress(owner, prepared))
        del owner, prepared
        per_entry = Counter(self.phrasing_entry)
        ends = list(accumulate(map(per_entry.get, range(n), repeat(0))))
        # [start, end) of each entry's rows
        self.entry_rows: list[tuple[int, int]] = list(zip([0, *ends[:-1]], ends, strict=True))
        del per_entry, ends

        # Keywords repeat across entries (templated FAQs): each is prepared once.
        keywords = Prepared(prepare, (kw for e in entries for kw in e.keywords))
        build = _build_for(len(self.phrasings))

        # --- character n-grams: IDF, entry postings, phrasing rows
        chars = build.chars(entries, self.phrasings, self.entry_rows, keywords)
        self.char_ids = chars.ids
        self.idf = chars.idf
        self.post_off, self.post_ids, self.post_w = chars.post_off, chars.post_ids, chars.post_w
        self.row_start, self.row_tok = chars.row_start, chars.row_tok
        self._row_repeats = chars.row_repeats
        del chars
        # A token the FAQ never uses is as informative as the rarest one: counting it in
        # the question's norm is what lowers the score of off-topic questions.
        self.unknown_idf = math.log(n + 1) + 1.0
        # Phrasing vectors are read only for a question's few candidate entries: a large
        # FAQ's are weighted on first use (`_row_weights`), not all at build.
        self._row_w: dict[int, array[float]] = {}
        self._row_order: dict[int, tuple[array[int], array[int]]] = {}
        # Per entry, on first use: the share of its phrasings asking each kind of answer.
        self._asks: dict[int, dict[str, float]] = {}

        # --- words: BM25 postings and IDF (after the n-grams: the two sides' ids are
        # their own, and the one side's big arrays are let go before the other's)
        word_ids: defaultdict[str, int] = defaultdict(count().__next__)
        wid = word_ids.__getitem__
        bags, self.variant_words = word_bags(
            entries, self.phrasings, self.entry_rows, keywords, prepare, wid, build.counter(wid)
        )
        keywords.clear()
        # From here on a look-up must not add the question's words.
        word_ids.default_factory = None
        self.word_ids: dict[str, int] = word_ids
        words_ = build.words(bags, len(word_ids))
        del bags
        self.widf = words_.idf
        self.wpost_off, self.wpost_ids, self.wpost_w = (
            words_.post_off,
            words_.post_ids,
            words_.post_w,
        )
        self.unknown_widf = math.log(1.0 + (n + 0.5) / 0.5)
        # Which words each entry uses anywhere (`_cover`) is read for a question's few
        # candidates only: kept as the bags' word ids, sorted on first use.
        self._word_tok, self._word_bounds = words_.tok, words_.bounds
        self._covers: dict[int, array[int]] = {}
        if n <= EAGER_ENTRIES:
            self._prepare_candidates(range(n))

    def _prepare_candidates(self, entries: range) -> None:
        """Make now what the entries would otherwise make the first time they are a
        question's candidates. The phrasing weights in one pass over all their rows:
        the same numbers `_row_weights` makes entry by entry (each row is weighted on
        its own), at a third of the time."""
        weights = self._weigh_rows(0, len(self.phrasings))
        a = self.row_start[0]
        for i in entries:
            r0, r1 = self.entry_rows[i]
            self._row_w[i] = weights[self.row_start[r0] - a : self.row_start[r1] - a]
            self._row_lookup(i)
            self.entry_asks(i)
            self._cover(i)

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

    def _first_pass(
        self,
        query: dict[int, float],
        off: array[int],
        ids: array[int],
        ws: array[float],
    ) -> tuple[list[float], set[int], list[int]]:
        """Partial scores from the rarer query tokens (a dense list over entries), the
        entries they touch, and the tokens left out.

        Tokens are walked rarest first until POSTINGS_BUDGET postings have been read: in a
        large FAQ a token used by thousands of entries (医, 报销) costs the most and tells
        the least about which entry is meant. The tokens left out are added back exactly
        for the candidates only (`_complete`). In the real FAQ every token fits."""
        acc = [0.0] * len(self.entry_ids)
        touched: set[int] = set()
        skipped: list[int] = []
        sizes = {t: off[t + 1] - off[t] for t in query}
        if sum(sizes.values()) <= POSTINGS_BUDGET:
            order: Iterable[int] = query  # all of them: no need to rank
        else:
            order = sorted(query, key=sizes.__getitem__)
        walked = 0
        for t in order:
            a, size = off[t], sizes[t]
            if walked and walked + size > POSTINGS_BUDGET:
                skipped.append(t)
                continue
            walked += size
            qw = query[t]
            hit = ids[a : a + size]
            touched.update(hit)
            # (Not strict: the two slices are one range; the check costs per posting.)
            for i, w in zip(hit, ws[a : a + size]):  # noqa: B905
                acc[i] += qw * w
        return acc, touched, skipped

    @staticmethod
    def _complete(
        acc: list[float],
        candidates: Iterable[int],
        skipped: list[int],
        query: dict[int, float],
        off: array[int],
        ids: array[int],
        ws: array[float],
    ) -> None:
        """Add the skipped tokens' contributions to the candidates' scores (binary search
        in each posting list, which is sorted by entry)."""
        for t in skipped:
            a, b = off[t], off[t + 1]
            qw = query[t]
            for i in candidates:
                k = bisect_left(ids, i, a, b)
                if k < b and ids[k] == i:
                    acc[i] += qw * ws[k]

    def _best_phrasing(self, entry: int, query: dict[int, float]) -> float:
        """The n-gram cosine of the entry's closest phrasing: a running sum of query weight
        x row weight along the entry's block of row tokens, then each phrasing's dot product
        is the difference of the running sum at its two ends.

        Only the block's positions holding a query token are summed, found by looking the
        query's few tokens up in the block sorted by token (`_row_lookup`) rather than by
        reading the whole block: a position the query lacks adds exactly 0.0, which leaves
        a float sum as it was, so the running sum at a row's end is bit for bit the same."""
        r0, r1 = self.entry_rows[entry]
        if r0 == r1:
            return 0.0
        order, by_token = self._row_lookup(entry)
        hits: list[int] = []
        n = len(by_token)
        for t in query:
            lo = bisect_left(by_token, t)
            if lo < n and by_token[lo] == t:
                hits.extend(order[lo : bisect_right(by_token, t, lo)])
        if not hits:
            return 0.0
        hits.sort()
        bounds = self.row_start[r0 : r1 + 1]
        a = bounds[0]
        tok = self.row_tok
        weights = self._row_weights(entry)
        # A plain loop: faster than a chain of maps for the few dozen hits.
        s = 0.0
        cum = [s]
        for k in hits:
            s += query[tok[a + k]] * weights[k]
            cum.append(s)
        # The running sum at each row boundary: that of the hits before it.
        at = list(map(cum.__getitem__, map(bisect_left, repeat(hits), map(sub, bounds, repeat(a)))))
        return max(map(sub, at[1:], at[:-1]))

    def _row_lookup(self, entry: int) -> tuple[array[int], array[int]]:
        """The entry's block of row tokens sorted by token: the positions (from the block's
        start), and the token at each, for a binary search per query token. Made on first
        use, like the weights: a few kilobytes for each entry ever a candidate."""
        out = self._row_order.get(entry)
        if out is None:
            r0, r1 = self.entry_rows[entry]
            block = self.row_tok[self.row_start[r0] : self.row_start[r1]]
            order = array("i", sorted(range(len(block)), key=block.__getitem__))
            out = self._row_order[entry] = order, array("i", map(block.__getitem__, order))
        return out

    def _row_weights(self, entry: int) -> array[float]:
        """The unit tf-idf weights of the entry's phrasings, beside their row tokens."""
        out = self._row_w.get(entry)
        if out is None:
            out = self._row_w[entry] = self._weigh_rows(*self.entry_rows[entry])
        return out

    def _weigh_rows(self, r0: int, r1: int) -> array[float]:
        """The unit tf-idf weights of rows r0..r1, beside their row tokens."""
        bounds = self.row_start[r0 : r1 + 1]
        a, b = bounds[0], bounds[-1]
        counts = array("i", repeat(1, b - a))
        for r in compress(range(r0, r1), self._row_repeats[r0:r1]):
            # Counted in order of first use, as the row's tokens are.
            repeated = Counter(tokens(self.phrasings[r])).values()
            counts[bounds[r - r0] - a : bounds[r - r0 + 1] - a] = array("i", repeated)
        starts = array("i", map(sub, bounds, repeat(a)))
        return _unit_rows(starts, self.row_tok[a:b], counts, self.idf)

    def _word_idf(self, w: str) -> float:
        t = self.word_ids.get(w)
        return self.widf[t] if t is not None else self.unknown_widf

    def evidence(self, normalized: str) -> list[Evidence]:
        """The candidate entries with their evidence, best first-pass score first."""
        if not normalized:
            return []
        query = self._query_chars(normalized)
        qwords = self._words(normalized)
        if not query and not qwords:
            return []
        cos, ctouched, cskip = self._first_pass(
            query, self.post_off, self.post_ids, self.post_w
        )
        wquery = {self.word_ids[w]: 1.0 for w in qwords if w in self.word_ids}
        bm, wtouched, wskip = self._first_pass(
            wquery, self.wpost_off, self.wpost_ids, self.wpost_w
        )
        top = set(heapq.nlargest(CANDIDATES, ctouched, key=cos.__getitem__))
        top.update(heapq.nlargest(CANDIDATES, wtouched, key=bm.__getitem__))
        if not top:
            return []
        if cskip:
            self._complete(cos, top, cskip, query, self.post_off, self.post_ids, self.post_w)
        if wskip:
            self._complete(bm, top, wskip, wquery, self.wpost_off, self.wpost_ids, self.wpost_w)
        qidf = {w: self._word_idf(w) for w in qwords}
        bm_max = sum(qidf.values()) * (BM25_K1 + 1) or 1.0
        best_cos: dict[int, float] = dict.fromkeys(top, 0.0)
        best_fuzz: dict[int, float] = dict.fromkeys(top, 0.0)
        rows = [r for i in sorted(top) for r in range(*self.entry_rows[i])]
        for i in top:
            best_cos[i] = self._best_phrasing(i, query)
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
            best_fuzz[i] = max(best_fuzz[i], score / 100.0)
        cover = self.coverages(top, qidf)
        out = [
            Evidence(
                entry=i,
                cosine=min(1.0, cos[i]),
                phrasing=min(1.0, best_cos[i]),
                fuzzy=best_fuzz[i],
                bm25=min(1.0, bm[i] / bm_max),
                coverage=cover[i],
            )
            for i in top
        ]
        out.sort(key=lambda e: e.prescore, reverse=True)
        return out

    def entry_asks(self, entry: int) -> dict[str, float]:
        """The share of the entry's phrasings asking each kind of answer (asks.py)."""
        out = self._asks.get(entry)
        if out is None:
            r0, r1 = self.entry_rows[entry]
            kinds = Counter(k for text in self.phrasings[r0:r1] for k in asks(text))
            out = self._asks[entry] = {k: c / (r1 - r0) for k, c in kinds.items()}
        return out

    def is_decline(self, entry: int) -> bool:
        """Whether position `entry` is a known out-of-scope topic, not an entry."""
        return entry >= self.answerable

    def query_words(self, normalized: str) -> dict[str, float]:
        """The question's content words with their IDF (unknown words: the highest)."""
        return {w: self._word_idf(w) for w in self._words(normalized)}

    def coverage(self, entry: int, qidf: dict[str, float]) -> float:
        """IDF-weighted share of the question's words that the entry uses anywhere."""
        return self.coverages((entry,), qidf)[entry]

    def said(self, entry: int, variants: Iterable[int], qidf: dict[str, float]) -> float:
        """IDF-weighted share of the question's words that the answers of the given
        variants (positions in the entry's variants) use: whether the answer that would be
        shown talks about what is asked, for the place asked about."""
        total = sum(qidf.values())
        if not total:
            return 0.0
        arrays = [self.variant_words[entry][k] for k in variants]
        covered = 0.0
        get = self.word_ids.get
        for w, idf in qidf.items():
            t = get(w)
            if t is None:
                continue
            for arr in arrays:
                k = bisect_left(arr, t)
                if k < len(arr) and arr[k] == t:
                    covered += idf
                    break
        return covered / total

    def coverages(self, entries: Iterable[int], qidf: dict[str, float]) -> dict[int, float]:
        """`coverage` of several entries, looking the question's words up once."""
        total = sum(qidf.values())
        if not total:
            return dict.fromkeys(entries, 0.0)
        get = self.word_ids.get
        known = [(t, idf) for t, idf in ((get(w), idf) for w, idf in qidf.items()) if t is not None]
        out: dict[int, float] = {}
        for i in entries:
            cover = self._cover(i)
            n = len(cover)
            covered = 0.0
            for t, idf in known:
                k = bisect_left(cover, t)
                if k < n and cover[k] == t:
                    covered += idf
            out[i] = covered / total
        return out

    def _cover(self, entry: int) -> array[int]:
        """The sorted word ids the entry uses anywhere: phrasings, keywords, answers."""
        out = self._covers.get(entry)
        if out is None:
            words_ = self._word_tok[self._word_bounds[entry] : self._word_bounds[entry + 1]]
            used = set(words_).union(*self.variant_words[entry])
            out = self._covers[entry] = array("i", sorted(used))
        return out

    def is_broad(self, normalized: str) -> bool:
        """Whether the question is only one or two words that many entries use (医保,
        异地就医, 报销): a domain or a topic named, not a question asked."""
        ws = self._words(normalized)
        if not 0 < len(ws) <= BROAD_MAX_WORDS:
            return False
        least = BROAD_SHARE * len(self.entry_ids)
        for w in ws:
            t = self.word_ids.get(w)
            if t is None or self.wpost_off[t + 1] - self.wpost_off[t] < least:
                return False
        return True

    def query_size(self, normalized: str) -> int:
        """How many content words the question has (a feature: short questions are risky)."""
        return len(self._words(normalized))

    def _words(self, normalized: str) -> frozenset[str]:
        # A question's words are asked for three times (evidence, size, coverage of the
        # whole): segment it once. The cache is this index's own: a reloaded FAQ may have
        # taught the segmenter new words.
        out = self._recent_words.get(normalized)
        if out is None:
            if len(self._recent_words) >= 64:
                self._recent_words.clear()
            out = self._recent_words[normalized] = frozenset(words(normalized))
        return out

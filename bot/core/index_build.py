"""An index's flat arrays, built once from a FAQ's entries.

Pure. Two sides (`matcher.Index` reads both per question):
- **character n-grams**: each phrasing's distinct n-grams (the rows, weighted per entry on
  first use), and each entry's bag of them (its phrasings', each counted once per phrasing,
  and its keywords'), tf-idf weighted and unit length, laid out as postings by n-gram;
- **words**: each entry's bag of words (segmented phrasings, keywords), BM25 weighted, laid
  out as postings by word; and the words each variant's answer uses.

Built in plain Python here; a large FAQ's with numpy (`index_build_np`, imported only then),
which gives the same arrays bit for bit. Ids are given in order of first use.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import accumulate, chain, count, repeat
from operator import add, itemgetter, mul, ne, sub, truediv
from typing import NamedTuple, Protocol, TypeVar

from bot.core.kb import Entry
from bot.core.normalize import tokens
from bot.core.words import content, pieces, words

# Keywords count this many times over a phrasing's words: an admin listed them as evidence.
KEYWORD_BOOST = 2
# BM25's usual constants: term-frequency saturation and document-length normalization.
BM25_K1 = 1.2
BM25_B = 0.75
# Phrasings prepared per batch at build (`prepare_many`).
PREPARE_BATCH = 4096
# An n-gram vocabulary larger than this is kept compact (`Vocabulary`); a smaller one (the
# real FAQ's, tens of thousands) stays a dict, the fastest look-up.
COMPACT_VOCABULARY = 100_000


_N = TypeVar("_N", int, float)


class Prepare(Protocol):
    """How the index's texts are made comparable (the engine's normalizer, place names
    removed): one at a time for questions, in one batch for a FAQ's phrasings."""

    def __call__(self, text: str) -> str: ...

    def many(self, texts: Sequence[str]) -> list[str]:
        """`[self(t) for t in texts]`, only faster."""
        ...


class _PieceIds(dict[str, tuple[int, ...]]):
    """Segmenter pieces to the ids of their content words (`words.content`), new words
    given the next id by `wid`."""

    def __init__(self, wid: Callable[[str], int]) -> None:
        super().__init__()
        self._wid = wid

    def __missing__(self, piece: str) -> tuple[int, ...]:
        out = self[piece] = tuple(map(self._wid, content(piece)))
        return out


class Vocabulary:
    """A large FAQ's n-gram ids, compact. A 10,000-entry FAQ has about 450,000 distinct
    Chinese bigrams: as dict keys, each a string object with its own int, 70 MB. Here the
    bigrams sharing a first character are one string of their second characters beside
    an array of their ids: 3 MB. Other tokens (characters, Latin words) stay a dict."""

    __slots__ = ("_bigrams", "_other", "_size")

    def __init__(self, ids: dict[str, int]) -> None:
        self._size = len(ids)
        self._other: dict[str, int] = {}
        # The bigrams by first character, with their ids (the strings themselves, not
        # their second characters: no new string object per bigram).
        groups: dict[str, tuple[list[str], array[int]]] = {}
        for token, i in ids.items():
            if len(token) == 2 and not token.isascii():  # `_is_bigram`, inline: 500,000 calls
                group = groups.get(token[0])
                if group is None:
                    group = groups[token[0]] = [], array("i")
                group[0].append(token)
                group[1].append(i)
            else:
                self._other[token] = i
        self._bigrams = {
            first: ("".join(map(itemgetter(1), same)), at) for first, (same, at) in groups.items()
        }

    @classmethod
    def of(
        cls, size: int, bigrams: dict[str, tuple[str, array[int]]], other: dict[str, int]
    ) -> Vocabulary:
        """One made of its parts, as `__init__` makes them from a dict (the numpy build
        makes them from its arrays, without the dict)."""
        out = cls.__new__(cls)
        out._size, out._bigrams, out._other = size, bigrams, other
        return out

    def get(self, token: str) -> int | None:
        """The token's id, or None for a token the FAQ never uses."""
        if not _is_bigram(token):
            return self._other.get(token)
        found = self._bigrams.get(token[0])
        if found is None:
            return None
        k = found[0].find(token[1])
        return found[1][k] if k >= 0 else None

    def __len__(self) -> int:
        return self._size


def _is_bigram(token: str) -> bool:
    """Whether an n-gram is two Chinese characters (Latin tokens are ASCII)."""
    return len(token) == 2 and not token.isascii()


def _offsets(toks: array[int], vocab_size: int) -> array[int]:
    """Where each token's postings go in a flat layout of every token's postings: token
    t's are at offsets[t]:offsets[t + 1].

    One array per kind instead of two array objects per token: a 10,000-entry FAQ has
    hundreds of thousands of distinct bigrams, most used once. The document frequencies
    are counted in an array, in one C-level pass (the maps are lazy and pulled in
    lockstep, so each element's read sees the previous element's write)."""
    df = array("i", bytes(4 * vocab_size))
    deque(map(df.__setitem__, toks, map(add, map(df.__getitem__, toks), repeat(1))), maxlen=0)
    offsets = array("i", [0])
    offsets.extend(accumulate(df))
    return offsets


def _scatter(
    out: array[_N], toks: array[int], offsets: array[int], values: Iterable[_N]
) -> array[_N]:
    """values[k] put at the next free slot of token toks[k] in `out` (laid out by
    `offsets`), so each token's postings keep the order of `toks` (the entries' bags one
    after another: by entry). A counting sort in one C-level pass: each token's cursor is
    a counter, stepped by `next`. (Its 500,000 counters are a moment's 27 MB, less than
    the array of every posting's place that they replace.)"""
    cursors = list(map(count, offsets[:-1]))
    deque(map(out.__setitem__, map(next, map(cursors.__getitem__, toks)), values), maxlen=0)
    return out


def entry_array(entries: int, size: int) -> array[int]:
    """A zeroed array of `size` entry positions: 16-bit while they fit (any FAQ under
    65,536 entries), half the memory of the postings' entry ids."""
    typecode = "H" if entries <= 1 << 16 else "i"
    return array(typecode, bytes(array(typecode).itemsize * size))


def _bags(flat: array[int], sizes: array[int]) -> Iterator[array[int]]:
    """Each entry's part of a flat per-entry array."""
    bounds = list(accumulate(sizes, initial=0))
    return map(flat.__getitem__, map(slice, bounds, bounds[1:]))


def _entries(sizes: array[int]) -> Iterator[int]:
    """Each entry's position, repeated along its bag."""
    return chain.from_iterable(map(repeat, count(), sizes))


def per_posting(values: Sequence[float], offsets: array[int]) -> Iterator[float]:
    """A per-token value repeated along that token's postings."""
    return chain.from_iterable(map(repeat, values, map(sub, offsets[1:], offsets)))


def prepare_many(prepare: Prepare, texts: list[str]) -> list[str]:
    """`prepare.many(texts)` a few thousand texts at a time: as fast, and a batch's
    joined copies stay a few megabytes, where a 10,000-entry FAQ's at once raise the
    process's peak by tens of megabytes that it does not give back."""
    out: list[str] = []
    for k in range(0, len(texts), PREPARE_BATCH):
        out += prepare.many(texts[k : k + PREPARE_BATCH])
    return out


def tf_table(top: int) -> list[float]:
    """1 + log(count) for every count up to `top` (the largest): looked up at C speed by
    `map` instead of computed by a Python function per token."""
    return [0.0, *(1.0 + math.log(c) for c in range(1, top + 1))]


def vector_length(ws: Sequence[float]) -> float:
    """A vector's Euclidean length (1 for an empty one), summed in the vector's order."""
    return math.sqrt(sum(map(mul, ws, ws))) or 1.0


class Prepared(dict[str, str]):
    """Keywords (or answers) to their prepared text, each prepared once: templated FAQs
    repeat them in thousands of entries."""

    def __init__(self, prepare: Prepare, texts: Iterable[str] = ()) -> None:
        """`texts`, those known to be wanted, are prepared at once in batches: a FAQ's
        thousands of them one call each would be a sixth of a small FAQ's build."""
        super().__init__()
        self._prepare = prepare
        distinct = list(dict.fromkeys(texts))
        self.update(zip(distinct, prepare_many(prepare, distinct), strict=True))

    def __missing__(self, text: str) -> str:
        out = self[text] = self._prepare(text)
        return out


class _KeywordIds:
    """The ids of a list of keywords, each keyword's KEYWORD_BOOST times over, worked out
    once per keyword (`ids_of`) and once per list: templated FAQs repeat whole lists."""

    def __init__(self, ids_of: Callable[[str], list[int]]) -> None:
        self._ids_of = ids_of
        self._one: dict[str, list[int]] = {}
        self._lists: dict[tuple[str, ...], list[int]] = {}

    def __call__(self, kws: tuple[str, ...]) -> list[int]:
        out = self._lists.get(kws)
        if out is None:
            out = self._lists[kws] = []
            for kw in kws:
                one = self._one.get(kw)
                if one is None:
                    one = self._one[kw] = self._ids_of(kw)
                out += one * KEYWORD_BOOST  # a keyword counts KEYWORD_BOOST times
        return out


def keyword_chars(keywords: Prepared, cid: Callable[[str], int]) -> _KeywordIds:
    """Keyword lists' n-gram ids: each keyword's distinct ones, in the order of their set
    (which is how they have always been added to an entry's bag). A keyword's n-grams are
    given ids when the keyword is first met, in the order of its tokens."""
    return _KeywordIds(lambda kw: list(set(map(cid, tokens(keywords[kw])))))


class WordBags(NamedTuple):
    """Each entry's bag of words (BM25's documents), entry after entry."""

    tok: array[int]  # each entry's distinct words, in order of first use
    counts: array[int]  # how many times the entry uses each
    sizes: array[int]  # how many distinct words each entry has
    lengths: array[int]  # how many words each entry has (BM25's document length)


class BagCounter(Protocol):
    """Counts each entry's words into its bag, entry after entry. A segmenter piece's
    words are given ids (in order of first use) when the piece is added."""

    def pieces(self, pieces: list[str]) -> None:
        """Adds the words of the entry's segmenter pieces."""

    def words(self, ids: list[int]) -> None:
        """Adds more of the entry's words (its keywords')."""

    def close(self) -> None:
        """The entry's bag is complete: the next words are the next entry's."""

    def bags(self) -> WordBags:
        """Every entry's bag."""
        ...


class _CounterBags:
    """`BagCounter` in plain Python: a `Counter` per entry."""

    def __init__(self, wid: Callable[[str], int]) -> None:
        # Each segmenter piece's word ids, worked out on its first use (in the order of
        # the words, as ids are given): a FAQ's million pieces are then one look-up each.
        self._piece_ids = _PieceIds(wid).__getitem__
        self._bag: Counter[int] = Counter()
        self._out = WordBags(array("i"), array("i"), array("i"), array("i"))

    def pieces(self, pieces: list[str]) -> None:
        self._bag.update(chain.from_iterable(map(self._piece_ids, pieces)))

    def words(self, ids: list[int]) -> None:
        self._bag.update(ids)

    def close(self) -> None:
        bag, out = self._bag, self._out
        out.tok.extend(bag.keys())
        out.counts.extend(bag.values())
        out.sizes.append(len(bag))
        out.lengths.append(sum(bag.values()))
        self._bag = Counter()

    def bags(self) -> WordBags:
        return self._out


def word_bags(
    entries: Sequence[Entry],
    phrasings: list[str],
    entry_rows: list[tuple[int, int]],
    keywords: Prepared,
    prepare: Prepare,
    wid: Callable[[str], int],
    counter: BagCounter,
) -> tuple[WordBags, list[list[array[int]]]]:
    """Each entry's bag of words (its phrasings', then its keywords'), and per entry, per
    variant (in the entry's order) the sorted word ids its answer uses, in either
    language: what the answer shown for a place talks about. Word ids are given by `wid`
    in order of first use: an entry's phrasings', keywords', then answers'."""
    keyword_words = _KeywordIds(lambda kw: list(map(wid, words(keywords[kw]))))
    # Templated FAQs repeat whole answers: one array per distinct set of words, found
    # once per distinct variant (its answer in every language).
    variant_arrays: dict[frozenset[int], array[int]] = {}
    variant_texts: dict[tuple[str, ...], array[int]] = {}
    answer_words: dict[str, frozenset[int]] = {}
    answers = Prepared(prepare, (a for e in entries for v in e.variants for a in v.answer.values()))

    def answer_ids(answer: str) -> frozenset[int]:
        out = answer_words.get(answer)
        if out is None:
            out = answer_words[answer] = frozenset(map(wid, words(answers[answer])))
        return out

    def variant_array(answers: tuple[str, ...]) -> array[int]:
        out = variant_texts.get(answers)
        if out is None:
            ids_v = frozenset().union(*map(answer_ids, answers))
            out = variant_arrays.get(ids_v)
            if out is None:
                out = variant_arrays[ids_v] = array("i", sorted(ids_v))
            variant_texts[answers] = out
        return out

    variant_words: list[list[array[int]]] = []
    for entry, (r0, r1) in zip(entries, entry_rows, strict=True):
        # The entry's phrasings segmented in one call (a space separates them, and the
        # segmenter never joins across a space).
        counter.pieces(pieces(" ".join(phrasings[r0:r1])))
        counter.words(keyword_words(entry.keywords))
        counter.close()
        variant_words.append([variant_array(tuple(v.answer.values())) for v in entry.variants])
    return counter.bags(), variant_words


class Chars(NamedTuple):
    """The n-gram side of an index."""

    ids: dict[str, int] | Vocabulary  # n-gram -> dense id
    # Rows (phrasings) as flat arrays: [row_start[r], row_start[r + 1]) of row_tok, each
    # row's distinct n-grams in order of first use.
    row_start: array[int]
    row_tok: array[int]
    # Whether a token repeats in the row (else each of its tokens counts once).
    row_repeats: array[int]
    idf: array[float]
    # Entry postings by n-gram: post_off[t]:post_off[t + 1] of post_ids and post_w.
    post_off: array[int]
    post_ids: array[int]
    post_w: array[float]


def char_index(
    entries: Sequence[Entry],
    phrasings: list[str],
    entry_rows: list[tuple[int, int]],
    keywords: Prepared,
) -> Chars:
    """The n-gram side, in plain Python: an entry's bag is its phrasings' n-grams, each
    counted once per phrasing, and its keywords'."""
    n = len(entries)
    # Token -> dense id; a new token gets the next id, without a Python-level call.
    char_ids: defaultdict[str, int] = defaultdict(count().__next__)
    cid = char_ids.__getitem__
    kw_ids = keyword_chars(keywords, cid)
    # Per-entry bags (token ids, counts) one after another, compact until the IDFs
    # are known.
    char_tok, char_count, char_sizes = array("i"), array("i"), array("i")
    row_start = array("i", [0])
    row_tok = array("i")
    row_repeats = array("b")
    for entry, (r0, r1) in zip(entries, entry_rows, strict=True):
        # Each phrasing counts a token once: the entry's tokens counted over its
        # phrasings' distinct tokens. Their ids, looked up once per phrasing and
        # token, are the rows; new tokens get theirs in order of first use.
        toks = list(map(tokens, phrasings[r0:r1]))
        distinct = list(map(dict.fromkeys, toks))
        ids = list(map(cid, chain.from_iterable(distinct)))
        row_tok.extend(ids)
        row_start.extend(map(add, accumulate(map(len, distinct)), repeat(row_start[-1])))
        # Whether a token repeats in the row (its counts are then taken on first use,
        # with the weights).
        row_repeats.extend(map(ne, map(len, toks), map(len, distinct)))
        counted = Counter(ids)
        kw_chars = kw_ids(entry.keywords)
        if kw_chars:
            counted.update(kw_chars)
        char_tok.extend(counted.keys())
        char_count.extend(counted.values())
        char_sizes.append(len(counted))
    del kw_ids
    # From here on a look-up must not add the question's words: no default (and no
    # copy into a plain dict, which would double the vocabulary's memory for a moment).
    char_ids.default_factory = None
    vocabulary: dict[str, int] | Vocabulary = char_ids
    if len(char_ids) > COMPACT_VOCABULARY:
        # Before the postings are made: its memory is then reused, not added to.
        vocabulary = Vocabulary(char_ids)
        char_ids.clear()

    post_off = _offsets(char_tok, len(vocabulary))
    df = map(sub, post_off[1:], post_off)
    # A frequency is at most n: the IDF of each possible one, looked up per token.
    idf_of = idf_table(n)
    idf = array("f", map(idf_of.__getitem__, df))
    # Sublinear term frequency: ten phrasings sharing a word is not ten times the
    # evidence. An entry's weight: tf * idf / the length of its vector, worked out
    # bag by bag, then put in place by token.
    tf = tf_table(max(char_count, default=0))
    weights = array("f")
    bags = zip(_bags(char_tok, char_sizes), _bags(char_count, char_sizes), strict=True)
    for ts, cs in bags:
        ws = list(map(mul, map(tf.__getitem__, cs), map(idf.__getitem__, ts)))
        weights.extend(map(truediv, ws, repeat(vector_length(ws))))
    del char_count, bags
    total = len(char_tok)
    # One big array at a time: each is let go as soon as it is used up.
    post_w = _scatter(array("f", bytes(4 * total)), char_tok, post_off, weights)
    del weights
    post_ids = _scatter(entry_array(n, total), char_tok, post_off, _entries(char_sizes))
    return Chars(vocabulary, row_start, row_tok, row_repeats, idf, post_off, post_ids, post_w)


def idf_table(n: int) -> list[float]:
    """The n-gram IDF of each possible document frequency in a FAQ of n entries."""
    return [math.log((n + 1) / (d + 1)) + 1.0 for d in range(n + 1)]


def widf_table(n: int) -> list[float]:
    """The word (BM25) IDF of each possible document frequency in a FAQ of n entries.
    Words only an answer uses get df 0: known to coverage, but no BM25 evidence."""
    return [math.log(1.0 + (n - d + 0.5) / (d + 0.5)) for d in range(n + 1)]


def norm_lengths(entry_len: Sequence[int]) -> list[float]:
    """BM25's length normalization of each entry: k1 * (1 - b + b * len / avg_len)."""
    avg_len = (sum(entry_len) / len(entry_len)) if entry_len else 1.0
    return [BM25_K1 * (1 - BM25_B + BM25_B * length / (avg_len or 1.0)) for length in entry_len]


class Words(NamedTuple):
    """The word (BM25) side of an index."""

    idf: array[float]
    # Entry postings by word: post_off[t]:post_off[t + 1] of post_ids and post_w.
    post_off: array[int]
    post_ids: array[int]
    post_w: array[float]
    # Each entry's distinct words, entry after entry: bounds[i]:bounds[i + 1] of tok.
    tok: array[int]
    bounds: array[int]


def word_index(bags: WordBags, vocab_size: int) -> Words:
    """The word side, in plain Python: BM25 over each entry's bag of words."""
    n = len(bags.sizes)
    wpost_off = _offsets(bags.tok, vocab_size)
    widf_of = widf_table(n)
    widf = array("f", map(widf_of.__getitem__, map(sub, wpost_off[1:], wpost_off)))
    norm_len = norm_lengths(bags.lengths)
    # idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avg_len)), per posting.
    bm25 = map(
        truediv,
        map(
            mul,
            map(widf.__getitem__, bags.tok),
            map(mul, bags.counts, repeat(BM25_K1 + 1)),
        ),
        map(add, bags.counts, chain.from_iterable(map(repeat, norm_len, bags.sizes))),
    )
    total = len(bags.tok)
    wpost_w = _scatter(array("f", bytes(4 * total)), bags.tok, wpost_off, bm25)
    wpost_ids = _scatter(entry_array(n, total), bags.tok, wpost_off, _entries(bags.sizes))
    bounds = array("i", accumulate(bags.sizes, initial=0))
    return Words(widf, wpost_off, wpost_ids, wpost_w, bags.tok, bounds)


class Build(NamedTuple):
    """A way to build an index's arrays (each gives the same arrays)."""

    chars: Callable[[Sequence[Entry], list[str], list[tuple[int, int]], Prepared], Chars]
    counter: Callable[[Callable[[str], int]], BagCounter]  # given `wid`
    words: Callable[[WordBags, int], Words]  # given the vocabulary's size


PLAIN = Build(char_index, _CounterBags, word_index)

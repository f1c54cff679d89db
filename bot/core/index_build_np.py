"""A large FAQ's index arrays, built with numpy: the same arrays as `index_build`'s plain
Python, bit for bit, in a fraction of the time.

Imported only for a large FAQ (`matcher.NUMPY_BUILD`): numpy's import (~70 ms) would be
most of a small FAQ's start-up. What is handed back is `array.array`s and dicts, as from the
plain build: the query side reads single elements, which numpy serves several times slower.

How: the phrasings' tokens (`normalize.tokens`) are found at once in a block of phrasings,
as an array of code points, each token as a 32-bit key (a character's code point, a
bigram's two, a Latin token's number). A stable sort of a block's keys lines up each
token's occurrences in the order of the text: the first one gives a new token its id (ids
are given in order of first use), a run within a phrasing is a repeat, a run within an
entry its count there. The postings are then a counting sort of the bags by token. All
of it block by block of entries: every array but the results stays a few megabytes.
"""

from __future__ import annotations

import math
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from itertools import count, pairwise
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from bot.core.index_build import (
    BM25_K1,
    COMPACT_VOCABULARY,
    Build,
    Chars,
    Prepared,
    Vocabulary,
    WordBags,
    Words,
    entry_array,
    idf_table,
    keyword_chars,
    norm_lengths,
    tf_table,
    widf_table,
)
from bot.core.kb import Entry
from bot.core.normalize import CJK_RANGES, latin_token, tokens
from bot.core.words import content

# Phrasings tokenized at a time, and bag elements put in place at a time: a block's arrays
# stay small, in the processor's cache.
BLOCK_ROWS = 2048
BLOCK_ITEMS = 1 << 16
# What each code point is to `tokens`: part of a CJK run, part of a Latin word ([0-9a-z],
# as normalize's _LATIN_WORD), or a separator (0).
_CJK, _LATIN = 1, 2
# Token keys: a CJK character's code point (all of CJK_RANGES are below 0x10000), then a
# Latin token's number from _LATIN_BASE, then a bigram's two code points (the first
# shifted: at least the first CJK code point's << 16).
_LATIN_BASE = 1 << 16
_BIGRAM_BASE = CJK_RANGES[0][0] << 16
# A Latin word of up to _SHORT_WORD characters is a number: its characters' digits (1..36)
# in base 37, the first one lowest; 37 ** 12 < 2 ** 63. A longer one (rare) is numbered
# from _LONG_WORD on, by a dict.
_SHORT_WORD = 12
_LONG_WORD = 37**_SHORT_WORD
_LATIN_CHARS = b"0123456789abcdefghijklmnopqrstuvwxyz"
# numpy's type of each typecode the query side reads.
_DTYPES = {"i": np.int32, "H": np.uint16, "f": np.float32, "b": np.int8}


def _classes() -> NDArray[np.uint8]:
    out = np.zeros(0x110000, np.uint8)
    for lo, hi in CJK_RANGES:
        out[lo : hi + 1] = _CJK
    out[np.frombuffer(_LATIN_CHARS, np.uint8)] = _LATIN
    return out


_CLASS = _classes()
# A Latin character's digit, by code point (all below 128); a digit's character.
_DIGIT = np.zeros(128, np.uint64)
_DIGIT[np.frombuffer(_LATIN_CHARS, np.uint8)] = np.arange(1, 37, dtype=np.uint64)
_CHAR_OF_DIGIT = np.frombuffer(b"\0" + _LATIN_CHARS, np.uint8)
# 37 ** k for a character k places into its word; 0 past _SHORT_WORD.
_PLACE = np.array([*(37**k for k in range(_SHORT_WORD)), 0], np.uint64)


def _to_array(typecode: str, values: NDArray[Any]) -> array[Any]:
    """A numpy array as an `array.array`, copied once."""
    out = array(typecode)
    _append(out, values)
    return out


def _append(out: array[Any], values: NDArray[Any]) -> None:
    """Values added to an `array.array` (which grows in place: no second copy of it)."""
    out.frombytes(np.ascontiguousarray(values, dtype=_DTYPES[out.typecode]).data.cast("B"))


def _zeros(typecode: str, size: int) -> tuple[array[Any], NDArray[Any]]:
    """A zeroed `array.array`, and a numpy view to fill it through."""
    out = array(typecode, [0]) * size
    return out, np.frombuffer(out, _DTYPES[typecode])


class _Gathered:
    """An `array.array` gathered block by block: the blocks' parts are kept, and joined
    once at the end. (Arrays grown side by side would move past each other as they grow,
    leaving holes that the process keeps.)"""

    def __init__(self, typecode: str) -> None:
        self._typecode = typecode
        self._parts: list[NDArray[Any]] = []

    def add(self, values: NDArray[Any]) -> None:
        self._parts.append(np.asarray(values, _DTYPES[self._typecode]))

    def array(self) -> array[Any]:
        out, view = _zeros(self._typecode, sum(map(len, self._parts)))
        at = 0
        for part in self._parts:
            view[at : at + len(part)] = part
            at += len(part)
        self._parts.clear()
        return out


def _starts(a: NDArray[Any]) -> NDArray[np.bool_]:
    """Where a new value begins in `a` (the first element, and each that differs from the
    one before it)."""
    out = np.ones(len(a), np.bool_)
    np.not_equal(a[1:], a[:-1], out=out[1:])
    return out


def _bounds(sizes: NDArray[Any]) -> NDArray[np.int64]:
    """Where each of consecutive blocks of these sizes starts, and the end."""
    out = np.zeros(len(sizes) + 1, np.int64)
    np.cumsum(sizes, out=out[1:])
    return out


def _stable_order(keys: NDArray[np.uint32]) -> NDArray[np.intp]:
    """The positions of `keys` in sorted order, equal keys in their order. numpy's stable
    sort of 16-bit keys is a radix sort, several times faster than its sort of 32-bit
    ones: two passes, the low half first."""
    order = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
    if len(keys) and int(keys.max()) > 0xFFFF:
        high = (keys >> 16).astype(np.uint16)[order]
        order = order[np.argsort(high, kind="stable")]
    return order


def _in_order_of(places: NDArray[np.intp], length: int) -> NDArray[np.intp]:
    """The indices of `places` (distinct, below `length`) in order of place: a mark per
    place instead of a sort."""
    marked = np.zeros(length, np.bool_)
    marked[places] = True
    index_at = np.empty(length, np.intp)
    index_at[places] = np.arange(len(places))
    return index_at[marked]


def _blocks(sizes: NDArray[np.int64], target: int) -> Iterator[tuple[int, int]]:
    """Consecutive ranges of parts (of these sizes), each of about `target` items (or of
    one part, if it is larger)."""
    ends = np.cumsum(sizes)
    lo = 0
    while lo < len(sizes):
        done = int(ends[lo - 1]) if lo else 0
        hi = max(lo + 1, int(np.searchsorted(ends, done + target, "right")))
        yield lo, hi
        lo = hi


def _counted(
    ids: NDArray[np.int32], sizes: NDArray[np.int64]
) -> tuple[NDArray[np.int32], NDArray[np.int64], NDArray[np.int64]]:
    """Each part's `Counter` of its ids (parts of these sizes, one after another): its
    distinct ids in order of first place with their counts, part after part, and how
    many each part has."""
    part = np.repeat(np.arange(len(sizes)), sizes)
    order = _stable_order(ids.view(np.uint32))
    ids_, part = ids[order], part[order]
    runs = np.flatnonzero(_starts(ids_) | _starts(part))
    counts = np.diff(runs, append=len(ids))
    by_place = _in_order_of(order[runs], len(ids))
    distinct = np.bincount(part[runs], minlength=len(sizes))
    return ids_[runs][by_place], counts[by_place], distinct


def _run_firsts(at: NDArray[np.intp]) -> NDArray[np.intp]:
    """Where each run of consecutive positions starts in `at` (ascending positions)."""
    first = np.ones(len(at), np.bool_)
    np.not_equal(np.diff(at), 1, out=first[1:])
    return np.flatnonzero(first)


def _word_texts(numbers: NDArray[np.uint64]) -> list[str]:
    """The short Latin words these numbers stand for."""
    digits = np.empty((len(numbers), _SHORT_WORD), np.uint8)
    rest = numbers.copy()
    for k in range(_SHORT_WORD):
        digits[:, k] = rest % 37
        rest //= 37
    text = _CHAR_OF_DIGIT[digits].tobytes().decode("ascii")
    return [text[k : k + _SHORT_WORD].rstrip("\0") for k in range(0, len(text), _SHORT_WORD)]


class _SortedMap:
    """Keys to values, as two arrays sorted by key: looked up, and added to, a block of
    keys at a time."""

    def __init__(self, keys: type[np.unsignedinteger[Any]], values: type[np.signedinteger[Any]]):
        self._keys = np.zeros(0, keys)
        self._values = np.zeros(0, values)

    def __len__(self) -> int:
        return len(self._keys)

    def find(self, keys: NDArray[Any]) -> tuple[NDArray[Any], NDArray[np.intp]]:
        """The values of `keys`, and the positions of those not found (their values are
        left undefined)."""
        at = np.searchsorted(self._keys, keys)
        found = np.zeros(len(keys), np.bool_)
        inside = at < len(self._keys)
        found[inside] = self._keys[at[inside]] == keys[inside]
        out = np.empty(len(keys), self._values.dtype)
        out[found] = self._values[at[found]]
        return out, np.flatnonzero(~found)

    def add(self, keys: NDArray[Any], values: NDArray[Any]) -> None:
        """New keys (distinct, ascending) with their values."""
        at = np.searchsorted(self._keys, keys)
        self._keys = np.insert(self._keys, at, keys)
        self._values = np.insert(self._values, at, values)

    def inverse(self) -> NDArray[Any]:
        """The keys by value (the values being 0..n-1)."""
        out = np.empty(len(self._keys), self._keys.dtype)
        out[self._values] = self._keys
        return out


class _LatinWords:
    """The Latin words of the phrasings: each word's token (`latin_token`) numbered by
    `latin`, worked out once per distinct word, not once per word."""

    def __init__(self, latin: dict[str, int]) -> None:
        self._latin = latin
        self._longs: dict[str, int] = {}  # a long word's number, from _LONG_WORD
        # Each word's token's number (-1: none), by the word's.
        self._token = _SortedMap(np.uint64, np.int64)

    def tokens(
        self, text: str, cps: NDArray[np.uint32], classes: NDArray[np.uint8]
    ) -> tuple[NDArray[np.intp], NDArray[np.uint32]]:
        """Where each Latin token of the text starts, and its key."""
        chars = np.flatnonzero(classes == _LATIN)
        first = _run_firsts(chars)
        lengths = np.diff(first, append=len(chars))
        starts = chars[first]
        place = np.arange(len(chars)) - np.repeat(first, lengths)
        numbers = np.add.reduceat(
            _DIGIT[cps[chars]] * _PLACE[np.minimum(place, _SHORT_WORD)], first
        )
        for k in np.flatnonzero(lengths > _SHORT_WORD).tolist():
            word = text[int(starts[k]) : int(starts[k] + lengths[k])]
            numbers[k] = _LONG_WORD + self._longs.setdefault(word, len(self._longs))
        token, new = self._token.find(numbers)
        if len(new):
            fresh = np.unique(numbers[new])
            self._token.add(fresh, np.array(self._numbers(fresh), np.int64))
            token[new] = self._token.find(numbers[new])[0]
        kept = token >= 0  # a single letter gives no token
        return starts[kept], (_LATIN_BASE + token[kept]).astype(np.uint32)

    def _numbers(self, words: NDArray[np.uint64]) -> list[int]:
        """The number of each word's token (-1 for none), words given by their numbers
        (ascending: the long ones last)."""
        short = words[words < _LONG_WORD]
        longs = list(self._longs)
        texts = _word_texts(short)
        texts += [longs[w - _LONG_WORD] for w in words[len(short) :].tolist()]
        return [self._latin[t] if t else -1 for t in map(latin_token, texts)]


class _Tokens(NamedTuple):
    """Phrasings' tokens, as keys."""

    keys: NDArray[np.uint32]  # every phrasing's tokens in `tokens` order, row after row
    sizes: NDArray[np.int64]  # how many tokens each row has


def _row_tokens(texts: list[str], words: _LatinWords) -> _Tokens:
    """`normalize.tokens` of each text, as keys: each CJK run's characters, then its
    bigrams, run after run; then the Latin tokens."""
    rows = len(texts)
    # Joined by newlines, a separator no phrasing has.
    text = "\n".join(texts)
    encoded = text.encode("utf-32-le", "surrogatepass")
    cps = np.frombuffer(encoded, "<u4").astype(np.uint32, copy=False)
    classes = _CLASS[cps]
    row_start = _bounds(np.fromiter(map(len, texts), np.int64, rows) + 1)[:-1]
    # The CJK runs: their characters' places in the text, where each run starts there.
    at = np.flatnonzero(classes == _CJK)
    first = _run_firsts(at)
    run_len = np.diff(first, append=len(at))
    run_row = np.searchsorted(row_start, at[first], "right") - 1
    latin_at, latin_keys = words.tokens(text, cps, classes)
    latin_row = np.searchsorted(row_start, latin_at, "right") - 1
    del text, classes, latin_at
    run_tokens = 2 * run_len - 1
    cjk_sizes = np.bincount(run_row, weights=run_tokens, minlength=rows).astype(np.int64)
    latin_sizes = np.bincount(latin_row, minlength=rows)
    sizes = cjk_sizes + latin_sizes
    row_first = _bounds(sizes)
    keys = np.empty(int(row_first[-1]), np.uint32)
    # A run's first token: its row's first, after the row's earlier runs' tokens; then its
    # characters in order, then its bigrams (a character with the next, but the last).
    run_place = row_first[run_row] + _bounds(run_tokens)[:-1] - _bounds(cjk_sizes)[run_row]
    place = np.arange(len(at)) + np.repeat(run_place - first, run_len)
    keys[place] = cps[at]
    bigram = np.ones(len(at), np.bool_)
    bigram[first[1:] - 1] = False
    if len(at):
        bigram[-1] = False
    place += np.repeat(run_len, run_len)
    at = at[bigram]
    keys[place[bigram]] = (cps[at] << 16) | cps[at + 1]
    # The Latin tokens after the row's CJK ones.
    latin_first = row_first[:-1] + cjk_sizes - _bounds(latin_sizes)[:-1]
    keys[latin_first[latin_row] + np.arange(len(latin_row))] = latin_keys
    return _Tokens(keys, sizes)


def _key(token: str, latin: dict[str, int]) -> int:
    """A token's key (as `_row_tokens` makes them)."""
    if token.isascii():
        return _LATIN_BASE + latin[token]
    if len(token) == 1:
        return ord(token)
    return ord(token[0]) << 16 | ord(token[1])


class _Ids:
    """Token keys' ids, given in order of first use as the stream is read, block by
    block."""

    def __init__(self) -> None:
        self._ids = _SortedMap(np.uint32, np.int32)

    def of(self, keys: NDArray[np.uint32], first: NDArray[np.intp]) -> NDArray[np.int32]:
        """The ids of a block's distinct keys (ascending), each new one given the next id
        in order of its first place in the block (`first`)."""
        out, new = self._ids.find(keys)
        rank = np.empty(len(new), np.int32)
        rank[np.argsort(first[new])] = np.arange(len(new), dtype=np.int32)
        out[new] = len(self._ids) + rank
        self._ids.add(keys[new], out[new])
        return out

    def keys(self) -> NDArray[np.uint32]:
        """Each id's key."""
        return self._ids.inverse()


def _keyword_uses(entries: Sequence[Entry], keywords: Prepared) -> dict[int, list[str]]:
    """The tokens of the keywords the plain build first meets at each entry (by position):
    they are given ids there, after that entry's phrasings' tokens."""
    seen: set[str] = set()
    out: dict[int, list[str]] = {}
    for i, entry in enumerate(entries):
        for kw in entry.keywords:
            if kw not in seen:
                seen.add(kw)
                out.setdefault(i, []).extend(tokens(keywords[kw]))
    return out


def _inserted(
    values: NDArray[Any], sizes: NDArray[np.int64], extra: list[list[int]]
) -> tuple[NDArray[Any], NDArray[np.intp]]:
    """Parts of `values` (of these sizes, one after another), each followed by its
    `extra`, and where the extras went."""
    if not any(extra):
        return values, np.zeros(0, np.intp)
    at = np.repeat(_bounds(sizes)[1:], [len(e) for e in extra])
    out = np.insert(values, at, np.array([v for e in extra for v in e], values.dtype))
    return out, at + np.arange(len(at))


def _part_sums(values: NDArray[np.int64], sizes: NDArray[np.int64]) -> NDArray[np.int64]:
    """The sums of consecutive parts of `values`, of these sizes."""
    return np.diff(_bounds(values)[_bounds(sizes)])


class _Rows(NamedTuple):
    """`Chars`' rows: each phrasing's distinct n-grams (`row_*` there)."""

    start: array[int]
    tok: array[int]
    repeats: array[int]


class _Bags(NamedTuple):
    """The entries' bags, entry after entry, each in order of first use (a `Counter`'s)."""

    tok: NDArray[np.int32]
    counts: NDArray[np.int32]
    sizes: NDArray[np.int32]

    @classmethod
    def of(cls, tok: array[int], counts: array[int], sizes: array[int]) -> _Bags:
        """Bags kept in `array.array`s ("i"), seen through numpy."""
        return cls(*(np.frombuffer(a, np.int32) for a in (tok, counts, sizes)))


def _char_bags(
    entries: Sequence[Entry],
    phrasings: list[str],
    entry_rows: list[tuple[int, int]],
    keywords: Prepared,
    latin: dict[str, int],
    ids: _Ids,
) -> tuple[_Rows, _Bags]:
    """The rows and the entries' bags, block by block of entries, ids given in order of
    first use as the plain build gives them."""
    uses = _keyword_uses(entries, keywords)
    # The keywords' tokens' ids, once given: their part of each entry's bag is taken as
    # the plain build takes it (the same function, ids looked up instead of given).
    known: dict[str, int] = {}
    kw_chars = keyword_chars(keywords, known.__getitem__)
    rows = _Rows(array("i", [0]), array("i"), array("b"))
    bag_tok, bag_counts, bag_sizes = array("i"), array("i"), array("i")
    words = _LatinWords(latin)
    per_entry = np.array([r1 - r0 for r0, r1 in entry_rows], np.int64)
    for e0, e1 in _blocks(per_entry, BLOCK_ROWS):
        r0, r1 = entry_rows[e0][0], entry_rows[e1 - 1][1]
        found = _row_tokens(phrasings[r0:r1], words)
        # The keywords first met in the block: after their entry's rows, in no row (-1).
        used = [uses.get(i, []) for i in range(e0, e1)]
        entry_tokens = _part_sums(found.sizes, per_entry[e0:e1])
        kw_keys = [[_key(t, latin) for t in u] for u in used]
        keys, kw_at = _inserted(found.keys, entry_tokens, kw_keys)
        row, _ = _inserted(
            np.repeat(np.arange(r1 - r0, dtype=np.int32), found.sizes),
            entry_tokens,
            [[-1] * len(u) for u in used],
        )
        order = _stable_order(keys)
        new = _starts(keys[order])
        group = np.cumsum(new) - 1
        token_at = np.empty(len(keys), np.int32)
        token_at[order] = ids.of(keys[order[new]], order[new])[group]
        row_ = row[order]
        # A repeat in a row: the same token as the occurrence before it, in the same row.
        repeated = np.zeros(len(keys), np.bool_)
        np.equal(group[1:], group[:-1], out=repeated[1:])
        repeated[1:] &= row_[1:] == row_[:-1]
        repeated &= row_ >= 0
        in_row = row >= 0
        in_row[order[repeated]] = False
        row_tok = token_at[in_row]
        known.update(zip((t for u in used for t in u), token_at[kw_at].tolist(), strict=True))
        sizes = found.sizes - np.bincount(row_[repeated], minlength=r1 - r0)
        _append(rows.start, rows.start[-1] + np.cumsum(sizes))
        _append(rows.tok, row_tok)
        _append(rows.repeats, sizes != found.sizes)
        # The bags: each entry's rows' distinct tokens, then its keywords' (which is how
        # the plain build's Counter is updated with them).
        distinct = _part_sums(sizes, per_entry[e0:e1])
        extra = [kw_chars(entries[i].keywords) for i in range(e0, e1)]
        stream, _ = _inserted(row_tok, distinct, extra)
        tok, counts, bag = _counted(stream, distinct + np.array([len(x) for x in extra]))
        _append(bag_tok, tok)
        _append(bag_counts, counts)
        _append(bag_sizes, bag)
    return rows, _Bags.of(bag_tok, bag_counts, bag_sizes)


# The weights of the bag elements of entries lo..hi (`_postings` asks block by block).
_Weigh = Callable[[int, int], NDArray[np.float64]]


def _unit_weights(bags: _Bags, idf: NDArray[np.float32]) -> _Weigh:
    """Each bag's tf-idf weights divided by the bag's length, worked out as the plain
    build does: the same products, and the lengths summed by Python in the bag's order
    (numpy sums pairwise, which rounds otherwise)."""
    tf = np.array(tf_table(int(bags.counts.max(initial=0))))
    idf64 = idf.astype(np.float64)
    bounds = _bounds(bags.sizes)

    def weigh(lo: int, hi: int) -> NDArray[np.float64]:
        a, b = int(bounds[lo]), int(bounds[hi])
        ws = tf[bags.counts[a:b]] * idf64[bags.tok[a:b]]
        squares = (ws * ws).tolist()
        cuts = (bounds[lo : hi + 1] - a).tolist()
        lengths = [math.sqrt(sum(squares[x:y])) or 1.0 for x, y in pairwise(cuts)]
        return ws / np.repeat(lengths, bags.sizes[lo:hi])

    return weigh


def _bm25(bags: _Bags, idf: NDArray[np.float32], entry_len: Sequence[int]) -> _Weigh:
    """idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avg_len)) of each bag element,
    in the plain build's order of operations."""
    idf64 = idf.astype(np.float64)
    norm_len = np.array(norm_lengths(entry_len))
    bounds = _bounds(bags.sizes)

    def weigh(lo: int, hi: int) -> NDArray[np.float64]:
        a, b = int(bounds[lo]), int(bounds[hi])
        tf = bags.counts[a:b].astype(np.float64)
        norm = np.repeat(norm_len[lo:hi], bags.sizes[lo:hi])
        return idf64[bags.tok[a:b]] * (tf * (BM25_K1 + 1)) / (tf + norm)

    return weigh


class _Postings(NamedTuple):
    """Entry postings by token: off[t]:off[t + 1] of ids and w."""

    off: array[int]
    ids: array[int]
    w: array[float]


def _postings(bags: _Bags, df: NDArray[np.int64], weigh: _Weigh, typecode: str) -> _Postings:
    """The bags' elements by token, then entry, with their weights: a counting sort, block
    by block of entries (each token's next free place is its cursor). `df`: how many bags
    use each token."""
    off = _bounds(df)
    cursor = off[:-1].copy()
    post_ids, ids_view = _zeros(typecode, len(bags.tok))
    post_w, w_view = _zeros("f", len(bags.tok))
    bounds = _bounds(bags.sizes)
    for lo, hi in _blocks(bags.sizes.astype(np.int64), BLOCK_ITEMS):
        a, b = int(bounds[lo]), int(bounds[hi])
        order = _stable_order(bags.tok[a:b].view(np.uint32))
        tok = bags.tok[a:b][order]
        first = np.flatnonzero(_starts(tok))
        same = np.diff(first, append=b - a)
        dest = cursor[tok] + np.arange(b - a) - np.repeat(first, same)
        cursor[tok[first]] += same
        w_view[dest] = weigh(lo, hi)[order]
        ids_view[dest] = np.repeat(np.arange(lo, hi), bags.sizes[lo:hi])[order]
    del ids_view, w_view
    return _Postings(_to_array("i", off), post_ids, post_w)


def _vocabulary(keys: NDArray[np.uint32], latin_words: list[str]) -> dict[str, int] | Vocabulary:
    """The n-gram ids by token (`keys`: each id's key), as the plain build keeps them: a
    dict in order of id, or above COMPACT_VOCABULARY a `Vocabulary` of the same parts."""

    def text(key: int) -> str:
        if key < _LATIN_BASE:
            return chr(key)
        if key < _BIGRAM_BASE:
            return latin_words[key - _LATIN_BASE]
        return chr(key >> 16) + chr(key & 0xFFFF)

    if len(keys) <= COMPACT_VOCABULARY:
        return {text(k): i for i, k in enumerate(keys.tolist())}
    bigram = keys >= _BIGRAM_BASE
    others = np.flatnonzero(~bigram)
    other = dict(zip(map(text, keys[others].tolist()), others.tolist(), strict=True))
    # The bigrams by first character, each group in order of id; the groups in order of
    # their first id (the plain build fills its dict in order of id).
    ids = np.flatnonzero(bigram)
    ids = ids[np.argsort(keys[ids] >> 16, kind="stable")]
    grouped = keys[ids]
    seconds = (grouped & 0xFFFF).astype("<u4").tobytes().decode("utf-32-le")
    bounds = [*np.flatnonzero(_starts(grouped >> 16)).tolist(), len(ids)]
    spans = sorted(pairwise(bounds), key=lambda ab: int(ids[ab[0]]))
    bigrams = {
        chr(int(grouped[a]) >> 16): (seconds[a:b], _to_array("i", ids[a:b])) for a, b in spans
    }
    return Vocabulary.of(len(keys), bigrams, other)


def char_index(
    entries: Sequence[Entry],
    phrasings: list[str],
    entry_rows: list[tuple[int, int]],
    keywords: Prepared,
) -> Chars:
    """`index_build.char_index`'s arrays."""
    n = len(entries)
    # Latin tokens numbered in order of first sight (any order would do: keys only group).
    latin: defaultdict[str, int] = defaultdict(count().__next__)
    ids = _Ids()
    rows, bags = _char_bags(entries, phrasings, entry_rows, keywords, latin, ids)
    vocabulary = _vocabulary(ids.keys(), list(latin))
    del ids, latin
    df = np.bincount(bags.tok, minlength=len(vocabulary))
    idf = np.array(idf_table(n))[df].astype(np.float32)
    postings = _postings(bags, df, _unit_weights(bags, idf), entry_array(n, 0).typecode)
    return Chars(
        vocabulary,
        rows.start,
        rows.tok,
        rows.repeats,
        _to_array("f", idf),
        postings.off,
        postings.ids,
        postings.w,
    )


class _PieceCodes(dict[str, int]):
    """Segmenter pieces to a code: the id of their one content word, -1 for none, or
    -2 - k for the k-th of the few that have several (`multi`). New words are given ids
    (`wid`) in the order of the piece's words, on the piece's first use."""

    def __init__(self, wid: Callable[[str], int]) -> None:
        super().__init__()
        self._wid = wid
        self.multi: list[tuple[int, ...]] = []

    def __missing__(self, piece: str) -> int:
        ids = tuple(map(self._wid, content(piece)))
        if len(ids) < 2:
            out = ids[0] if ids else -1
        else:
            out = -2 - len(self.multi)
            self.multi.append(ids)
        self[piece] = out
        return out


class _BlockBags:
    """`BagCounter` with numpy: an entry's words gathered as codes (`_PieceCodes`, one
    look-up per piece), counted block by block of entries (`_counted`)."""

    def __init__(self, wid: Callable[[str], int]) -> None:
        self._codes = _PieceCodes(wid)
        self._code = self._codes.__getitem__
        self._block: list[int] = []  # the block's codes, entry after entry
        self._ends: list[int] = []  # where each of the block's entries ends in it
        # The bags (`WordBags`'s fields), gathered.
        self._out = [_Gathered("i") for _ in WordBags._fields]

    def pieces(self, pieces: list[str]) -> None:
        self._block += map(self._code, pieces)

    def words(self, ids: list[int]) -> None:
        self._block += ids

    def close(self) -> None:
        self._ends.append(len(self._block))
        if len(self._block) >= BLOCK_ITEMS:
            self._count()

    def bags(self) -> WordBags:
        self._count()
        return WordBags(*(part.array() for part in self._out))

    def _count(self) -> None:
        """The block's bags, counted and added."""
        codes = np.array(self._block, np.int64)
        parts = np.diff(self._ends, prepend=0)
        self._block, self._ends = [], []
        # Each code's number of words: 1, 0, or a multi-word piece's.
        width = (codes >= 0).astype(np.int64)
        multi = np.flatnonzero(codes <= -2)
        many = [self._codes.multi[-2 - c] for c in codes[multi].tolist()]
        width[multi] = [len(m) for m in many]
        ids = np.repeat(codes, width).astype(np.int32)
        if many:
            at = np.repeat((np.cumsum(width) - width)[multi], width[multi])
            at += np.arange(len(at)) - np.repeat(_bounds(width[multi])[:-1], width[multi])
            ids[at] = [w for m in many for w in m]
        sizes = _part_sums(width, parts)
        tok, counts, distinct = _counted(ids, sizes)
        self._out[0].add(tok)
        self._out[1].add(counts)
        self._out[2].add(distinct)
        self._out[3].add(sizes)


def word_index(bags: WordBags, vocab_size: int) -> Words:
    """`index_build.word_index`'s arrays."""
    n = len(bags.sizes)
    counted = _Bags.of(bags.tok, bags.counts, bags.sizes)
    df = np.bincount(counted.tok, minlength=vocab_size)
    idf = np.array(widf_table(n))[df].astype(np.float32)
    postings = _postings(counted, df, _bm25(counted, idf, bags.lengths), entry_array(n, 0).typecode)
    return Words(
        _to_array("f", idf),
        postings.off,
        postings.ids,
        postings.w,
        bags.tok,
        _to_array("i", _bounds(counted.sizes)),
    )


BUILD = Build(char_index, _BlockBags, word_index)

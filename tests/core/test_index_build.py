"""The index build's flat helpers: each must give exactly what the plain Python it
replaces gives (the engine's results may not move)."""

from __future__ import annotations

import dataclasses
import random
import subprocess
import sys
from array import array
from collections import defaultdict
from itertools import count

import pytest

from bot.bench.synthetic import scaled_kb
from bot.core import index_build, index_build_np, matcher
from bot.core.engine import Engine
from bot.core.index_build import Vocabulary, _offsets, _scatter
from bot.core.kb import KnowledgeBase
from bot.core.matcher import Index
from bot.core.normalize import _LATIN_WORD, CJK_RUN, tokens
from tests.helpers import FAQ_DIR, ROOT


def test_vocabulary_looks_up_as_the_dict_it_was_made_from() -> None:
    rng = random.Random(5)
    chars = "长护险报销医保门诊住院"
    tokens = [*chars, *(a + b for a in chars for b in chars), "drg", "16", "ab"]
    rng.shuffle(tokens)
    ids = {t: i for i, t in enumerate(tokens[:60])}
    vocabulary = Vocabulary(ids)
    assert len(vocabulary) == len(ids)
    for t in [*tokens, "长护", "长x", "x长", "长护险", "", "a", "dr"]:
        assert vocabulary.get(t) == ids.get(t), t


def test_scatter_groups_postings_by_token_in_their_order() -> None:
    rng = random.Random(6)
    vocab_size = 50
    toks = array("i", (rng.randrange(vocab_size) for _ in range(1000)))
    values = [rng.random() for _ in toks]
    offsets = _offsets(toks, vocab_size)
    out = _scatter(array("d", bytes(8 * len(toks))), toks, offsets, values)
    for t in range(vocab_size):
        expected = [v for tok, v in zip(toks, values, strict=True) if tok == t]
        assert list(out[offsets[t] : offsets[t + 1]]) == expected


# --- the numpy build (index_build_np) against the plain one

# Every array and map the build leaves in an index.
_BUILT = (
    "row_start",
    "row_tok",
    "_row_repeats",
    "idf",
    "post_off",
    "post_ids",
    "post_w",
    "widf",
    "wpost_off",
    "wpost_ids",
    "wpost_w",
    "_word_tok",
    "_word_bounds",
)


def _built(index: Index) -> dict[str, object]:
    """What the build made, comparable exactly (typecodes and bytes, maps in their order,
    a compact vocabulary's parts)."""
    arrays = {name: getattr(index, name) for name in _BUILT}
    out: dict[str, object] = {name: (a.typecode, a.tobytes()) for name, a in arrays.items()}
    ids = index.char_ids
    if isinstance(ids, Vocabulary):
        parts = [(k, s, a.tobytes()) for k, (s, a) in ids._bigrams.items()]
        out["char_ids"] = (len(ids), list(ids._other.items()), parts)
    else:
        out["char_ids"] = list(ids.items())
    out["word_ids"] = list(index.word_ids.items())
    out["variant_words"] = [[a.tobytes() for a in v] for v in index.variant_words]
    return out


def _odd_kb(kb: KnowledgeBase) -> KnowledgeBase:
    """A synthetic FAQ with what a block can get wrong: an entry with no rows (its only
    phrasing is a filler) but keywords, keywords used nowhere else, Latin words longer
    than a number holds, and entries spread over many blocks."""
    big = scaled_kb(kb, 400)
    first = big.entries[0]
    odd = [
        dataclasses.replace(first, id="no-rows", questions={"zh": ("请问",)}),
        dataclasses.replace(
            first,
            id="rare-keywords",
            keywords=("齉龘", "hospitalisations", "x"),
            questions={"en": ("hospitalizations reimbursements x 16 a", "乾隆 abc123def456ghi")},
        ),
    ]
    return dataclasses.replace(big, entries=(*big.entries[:150], *odd, *big.entries[150:]))


@pytest.mark.parametrize("compact", [False, True])
def test_the_numpy_build_gives_the_plain_builds_arrays(
    kb: KnowledgeBase, engine: Engine, monkeypatch: pytest.MonkeyPatch, compact: bool
) -> None:
    odd = _odd_kb(kb)
    prepare = engine.index.normalizer
    if compact:  # the vocabulary kept compact, as a large FAQ's
        monkeypatch.setattr(index_build, "COMPACT_VOCABULARY", 1000)
        monkeypatch.setattr(index_build_np, "COMPACT_VOCABULARY", 1000)
    # Small blocks: many of them, and an entry's rows never split.
    monkeypatch.setattr(index_build_np, "BLOCK_ROWS", 257)
    monkeypatch.setattr(index_build_np, "BLOCK_ITEMS", 3001)
    monkeypatch.setattr(matcher, "NUMPY_BUILD", 10**9)
    plain = Index(odd, prepare)
    monkeypatch.setattr(matcher, "NUMPY_BUILD", 0)
    with_numpy = Index(odd, prepare)
    assert isinstance(plain.char_ids, Vocabulary) is compact
    assert _built(with_numpy) == _built(plain)


def test_numpy_finds_the_tokens_normalize_finds() -> None:
    rng = random.Random(7)
    # CJK range edges and their neighbours, Latin letters and digits, separators of
    # every kind, a character above U+FFFF.
    alphabet = [
        *"长护险报销医保齉", *"abxz09", " ", "\u33ff", "\u3400", "\u4dbf", "\u4dc0",
        "\u4e00", "\u9fff", "\ua000", "\uf8ff", "\uf900", "\ufaff", "\ufb00", "é", "_",
        "A", "\U00020000",
    ]  # fmt: skip
    texts = ["".join(rng.choices(alphabet, k=rng.randrange(40))) for _ in range(3000)]
    texts += ["", "a", "5", "hospitalisations", "a" * 12, "a" * 13, "9" * 30, "长护险 长护险"]
    latin: defaultdict[str, int] = defaultdict(count().__next__)
    found = index_build_np._row_tokens(texts, index_build_np._LatinWords(latin))
    assert found.sizes.tolist() == [len(tokens(t)) for t in texts]
    assert found.keys.tolist() == [index_build_np._key(t, latin) for x in texts for t in tokens(x)]


def test_numpy_sees_cjk_runs_and_latin_words_as_normalize_does() -> None:
    classes = index_build_np._CLASS[: 0x10000 + 16]
    for c, kind in enumerate(classes.tolist()):
        ch = chr(c)
        assert (kind == index_build_np._CJK) == bool(CJK_RUN.fullmatch(ch)), hex(c)
        assert (kind == index_build_np._LATIN) == bool(_LATIN_WORD.fullmatch(ch)), hex(c)


def test_a_small_faq_starts_without_numpy() -> None:
    # numpy's import is most of a small FAQ's start-up: only a large FAQ's build pays it.
    code = (
        "import sys\n"
        "from bot.core.engine import Engine\n"
        "from bot.core.kb import load_kb\n"
        "Engine(load_kb(sys.argv[1]))\n"
        "print('numpy' in sys.modules)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(FAQ_DIR)], cwd=ROOT, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "False"

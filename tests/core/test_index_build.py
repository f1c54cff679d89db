"""The index build's flat helpers: each must give exactly what the plain Python it
replaces gives (the engine's results may not move)."""

from __future__ import annotations

import random
from array import array

from bot.core.index_build import Vocabulary, _offsets, _scatter


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

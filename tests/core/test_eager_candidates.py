"""A small FAQ's candidate data is made at build: exactly what first use would make."""

from __future__ import annotations

import pytest

from bot.core import matcher
from bot.core.engine import Engine
from bot.core.kb import KnowledgeBase


def test_made_at_build_is_what_first_use_makes(
    kb: KnowledgeBase, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    eager = engine.index
    assert len(eager._row_w) == len(eager.entry_ids)  # the real FAQ is small: all made
    monkeypatch.setattr(matcher, "EAGER_ENTRIES", 0)
    lazy = Engine(kb).index
    assert not lazy._row_w
    for i in range(len(eager.entry_ids)):
        assert lazy._row_weights(i).tobytes() == eager._row_weights(i).tobytes()
        assert lazy._row_lookup(i) == eager._row_lookup(i)
        assert lazy.entry_asks(i) == eager.entry_asks(i)
        assert lazy._cover(i) == eager._cover(i)

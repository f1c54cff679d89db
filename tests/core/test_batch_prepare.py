"""The index prepares a FAQ's phrasings in batches: every batch path must give exactly
what preparing each text on its own gives (the engine's results may not move)."""

from __future__ import annotations

import rjieba

from bot.bench.cases import load_cases
from bot.core.engine import Engine
from bot.core.kb import KnowledgeBase
from bot.core.words import EN_STOP, ZH_STOP, _latin, words
from tests.helpers import ROOT

# What a batch could get wrong: newlines inside a text, a script-table phrase (乾隆, 三十,
# 保障) or an ASCII text holding one of its heads (16, IP), acronym plurals, one-character
# particles at a text's end, a combining mark that starts a text, fillers, emptiness, a
# text longer than the matched prefix.
AWKWARD = [
    "",
    " ",
    "\n",
    "长护险\n怎么报销吗\n",
    "乾隆年间的医保",
    "三十岁能办吗",
    "IP 16",
    "医保IP地址16进位",
    "DRGs和DIPs是什么",
    "APPs",
    "能报销吗啊",
    "\u0301能报销",
    "e\u0301",
    "請問長護險怎麼申請呀",
    "你好，请问长护险是啥呀",
    "🙂🙂",
    "长" * 600,
    "a\nb",
    "ＡＰＰ怎么用？",
]


def _texts(kb: KnowledgeBase) -> list[str]:
    texts = [q for e in kb.entries for qs in e.questions.values() for q in qs]
    texts += [kw for e in kb.entries for kw in e.keywords]
    texts += [a for e in kb.entries for v in e.variants for a in v.answer.values()]
    for path in sorted((ROOT / "tests" / "data").glob("*.yaml")):
        texts += [c.question for c in load_cases(path)]
    return texts + AWKWARD


def test_normalizer_many_is_each_text_normalized(engine: Engine, kb: KnowledgeBase) -> None:
    texts = _texts(kb)
    assert engine.normalizer.many(texts) == [engine.normalizer(t) for t in texts]
    # And each awkward text alone in a batch, and between neighbours.
    for t in AWKWARD:
        assert engine.normalizer.many([t]) == [engine.normalizer(t)]
        assert engine.normalizer.many(["长护险", t, "报销"])[1] == engine.normalizer(t)
    assert engine.normalizer.many([]) == []


def test_strip_many_is_each_text_stripped(engine: Engine, kb: KnowledgeBase) -> None:
    normalized = [engine.normalizer(t) for t in _texts(kb)]
    assert engine.regions.strip_many(normalized) == [engine.regions.strip(t) for t in normalized]
    assert engine.regions.strip_many([]) == []


def _words_one_by_one(normalized: str) -> list[str]:
    """`words` as a loop over the segmenter's tokens (what the look-up table replaces)."""
    out: list[str] = []
    if normalized.isascii():
        for part in normalized.split():
            out.extend(_latin(part))
        return out
    for w in rjieba.cut(normalized, False):
        if w in ZH_STOP or w == " ":
            continue
        out.extend(_latin(w) if w.isascii() else (w,))
    return out


def test_words_table_is_the_loop(engine: Engine, kb: KnowledgeBase) -> None:
    for t in _texts(kb):
        n = engine.normalizer(t)
        assert words(n) == _words_one_by_one(n), t
    assert "the" in EN_STOP and "的" in ZH_STOP

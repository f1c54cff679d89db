"""What a question asks (how, how much, when… and narrower things), and what it costs an entry
whose phrasings never ask it."""

from __future__ import annotations

import pytest

from bot.core.asks import asks, fit, unmet
from bot.core.decision import Scored, Thresholds, decide
from bot.core.engine import Engine


@pytest.mark.parametrize("question, kinds", [
    ("异地就医怎么备案", {"how"}),
    ("备案要多久", {"time"}),
    ("哪些人可以备案", {"who"}),
    # The longest cue starting at a character wins: 多少钱 is a price, not just an amount.
    ("长护险一个月给多少钱", {"price"}),
    ("蒙医正骨 医保报销吗", {"coverage", "whether"}),
    ("霍尔果斯免费体检 结果在哪里查", {"records", "where"}),  # cues overlap: both count
    ("挂号后怎么退号", {"refund"}),
    ("how long does it take", {"time", "whether"}),
    ("长期护理保险", set()),
])
def test_kinds_of_questions(question: str, kinds: set[str]) -> None:
    assert asks(question) == kinds


def test_fit_and_unmet() -> None:
    entry = {"how": 0.5, "whether": 0.25}
    assert fit(frozenset({"how"}), entry) == 0.5
    assert fit(frozenset(), entry) == 0.5  # nothing shown: no evidence either way
    assert unmet(frozenset({"how"}), entry) == 0.0  # a broad kind is never "unmet"
    assert unmet(frozenset({"whether", "refund"}), entry) == 1.0
    assert unmet(frozenset({"refund"}), {"refund": 0.1}) == 0.0


def test_an_unmet_ask_is_offered_never_answered() -> None:
    t = Thresholds(answer=50.0, margin=10.0, clarify=20.0)
    sure = Scored("e1", 95.0)
    assert decide([sure], t).status == "answer"
    d = decide([Scored("e1", 95.0, unmet=True)], t)
    assert d.status == "clarify" and d.suggestions[0].entry_id == "e1"


@pytest.mark.parametrize("question", [
    "通辽蒙医正骨 医保报销吗",
    "乌海人民医院 手机挂号后 怎么退号",
])
def test_a_look_alike_asking_something_else_is_not_answered(engine: Engine, question: str) -> None:
    # The entry is on the subject (bone-setting, booking by phone) but never on this ask.
    assert engine.ask(question).status != "answer"

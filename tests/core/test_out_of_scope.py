"""Known out-of-scope topics (faq/out_of_scope.yaml): matched only to be declined."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.check import overlaps
from bot.core.engine import Engine
from bot.core.kb import OUT_OF_SCOPE_FILE, OUT_OF_SCOPE_PREFIX, KnowledgeBase, load_kb
from bot.core.render import Renderer
from tests.core.helpers import problems_of


def test_the_shipped_topics_load_apart_from_the_entries(kb: KnowledgeBase) -> None:
    assert len(kb.declines) >= 10
    for d in kb.declines:
        assert d.id.startswith(OUT_OF_SCOPE_PREFIX) and d.questions["zh"]
        assert d.id not in kb.by_id and not d.variants
    assert not any(e.id.startswith(OUT_OF_SCOPE_PREFIX) for e in kb.entries)


def test_the_file_is_optional(faq_copy: Path) -> None:
    (faq_copy / OUT_OF_SCOPE_FILE).unlink()
    assert load_kb(faq_copy).declines == ()


@pytest.mark.parametrize("text, expected", [
    ("topics: {id: x}\n", "expected a list under 'topics'"),
    ("topics:\n  - id: Bad Id\n    questions: {zh: [医保卡丢了怎么办]}\n", "malformed id"),
    ("topics:\n  - id: lost-card\n    questions: {en: [I lost my card]}\n", "needs at least 1 zh"),
    ("topics:\n  - id: a\n    questions: {zh: [生育津贴怎么领]}\n"
     "  - id: a\n    questions: {zh: [医保卡丢了怎么补办]}\n", "duplicate id"),
])
def test_a_bad_edit_names_the_file_and_what_is_wrong(
    faq_copy: Path, text: str, expected: str
) -> None:
    (faq_copy / OUT_OF_SCOPE_FILE).write_text(text, encoding="utf-8")
    found = problems_of(faq_copy)
    assert any(p.startswith(OUT_OF_SCOPE_FILE) and expected in p for p in found), found


@pytest.mark.parametrize("question", [
    "医保卡丢了怎么补办",
    "生孩子住院医保能报多少 生育津贴怎么领",
    "医保个人账户里的钱能取出来吗",
    "I lost my medical insurance card, how do I get a new one?",
])
def test_a_question_on_a_known_gap_is_declined_plainly(
    engine: Engine, renderer: Renderer, question: str
) -> None:
    r = engine.ask(question)
    assert r.status == "fallback" and r.reason == "known_gap", (question, r.entry_id)
    assert not any(s.entry_id.startswith(OUT_OF_SCOPE_PREFIX) for s in r.suggestions)
    text = "\n".join(renderer.fallback_lines(r))
    assert text and OUT_OF_SCOPE_PREFIX not in text


def test_a_known_gap_is_never_offered_or_related(engine: Engine) -> None:
    # Neither as a suggestion nor among the "related" entries under an answer.
    for question in ("异地就医备案有效期多长", "个人账户能给家里人用吗", "医保卡补办"):
        _, _, ranked = engine.rank(question)
        assert not any(s.entry_id.startswith(OUT_OF_SCOPE_PREFIX) for s in ranked)
    for entry in engine.kb.entries:
        assert all(e.id in engine.kb.by_id for e in engine.related(entry.id))


def test_entries_still_answer_their_own_questions(engine: Engine) -> None:
    # The neighbours of the gaps above keep their questions.
    for question, entry in (
        ("异地就医备案需要什么材料", "xp-filing-materials"),
        ("职工医保个人账户可以给家人用吗", "ib-family-account-uses"),
        ("长护险一个月给多少钱", "ltc-monthly-benefit"),
    ):
        r = engine.ask(question)
        assert (r.status, r.entry_id) == ("answer", entry), question


def test_check_faq_reports_a_topic_that_repeats_an_entry(faq_copy: Path) -> None:
    (faq_copy / OUT_OF_SCOPE_FILE).write_text(
        "topics:\n  - id: copy\n    questions:\n      zh: [办了长护险一个月能拿到多少钱]\n",
        encoding="utf-8",
    )
    found = overlaps(load_kb(faq_copy))
    pair = next(o for o in found if OUT_OF_SCOPE_PREFIX + "copy" in (o.entry_a, o.entry_b))
    assert OUT_OF_SCOPE_FILE in (pair.file_a, pair.file_b)


@pytest.mark.parametrize("question", ["医保", "异地就医", "备案", "报销", "乌海医保"])
def test_a_topic_named_alone_asks_for_more(
    engine: Engine, renderer: Renderer, question: str
) -> None:
    """医保 alone is not a question the reports fail to answer: it is one not asked yet.
    (A topic whose closest entries are clear enough, 异地就医, offers them instead.)"""
    r = engine.ask(question)
    assert r.status == "clarify" or (r.status == "fallback" and r.reason == "broad"), question
    if r.status == "fallback":
        assert renderer.loc.t("zh", "fallback.broad") in renderer.plain(r)
    assert all(not s.entry_id.startswith(OUT_OF_SCOPE_PREFIX) for s in r.suggestions)


def test_a_broad_topic_offers_its_closest_entries_as_examples(engine: Engine) -> None:
    r = engine.ask("异地就医")
    assert r.suggestions and all(s.entry_id.startswith("xp-") for s in r.suggestions)


@pytest.mark.parametrize("question", ["长护险", "医保卡丢了怎么补办", "乳腺癌报销多少"])
def test_a_topic_with_an_answer_or_a_real_question_is_not_broad(
    engine: Engine, question: str
) -> None:
    assert engine.ask(question).reason != "broad", question

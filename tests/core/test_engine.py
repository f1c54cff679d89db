"""The engine's decisions: answer, clarify, fallback, and where an answer holds."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.core.decision import Scored, Thresholds, decide
from bot.core.engine import Engine, as_of_date, is_stale
from bot.core.kb import KnowledgeBase
from bot.core.render import Renderer
from tests.helpers import JSON_KEYS


def s(entry: str, score: float) -> Scored:
    return Scored(entry, score, score, score, score)


class TestDecide:
    t = Thresholds(answer=60, margin=5, clarify=40, max_suggestions=3)

    def test_strong_and_clear_answers(self) -> None:
        d = decide([s("a", 80), s("b", 50)], self.t)
        assert d.status == "answer" and d.best and d.best.entry_id == "a"

    def test_strong_but_close_clarifies(self) -> None:
        d = decide([s("a", 80), s("b", 78), s("c", 45), s("d", 41), s("e", 10)], self.t)
        assert d.status == "clarify"
        assert [x.entry_id for x in d.suggestions] == ["a", "b", "c"]

    def test_middling_clarifies(self) -> None:
        assert decide([s("a", 50)], self.t).status == "clarify"

    def test_weak_falls_back(self) -> None:
        d = decide([s("a", 39)], self.t)
        assert d.status == "fallback" and not d.suggestions

    def test_nothing_falls_back(self) -> None:
        assert decide([], self.t).status == "fallback"


def test_clear_question_is_answered_with_region_and_source(engine: Engine) -> None:
    r = engine.ask("长期护理保险一个月最多能报多少钱")
    assert r.status == "answer" and r.entry_id == "ltc-monthly-benefit"
    assert [v.region for v in r.variants] == ["changji"]
    assert r.variants[0].source == "changji-ltc-2025"


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀", "？？！！", "\x00\x01\x02"])
def test_empty_or_symbol_only_falls_back(engine: Engine, text: str) -> None:
    r = engine.ask(text)
    assert r.status == "fallback" and r.reason == "empty"


@pytest.mark.parametrize("text", ["今天天气怎么样", "asdfghjkl", "给我讲个笑话"])
def test_off_topic_falls_back(engine: Engine, text: str) -> None:
    assert engine.ask(text).status == "fallback"


def test_traditional_characters_match_like_simplified(engine: Engine) -> None:
    a = engine.ask("長期護理保險每個月能領多少錢")
    b = engine.ask("长期护理保险每个月能领多少钱")
    assert (a.status, a.entry_id) == (b.status, b.entry_id)


def test_uncovered_region_never_gets_another_regions_figures(engine: Engine) -> None:
    r = engine.ask("北京长期护理保险一个月最多能报多少钱")
    assert r.status == "fallback" and r.reason == "region_not_covered"
    assert r.mention is not None and r.mention.name == "北京"
    assert r.entry_id is None and not r.variants


def test_region_named_in_question_picks_its_variant(engine: Engine) -> None:
    r = engine.ask("乌海家庭医生签约了多少人")
    if r.status == "answer":
        assert [v.region for v in r.variants] == ["wuhai"]
    else:
        for sug in r.suggestions:
            assert all(v.region == "wuhai" for v in sug.variants)


def test_preferred_region_picks_variant(engine: Engine) -> None:
    r = engine.answer_entry("fd-signup-figures", region="tongliao")
    assert [v.region for v in r.variants] == ["tongliao"] and not r.other_region


def test_no_variant_for_preferred_region_is_flagged(engine: Engine, renderer: Renderer) -> None:
    r = engine.answer_entry("ltc-monthly-benefit", region="wuhai")
    assert r.other_region and [v.region for v in r.variants] == ["changji"]
    text = renderer.plain(r)
    assert "乌海" in text and "昌吉" in text


def test_region_wide_answer_holds_inside(kb: KnowledgeBase, engine: Engine) -> None:
    # A Xinjiang-wide variant holds in Horgos; a Changji one does not hold in Horgos.
    assert kb.ancestors("horgos") == ("horgos", "xinjiang")
    assert kb.ancestors("jimsar") == ("jimsar", "changji", "xinjiang")
    r = engine.answer_entry("ltc-monthly-benefit", region="horgos")
    assert r.other_region


def test_staleness(kb: KnowledgeBase) -> None:
    today = dt.date(2026, 11, 25)
    assert as_of_date("2024-02") == dt.date(2024, 2, 29)
    assert as_of_date("2021") == dt.date(2021, 12, 31)
    assert is_stale("2021-11", today)
    assert not is_stale("2025-03-21", today)
    old = Engine(kb, today=today).answer_entry("fd-signup-figures", region="tongliao")
    fresh = Engine(kb, today=dt.date(2022, 1, 1)).answer_entry(
        "fd-signup-figures", region="tongliao"
    )
    assert old.stale and not fresh.stale


def test_stale_answer_carries_caution(engine: Engine, renderer: Renderer) -> None:
    r = engine.answer_entry("fd-signup-figures", region="tongliao")
    assert "两年" in renderer.plain(r)


def test_json_contract(engine: Engine, renderer: Renderer) -> None:
    for q in ("长期护理保险一个月最多能报多少钱", "医保", "今天天气怎么样"):
        for lang in ("zh", "en"):
            d = renderer.to_json(engine.ask(q, lang=lang))
            assert set(d) == JSON_KEYS
            assert d["status"] in ("answer", "clarify", "fallback") and d["lang"] == lang
            assert isinstance(d["score"], float)
            if d["status"] == "answer":
                assert d["entry_id"] and d["answer"] and d["region"]
                assert set(d["source"]) == {"id", "title", "outlet", "date", "region"}
            else:
                assert d["entry_id"] is None and d["answer"] is None
            for sug in d["suggestions"]:
                assert set(sug) == {"entry_id", "question", "answer", "score"}


def test_related_entries_prefer_same_topic(engine: Engine) -> None:
    rel = engine.related("ltc-monthly-benefit")
    assert 0 < len(rel) <= 3 and all(e.id != "ltc-monthly-benefit" for e in rel)
    assert rel[0].topic == "long_term_care"


def test_sibling_of_a_covered_region_gets_nothing_of_it(engine: Engine) -> None:
    # 哈密 is in Xinjiang like Changji, but Changji's long-term care rules are not Hami's.
    r = engine.ask("哈密长期护理保险一个月最多能报多少钱")
    assert r.status == "fallback" and r.reason == "region_not_covered"


def test_region_asked_is_answered_by_its_part_under_the_parts_name(
    engine: Engine, renderer: Renderer
) -> None:
    r = engine.ask("新疆长期护理保险一个月最多能报多少钱")
    assert r.status == "answer" and [v.region for v in r.variants] == ["changji"]
    assert "只涉及昌吉州" in renderer.plain(r)


def test_destination_is_not_the_insured_region(engine: Engine) -> None:
    r = engine.ask("我退休了想去海南跟儿子住，能办跨省异地就医备案吗")
    assert r.reason != "region_not_covered"


@pytest.mark.parametrize(
    "question",
    ["我爸退休了跟我在成都住 老家交的新农合 他这种情况能办异地就医备案不",
     "我退休了住在海南，异地就医怎么备案",
     "在外省住院 出院的时候医保报的那块能直接扣掉吗 我爸在兰州做手术",
     "My son studies in Chengdu, does he need to file before seeing a doctor in another "
     "province?",
     "I'm a student in Wuhan. Can I settle my bills directly across provinces?"],
)
def test_where_a_resident_stays_elsewhere_is_not_the_insured_region(
    engine: Engine, question: str
) -> None:
    """In a question about treatment elsewhere, 在成都住 is the destination."""
    assert engine.regions.find(engine.normalizer(question)) is None
    assert engine.ask(question).reason != "region_not_covered"


def test_where_a_resident_works_is_their_place_outside_cross_province_questions(
    engine: Engine,
) -> None:
    """在北京上班 may be where they are insured: the reports' figures are not Beijing's."""
    mention = engine.regions.find(engine.normalizer("我在北京上班，职工医保住院报销比例多少"))
    assert mention is not None and not mention.covered
    r = engine.ask("我在北京上班，职工医保住院报销比例多少")
    assert r.status != "answer"
    # Nor is 住在赤峰: it asks about Chifeng's own childcare subsidy.
    assert engine.ask("住在赤峰，孩子上托育有补贴吗").status != "answer"
    # Inside a covered region, where one lives is where one is most likely insured.
    mention = engine.regions.find(engine.normalizer("我在哈密住，异地就医怎么备案"))
    assert mention is not None and mention.name == "哈密"


@pytest.mark.parametrize("question", ["临泽县 异地就医 要备案吗", "正镶白旗 家庭医生 上门"])
def test_a_county_the_gazetteer_lacks_is_still_a_place(engine: Engine, question: str) -> None:
    """Known by how its name ends: its rules are not answered with another region's."""
    mention = engine.regions.find(engine.normalizer(question))
    assert mention is not None and not mention.covered
    assert engine.ask(question).status != "answer"


@pytest.mark.parametrize(
    "question",
    ["在乡分院抽的血能送到县医院去化验吗", "去临泽县看病要备案吗", "县级市医保报销比例多少"],
)
def test_a_word_ending_like_a_place_is_not_always_one(engine: Engine, question: str) -> None:
    """送到 + 县医院, a county one goes to, and 县级市 (a kind of city) name no place."""
    assert engine.regions.find(engine.normalizer(question)) is None


def test_covered_region_decides_over_a_place_named_in_passing(engine: Engine) -> None:
    r = engine.ask("昌吉是不是学的福建三明医改")
    assert r.reason != "region_not_covered"


def test_a_district_is_not_the_province_of_the_same_name(engine: Engine) -> None:
    mention = engine.regions.find(engine.normalizer("乌海海南区人民医院的医养结合楼"))
    assert mention is not None and mention.region == "wuhai"


def test_a_place_without_the_answer_is_offered_what_the_story_asks_elsewhere(
    engine: Engine,
) -> None:
    """'Only for other regions' is judged on the clause that asks, as answers are."""
    r = engine.ask("我家在包头，老人身体不好，想问问包头这边家庭医生怎么签约")
    assert r.status == "fallback" and r.reason == "region_not_covered"
    assert [s.entry_id for s in r.suggestions] == ["fd-how-to-sign"]

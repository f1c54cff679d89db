"""Engine v2 behaviours (issue 9): acronyms, language, clauses, the model, regions."""

from __future__ import annotations

import pytest

from bot.core.clauses import split_clauses, views
from bot.core.confidence import FEATURES, load_model
from bot.core.engine import Engine
from bot.core.languages import detect_lang
from bot.core.normalize import Normalizer
from bot.core.render import Renderer


def test_latin_acronym_plural_folds_to_the_acronym() -> None:
    n = Normalizer({}, [])
    assert n("DRGs付费是什么") == n("DRG付费是什么")
    assert n("drugs") == "drugs"  # a lower-case word keeps its s


def test_language_follows_the_question() -> None:
    assert detect_lang("长护险一个月给多少钱") == "zh"
    assert detect_lang("DRG是什么") == "zh"
    assert detect_lang("How do I file for treatment in another province?") == "en"
    assert detect_lang("What is 长护险 exactly?") == "en"
    assert detect_lang("😀", default="en") == "en"


def test_ask_answers_in_the_questions_language_unless_fixed(engine: Engine) -> None:
    assert engine.ask("How much does long-term care insurance pay per month?").lang == "en"
    assert engine.ask("长护险一个月给多少钱").lang == "zh"
    assert engine.ask("长护险一个月给多少钱", lang="en").lang == "en"


def test_clauses_and_views() -> None:
    assert split_clauses("长护险") == ["长护险"] and views("长护险") == []
    assert split_clauses("费用1,000元能报多少") == ["费用1,000元能报多少"]
    v = views("我妹妹在广州打工，住院了，能报多少")
    assert "我妹妹在广州打工" in v and "住院了，能报多少" in v


def test_views_skip_clauses_that_say_nothing_and_repeat_none() -> None:
    """A closing 谢谢 or an opening 另外 is no view, and does not push a real one out."""
    key = {"谢谢": "", "另外": ""}.get
    v = views("家庭医生怎么签约，另外，长护险怎么申请，谢谢", lambda c: key(c, c))
    assert "家庭医生怎么签约" in v and "长护险怎么申请" in v
    assert not any(c in ("谢谢", "另外") for c in v)
    # Two views that match alike are one look-up; one that matches like the whole is none.
    same = views("长护险，长护险", lambda c: "长护险")
    assert same == []


@pytest.mark.parametrize(
    "question",
    [
        "家庭医生怎么签约，长护险怎么申请，谢谢",
        "你好，我想问一下，家庭医生怎么签约，另外长护险怎么申请",
        "家庭医生怎么签约？另外，长护险怎么申请",
    ],
)
def test_two_questions_around_pleasantries_get_both_answers(
    engine: Engine, question: str
) -> None:
    r = engine.ask(question)
    assert r.status == "answer"
    assert {r.entry_id, *(x.entry_id for x in r.also)} == {"fd-how-to-sign", "ltc-how-to-apply"}


def test_model_loads_and_scores_in_range() -> None:
    model = load_model()
    assert len(model.weights) == len(FEATURES)
    assert {"answer", "margin", "clarify"} <= set(model.thresholds)
    low, high = model((0.0,) * len(FEATURES)), model((1.0,) * len(FEATURES))
    assert 0.0 <= low <= 1.0 and 0.0 <= high <= 1.0


def test_picked_region_labelled_suggestion_answers_for_that_region_only(
    engine: Engine,
) -> None:
    entry = next(e for e in engine.kb.entries if len({v.region for v in e.variants}) > 2)
    region = entry.variants[-1].region
    r = engine.answer_entry(entry.id, region=region)
    assert {v.region for v in r.variants} == {region}


def test_wuhai_direct_settlement_is_answered_for_wuhai(engine: Engine) -> None:
    # Not a "no information for Wuhai" nor a clarify: xp-need-filing has a Wuhai variant
    # (不备案直接结算), and the answer shown is that variant only.
    for q in ("乌海异地就医直接结算", "我是乌海的，去北京看病能直接结算吗"):
        r = engine.ask(q)
        assert r.status == "answer", (q, r.status, r.suggestions)
        assert r.entry_id == "xp-need-filing", q
        assert [v.region for v in r.variants] == ["wuhai"], q


def test_english_cross_province_questions(engine: Engine) -> None:
    # Stemming (hospitalised ~ hospitalisation), register ~ file, seeing a doctor ~ treatment.
    q = "How do I get reimbursed if I am hospitalised in another province?"
    r = engine.ask(q)
    # Answered, or offered first: English evidence runs lower than Chinese.
    assert r.status in ("answer", "clarify") and r.lang == "en"
    assert engine.rank(q)[2][0].entry_id == "xp-inpatient"
    r = engine.ask("Do I need to register before seeing a doctor in another province?")
    assert (r.status, r.entry_id) == ("answer", "xp-need-filing")


def test_stemmer_meets_word_forms() -> None:
    from bot.core.normalize import stem

    assert stem("hospitalised") == stem("hospitalization") == stem("hospital")
    assert stem("settle") == stem("settled") == stem("settlement")
    assert stem("file") == stem("filing") == stem("files")


@pytest.mark.parametrize("question, entry", [
    ("北京异地就医怎么备案", "xp-filing-channels"),
    ("哈密长护险一个月给多少", "ltc-monthly-benefit"),
    ("How much does long-term care insurance pay in Beijing?", "ltc-monthly-benefit"),
])
def test_an_uncovered_place_is_told_so_and_offered_other_regions_knowingly(
        engine: Engine, question: str, entry: str) -> None:
    # Word evidence counts the place against every entry; the engine must still tell "the
    # reports have this, but not for X" (covered regions listed, labelled suggestions) from
    # "nothing fits", and never answer with another region's figures.
    r = engine.ask(question)
    assert r.status == "fallback" and r.reason == "region_not_covered"
    assert not r.variants and entry in [s.entry_id for s in r.suggestions]


@pytest.mark.parametrize("question, entry", [
    ("去外地住院要先办啥手续？", "xp-need-filing"),
    ("长护险一个月给多少钱", "ltc-monthly-benefit"),
])
def test_the_product_examples_are_answered(engine: Engine, question: str, entry: str) -> None:
    # The two questions the product description itself gives as what residents type.
    r = engine.ask(question)
    assert (r.status, r.entry_id) == ("answer", entry)


@pytest.mark.parametrize("question, region, entry", [
    ("通辽长护险一个月给多少钱", "tongliao", "ltc-monthly-benefit"),
    ("乌海长护险怎么申请", "wuhai", "ltc-how-to-apply"),
])
def test_a_covered_region_without_this_answer_is_told_so(
    engine: Engine, renderer: Renderer, question: str, region: str, entry: str
) -> None:
    # Long-term care insurance is Changji's: Tongliao's question gets neither Changji's
    # figures nor a bare "no answer", but "the reports have this only for other regions".
    r = engine.ask(question)
    assert r.status == "fallback" and r.reason == "region_not_covered" and not r.variants
    assert r.mention is not None and r.mention.region == region
    assert entry in [s.entry_id for s in r.suggestions]
    text = "\n".join(renderer.fallback_lines(r))
    assert renderer.region(region, "zh") in text and "只覆盖" not in text


def test_a_covered_region_that_has_the_answer_is_not_told_it_lacks_it(engine: Engine) -> None:
    # xp-need-filing has Wuhai's answer: however unsure the match, "the reports have this
    # only for other regions" would be false here.
    r = engine.ask("乌海这边跨省看病还用备案不")
    assert r.reason != "region_not_covered"

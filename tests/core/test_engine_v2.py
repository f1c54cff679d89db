"""Engine v2 behaviours (issue 9): acronyms, language, clauses, the model, regions."""

from __future__ import annotations

from bot.core.clauses import split_clauses, views
from bot.core.confidence import FEATURES, load_model
from bot.core.engine import Engine
from bot.core.languages import detect_lang
from bot.core.normalize import Normalizer


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


def test_wuhai_direct_settlement_stays_in_wuhai(engine: Engine) -> None:
    # Not a "no information for Wuhai": the cross-province entries have Wuhai variants.
    for q in ("乌海异地就医直接结算", "我是乌海的，去北京看病能直接结算吗"):
        r = engine.ask(q)
        assert r.reason != "region_not_covered", q
        shown = r.variants or tuple(v for s in r.suggestions for v in s.variants)
        assert shown and all(v.region == "wuhai" for v in shown), q

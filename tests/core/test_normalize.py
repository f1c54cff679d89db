"""Normalization: the same question typed differently reads the same."""

from __future__ import annotations

from bot.core.engine import Engine
from bot.core.normalize import tokens


def test_width_case_script_punctuation(engine: Engine) -> None:
    n = engine.normalizer
    assert n("長期護理保險！！") == n("长期护理保险") == "长期护理保险"
    assert n("ＡＰＰ怎么用？") == n("app怎么用")


def test_fillers_and_synonyms(engine: Engine) -> None:
    n = engine.normalizer
    assert n("你好，请问长护险是啥呀") == "长期护理保险是什么"
    assert n("去外地看病") == "去异地就医"


def test_one_character_particles_only_at_clause_end(engine: Engine) -> None:
    n = engine.normalizer
    assert "哈密" in n("哈密的医保")
    assert n("能报销吗啊") == n("能报销吗")


def test_synonyms_do_not_rewrite_inside_longer_words(engine: Engine) -> None:
    n = engine.normalizer
    assert "国家医保" in n("国家医保APP")
    assert n("长期护理保险") == "长期护理保险"


def test_the_short_name_of_the_family_doctor_only_where_it_stands_alone(
    engine: Engine,
) -> None:
    """家医 is 家庭医生, but not inside 国家医保, 哪家医院 or 107家医疗机构."""
    n = engine.normalizer
    assert n("想给我爸妈签个家医") == "想给我爸妈签个家庭医生"
    assert n("家医上门吗") == "家庭医生上门吗"
    for kept in ("国家医保app上能备案吗", "哪家医院能直接结算", "已有107家医疗机构", "老家医保卡"):
        assert "家庭医生" not in n(kept), kept
    assert n("老家医疗保险能报吗") == "老家医保能报吗"
    # 一保 is a typo of 医保, but not the end of 统一.
    assert n("职工一保 门诊能报不") == "职工医保 门诊能报不"
    assert n("全国统一保障标准") == "全国统一保障标准"


def test_tokens_are_cjk_ngrams_and_latin_words() -> None:
    assert tokens("长护 drg") == ["长", "护", "长护", "drg"]
    assert tokens("") == []

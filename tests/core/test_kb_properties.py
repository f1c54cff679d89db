"""Property: whatever dates and YAML scalars an admin types, the loader gives a valid KB or a
clean FaqError, never another exception (which would take `check-faq`, hot reload or `run`
down with a traceback)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.engine import as_of_date, is_stale
from bot.core.kb import SPECIAL_FILES, FaqError, load_kb
from tests.helpers import FAQ_DIR, TODAY

TOPIC = """\
topic: {{id: zz, zh: 测试, en: Test}}
entries:
  - id: {eid}
    questions:
      zh: [长护险每月能领多少钱, 长期护理保险待遇标准, 长护险给多少, 护理保险一个月报多少]
      en: [{en}]
    keywords: {keywords}
    region: {region}
    source: changji-ltc-2025
    as_of: {as_of}
    answer:
      zh: 测试答案。
      en: {answer}
"""


@pytest.fixture(scope="module")
def mini_faq(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real sources, regions and synonyms with one topic file the examples rewrite."""
    root = tmp_path_factory.mktemp("faq")
    for name in SPECIAL_FILES:
        shutil.copy(FAQ_DIR / name, root / name)
    return root


def _dates() -> st.SearchStrategy[str]:
    numbers = st.tuples(st.integers(0, 99999), st.integers(0, 99), st.integers(0, 99))
    spelled = numbers.flatmap(lambda t: st.sampled_from([
        f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d}", f"{t[0]:04d}-{t[1]:02d}", f"{t[0]:04d}",
        f"{t[0]}-{t[1]}-{t[2]}", f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d} 10:00:00",
        f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d}T25:61:61+99:00",
    ]))
    quoted = spelled.map(lambda s: f'"{s}"')
    return st.one_of(spelled, quoted, st.dates().map(str))


def _scalars() -> st.SearchStrategy[str]:
    """YAML scalars as typed: dumped values of any type, and raw text on one line."""
    dumped = st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20),
        st.lists(st.text(max_size=5), max_size=3), st.dates(), st.datetimes(),
    ).map(lambda v: yaml.safe_dump(v, default_flow_style=True, width=10_000).strip()
          .removesuffix("...").strip().replace("\n", " "))
    raw = st.text(st.characters(exclude_categories=("Cs",)), max_size=20).map(
        lambda s: s.replace("\n", " ").replace("\r", " ")
    )
    return st.one_of(dumped, raw, _dates(), st.sampled_from(["~", "[]", "{}", "!!binary x",
                                                              "!!timestamp 2025-02-30", "*a"]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(as_of=_dates() | _scalars(), eid=_scalars(), region=_scalars(), keywords=_scalars(),
       en=_scalars(), answer=_scalars())
def test_loader_gives_a_valid_kb_or_a_clean_faq_error(
    mini_faq: Path, as_of: str, eid: str, region: str, keywords: str, en: str, answer: str
) -> None:
    text = TOPIC.format(as_of=as_of, eid=eid, region=region, keywords=keywords, en=en,
                        answer=answer)
    (mini_faq / "zz.yaml").write_text(text, encoding="utf-8")
    try:
        kb = load_kb(mini_faq)
    except FaqError as exc:
        assert exc.problems and all(p.file and p.message for p in exc.problems)
        return
    for e in kb.entries:  # what the engine will do with every date it was given
        for v in e.variants:
            as_of_date(v.as_of)
            is_stale(v.as_of, TODAY)
    for s in kb.sources.values():
        as_of_date(s.date)


@settings(max_examples=200, deadline=None)
@given(as_of=_dates())
def test_every_accepted_as_of_is_a_real_date(mini_faq: Path, as_of: str) -> None:
    text = TOPIC.format(as_of=as_of, eid="t-date", region="changji", keywords="[]",
                        en='"How much?"', answer="An answer.")
    (mini_faq / "zz.yaml").write_text(text, encoding="utf-8")
    try:
        kb = load_kb(mini_faq)
    except FaqError as exc:
        assert any(p.field == "as_of" and p.entry == "t-date" and p.line == 3
                   for p in exc.problems), exc
        return
    assert 1900 < as_of_date(kb.entry("t-date").variants[0].as_of).year < 2200

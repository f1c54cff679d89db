"""Loading validates the whole FAQ and names file, entry, field (and line) of each problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.kb import FaqError, KnowledgeBase, load_kb
from bot.core.languages import MIN_PHRASINGS

MINI_TOPIC = """\
topic: {{id: {stem}, zh: 测试, en: Test}}
entries:
  - id: {eid}
    questions:
      zh: [长护险每月能领多少钱, 长期护理保险待遇标准, 长护险给多少, 护理保险一个月报多少]
      en: ["How much does long-term care insurance pay?"]
    region: changji
    source: {source}
    as_of: "2025-03-21"
    answer:
      zh: 测试答案。
      en: A test answer.
"""


def write_topic(faq: Path, stem: str, eid: str = "t-one", source: str = "changji-ltc-2025") -> Path:
    path = faq / f"{stem}.yaml"
    path.write_text(MINI_TOPIC.format(stem=stem, eid=eid, source=source), encoding="utf-8")
    return path


def problems_of(faq: Path) -> list[str]:
    with pytest.raises(FaqError) as info:
        load_kb(faq)
    return [str(p) for p in info.value.problems]


def test_real_faq_loads(kb: KnowledgeBase) -> None:
    assert len(kb.entries) >= 60
    core = {"cross_province", "long_term_care", "family_doctor"}
    assert core <= {t.id for t in kb.topics}
    for e in kb.entries:
        assert len(e.questions["zh"]) >= MIN_PHRASINGS["zh"]
        assert e.questions["en"]
        for v in e.variants:
            assert v.answer["zh"] and v.answer["en"]
            assert v.source in kb.sources and v.region in kb.regions


def test_core_topics_in_depth(kb: KnowledgeBase) -> None:
    for topic, minimum in (("cross_province", 10), ("long_term_care", 8), ("family_doctor", 6)):
        assert len(kb.entries_in(topic)) >= minimum, topic


def test_yaml_syntax_error_names_file_and_line(faq_copy: Path) -> None:
    (faq_copy / "broken.yaml").write_text("topic: {id: broken\nentries: [\n", encoding="utf-8")
    found = problems_of(faq_copy)
    assert any(p.startswith("broken.yaml:") and "YAML syntax error" in p for p in found)


def test_duplicate_id_names_both_files(faq_copy: Path, kb: KnowledgeBase) -> None:
    existing = kb.entries[0]
    write_topic(faq_copy, "zz_dupe", eid=existing.id)
    found = problems_of(faq_copy)
    assert any("zz_dupe.yaml" in p and existing.id in p and existing.file in p for p in found)


def test_unknown_source_names_entry_and_field(faq_copy: Path) -> None:
    write_topic(faq_copy, "zz_src", eid="t-src", source="no-such-report")
    found = problems_of(faq_copy)
    assert any("zz_src.yaml" in p and "'t-src'" in p and "'source'" in p for p in found)


def test_missing_answer_and_few_phrasings(faq_copy: Path) -> None:
    path = write_topic(faq_copy, "zz_bad", eid="t-bad")
    text = path.read_text(encoding="utf-8")
    text = text.replace("      en: A test answer.\n", "")
    text = text.replace("长护险每月能领多少钱, 长期护理保险待遇标准, ", "")
    path.write_text(text, encoding="utf-8")
    found = problems_of(faq_copy)
    assert any("'t-bad'" in p and "answer.en" in p for p in found)
    assert any("'t-bad'" in p and "questions.zh" in p for p in found)


def test_every_problem_reported_at_once(faq_copy: Path) -> None:
    write_topic(faq_copy, "zz_a", eid="t-a", source="nope-a")
    write_topic(faq_copy, "zz_b", eid="t-b", source="nope-b")
    found = problems_of(faq_copy)
    assert any("nope-a" in p for p in found) and any("nope-b" in p for p in found)


def test_topic_id_must_match_file_name(faq_copy: Path) -> None:
    path = write_topic(faq_copy, "zz_name")
    path.rename(faq_copy / "zz_other.yaml")
    assert any("zz_other.yaml" in p and "topic.id" in p for p in problems_of(faq_copy))


def test_missing_directory() -> None:
    with pytest.raises(FaqError, match="not found"):
        load_kb("/nonexistent/faq")


def test_unquoted_dates_are_accepted(faq_copy: Path) -> None:
    path = write_topic(faq_copy, "zz_date", eid="t-date")
    path.write_text(
        path.read_text(encoding="utf-8").replace('"2025-03-21"', "2025-03-21"), encoding="utf-8"
    )
    assert load_kb(faq_copy).entry("t-date").variants[0].as_of == "2025-03-21"


def test_core_topics_are_the_three_flagged(kb: KnowledgeBase) -> None:
    assert {t.id for t in kb.core_topics} == {"cross_province", "long_term_care", "family_doctor"}

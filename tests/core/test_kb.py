"""Loading validates the whole FAQ and names file, entry, field (and line) of each problem."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.core.kb import FaqError, KnowledgeBase, load_kb
from bot.core.languages import MIN_PHRASINGS
from tests.core.helpers import problems_of
from tests.helpers import FAQ_DIR

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


# --------------------------------------------------------------------------- impossible dates


@pytest.mark.parametrize(
    "as_of", ['"2025-02-30"', '"2025-13-21"', "2025-02-30", "2025-13-21", '"2025-00"', '"0000"',
              '"２０２５-03-21"', "9999-12-31"],
)
def test_impossible_as_of_is_rejected_with_file_entry_field_and_line(
    faq_copy: Path, as_of: str
) -> None:
    path = write_topic(faq_copy, "zz_date", eid="t-date")
    path.write_text(
        path.read_text(encoding="utf-8").replace('"2025-03-21"', as_of), encoding="utf-8"
    )
    found = problems_of(faq_copy)
    # The entry mapping starts on line 3 of MINI_TOPIC.
    assert any(p.startswith("zz_date.yaml:3 entry 't-date' field 'as_of'") for p in found), found


def test_impossible_source_date_is_rejected_with_file_and_entry(faq_copy: Path) -> None:
    path = faq_copy / "sources.yaml"
    text = path.read_text(encoding="utf-8")
    import re

    text, n = re.subn(r"date: \"?\d{4}-\d{2}-\d{2}\"?", "date: 2024-02-31", text, count=1)
    assert n == 1
    path.write_text(text, encoding="utf-8")
    found = problems_of(faq_copy)
    assert any(p.startswith("sources.yaml:") and "field 'date'" in p for p in found), found


def test_valid_partial_dates_still_load(faq_copy: Path) -> None:
    path = write_topic(faq_copy, "zz_date", eid="t-date")
    path.write_text(
        path.read_text(encoding="utf-8").replace('"2025-03-21"', '"2024-02"'), encoding="utf-8"
    )
    assert load_kb(faq_copy).entry("t-date").variants[0].as_of == "2024-02"


def test_duplicate_id_gives_file_and_line_of_both(faq_copy: Path, kb: KnowledgeBase) -> None:
    existing = kb.entries[0]
    assert existing.line is not None
    write_topic(faq_copy, "zz_dupe", eid=existing.id)
    found = problems_of(faq_copy)
    assert any(p.startswith(f"zz_dupe.yaml:3 entry '{existing.id}'")
               and f"{existing.file}:{existing.line}" in p for p in found), found


def test_phrasings_know_their_lines(kb: KnowledgeBase) -> None:
    for e in kb.entries[:5]:
        lines = (FAQ_DIR / e.file).read_text(encoding="utf-8").splitlines()
        for i, q in enumerate(e.questions["zh"]):
            line = e.phrasing_line("zh", i)
            assert line is not None and q in lines[line - 1], (e.id, q)


@pytest.mark.parametrize(
    "field, broken", [("stay_topics", "{异地: 1}"), ("place_suffixes", "{县: 1}")]
)
def test_region_word_lists_must_be_lists_of_words(
    faq_copy: Path, field: str, broken: str
) -> None:
    path = faq_copy / "regions.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(rf"{field}: \[.*\]", f"{field}: {broken}", text), encoding="utf-8")
    found = problems_of(faq_copy)
    assert any("regions.yaml" in p and field in p for p in found)

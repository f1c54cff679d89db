"""`check-faq`'s overlap warning: none in the shipped FAQ, and it does fire when it should."""

from __future__ import annotations

from pathlib import Path

from bot.core.check import overlaps, summary
from bot.core.kb import KnowledgeBase, load_kb


def test_shipped_faq_has_no_overlapping_phrasings(kb: KnowledgeBase) -> None:
    found = overlaps(kb)
    assert not found, "\n".join(str(o) for o in found)


def test_overlap_is_reported_after_normalization(faq_copy: Path, kb: KnowledgeBase) -> None:
    # Copy one entry's phrasing into another entry, in traditional characters with
    # full-width punctuation: normalization must still see they are the same.
    a, b = kb.entries_in("long_term_care")[:2]
    phrasing = a.questions["zh"][0]
    path = faq_copy / b.file
    text = path.read_text(encoding="utf-8")
    first_b = b.questions["zh"][0]
    import zhconv

    twin = zhconv.convert(phrasing, "zh-tw") + "？"
    path.write_text(text.replace(first_b, twin, 1), encoding="utf-8")
    found = overlaps(load_kb(faq_copy))
    assert any({o.entry_a, o.entry_b} == {a.id, b.id} for o in found)


def test_summary_counts(kb: KnowledgeBase) -> None:
    text = summary(kb)
    assert f"{len(kb.entries)} entries" in text
    for topic in ("cross_province", "long_term_care", "family_doctor"):
        assert topic in text

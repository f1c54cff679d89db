"""`check-faq`'s overlap warning: none in the shipped FAQ, and it does fire when it should."""

from __future__ import annotations

from pathlib import Path

import pytest

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


def _brute_force(kb: KnowledgeBase, threshold: float = 90.0) -> set[tuple[str, str]]:
    """The entry pairs a comparison of every phrasing with every other finds (the old way)."""
    from rapidfuzz import fuzz

    from bot.core.normalize import Normalizer

    norm = Normalizer(kb.synonyms, kb.fillers)
    rows = [(e.id, norm(q)) for e in kb.entries for qs in e.questions.values() for q in qs]
    pairs = set()
    for i, (ea, a) in enumerate(rows):
        for eb, b in rows[i + 1 :]:
            if ea != eb and fuzz.ratio(a, b, processor=None, score_cutoff=threshold):
                pairs.add((min(ea, eb), max(ea, eb)))
    return pairs


def _synthetic(kb: KnowledgeBase, size: int, seed: int) -> KnowledgeBase:
    """`size` entries: the real ones and copies with a few characters changed, dropped or
    added, so that many pairs sit just above and just below the threshold."""
    import dataclasses
    import random

    rng = random.Random(seed)
    chars = sorted({c for e in kb.entries for qs in e.questions.values() for q in qs for c in q})
    entries = list(kb.entries)
    while len(entries) < size:
        base = rng.choice(kb.entries)

        def perturb(text: str) -> str:
            cs = list(text)
            for _ in range(rng.choice((0, 1, 1, 2, 3, 5))):
                k = rng.randrange(len(cs) + 1)
                op = rng.choice("sdi")
                if op == "s" and k < len(cs):
                    cs[k] = rng.choice(chars)
                elif op == "d" and k < len(cs) and len(cs) > 1:
                    del cs[k]
                else:
                    cs.insert(k, rng.choice(chars))
            return "".join(cs)

        questions = {lang: tuple(perturb(q) for q in qs) for lang, qs in base.questions.items()}
        entries.append(dataclasses.replace(base, id=f"syn-{len(entries)}", questions=questions))
    return dataclasses.replace(kb, entries=tuple(entries), by_id={e.id: e for e in entries})


@pytest.mark.parametrize("seed", [1, 2])
def test_overlap_check_finds_the_same_pairs_as_comparing_every_pair(
    kb: KnowledgeBase, seed: int
) -> None:
    big = _synthetic(kb, 260, seed)
    expected = _brute_force(big)
    assert len(expected) > 20  # the data does exercise the check
    assert {(min(o.entry_a, o.entry_b), max(o.entry_a, o.entry_b)) for o in overlaps(big)} == \
        expected


def test_near_duplicate_warning_names_file_and_line_of_both(
    faq_copy: Path, kb: KnowledgeBase
) -> None:
    a, b = kb.entries_in("long_term_care")[:2]
    path = faq_copy / b.file
    first_b = b.questions["zh"][0]
    path.write_text(path.read_text(encoding="utf-8").replace(first_b, a.questions["zh"][0], 1),
                    encoding="utf-8")
    (o,) = [o for o in overlaps(load_kb(faq_copy)) if {o.entry_a, o.entry_b} == {a.id, b.id}]
    for entry, file, line, phrasing in ((o.entry_a, o.file_a, o.line_a, o.phrasing_a),
                                        (o.entry_b, o.file_b, o.line_b, o.phrasing_b)):
        assert file == kb.entry(entry).file and line is not None
        assert phrasing in (faq_copy / file).read_text(encoding="utf-8").splitlines()[line - 1]

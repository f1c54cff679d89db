"""Every figure in a Chinese answer appears in the report the answer cites."""

from __future__ import annotations

import re

import pytest

from bot.core.kb import KnowledgeBase
from tests.helpers import SEEDS_DIR

NUMBER = re.compile(r"\d+(?:\.\d+)?")

pytestmark = pytest.mark.skipif(
    not SEEDS_DIR.is_dir(), reason=f"source reports not found at {SEEDS_DIR} (../shared/seeds)"
)


def seed_text(name: str) -> str:
    # The reports are extracted from newspaper pages: numbers can be split by line breaks
    # and spaces ("2 月 19 日"), so compare against the text with white space removed.
    return "".join((SEEDS_DIR / name).read_text(encoding="utf-8").split())


def test_every_number_is_in_the_cited_report(kb: KnowledgeBase) -> None:
    missing = []
    for e in kb.entries:
        for v in e.variants:
            text = seed_text(kb.sources[v.source].file)
            for n in NUMBER.findall(v.answer["zh"]):
                if n not in text:
                    missing.append(f"{e.id} [{v.region}] cites {v.source} but {n} is not in it")
    assert not missing, "\n".join(missing)


def test_english_answers_carry_the_same_figures(kb: KnowledgeBase) -> None:
    differ = []
    for e in kb.entries:
        for v in e.variants:
            zh = set(NUMBER.findall(v.answer["zh"]))
            en = set(NUMBER.findall(v.answer["en"]))
            if not en <= zh:
                differ.append(f"{e.id} [{v.region}]: en has {sorted(en - zh)} not in zh")
    assert not differ, "\n".join(differ)


def test_source_files_exist(kb: KnowledgeBase) -> None:
    for s in kb.sources.values():
        assert (SEEDS_DIR / s.file).is_file(), s.id


# Facts carry over from the reports, their sentences do not. Names in quotes or 《》 and
# short fact phrases ("截至2023年12月31日") may match; a run this long is a copied sentence.
COPIED_RUN = 25
QUOTED = re.compile(r"《[^》]*》|“[^”]*”|\"[^\"]*\"")
# The reports mix half-width and full-width punctuation ("," in one, "，" in another): a
# sentence copied with its commas swapped is still copied, so both sides are folded first.
FOLD = str.maketrans(
    {"，": ",", "；": ";", "：": ":", "（": "(", "）": ")", "！": "!", "？": "?", "％": "%",
     "“": '"', "”": '"', "‘": "'", "’": "'", "—": "-"}
)


def fold(text: str) -> str:
    return "".join(text.split()).translate(FOLD)


def longest_shared_run(answer: str, source: str, strip_quotes: bool = True) -> str:
    """The longest run of `answer` (white space removed) that also occurs in `source`.

    With `strip_quotes`, quoted names are cut out first, so a run cannot span them; without
    it the raw text is measured, so a copied sentence that merely contains a quoted name
    (or sits inside quotes) is caught too."""
    text = "".join(answer.split())
    parts = QUOTED.sub("|", text).split("|") if strip_quotes else [text]
    parts = [fold(p) for p in parts]
    source = fold(source)
    best = ""
    for part in parts:
        i = 0
        while i + len(best) < len(part):
            j = i + len(best) + 1
            if part[i:j] in source:
                while j < len(part) and part[i : j + 1] in source:
                    j += 1
                best = part[i:j]
            else:
                i += 1
    return best


@pytest.mark.parametrize("strip_quotes", [True, False], ids=["quotes-stripped", "raw"])
def test_answers_are_written_in_own_words(kb: KnowledgeBase, strip_quotes: bool) -> None:
    copied = []
    for e in kb.entries:
        for v in e.variants:
            source = seed_text(kb.sources[v.source].file)
            run = longest_shared_run(v.answer["zh"], source, strip_quotes)
            if len(run) >= COPIED_RUN:
                copied.append(f"{e.id} [{v.region}]: {run}")
    assert not copied, "\n".join(copied)


def test_copied_run_is_measured_on_raw_text_too() -> None:
    source = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥天地玄黄宇宙洪荒"
    answer = "报道说“甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥天地玄黄”。"
    assert longest_shared_run(answer, source) == ""
    assert len(longest_shared_run(answer, source, strip_quotes=False)) >= COPIED_RUN
    # A copy with its commas swapped between full and half width is still a copy.
    source = "甲乙丙丁戊己庚辛壬癸,子丑寅卯辰巳午未申酉,戌亥天地玄黄宇宙洪荒"
    answer = "甲乙丙丁戊己庚辛壬癸，子丑寅卯辰巳午未申酉，戌亥天地玄黄"
    assert len(longest_shared_run(answer, source)) >= COPIED_RUN

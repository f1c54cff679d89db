"""Property: whatever surrounds it and however it is typed (any digit forms, any separator
runs, arbitrary Unicode or bytes around it, before or across the 512/1000-character cuts),
no phone (11 digits, 1[3-9]…), card (16-19 digits) or ID (18 characters, last may be X)
number survives in any stored column or anything staff see: `text`, `normalized`, the CSV
export, the unanswered report (table and JSON) and what `suggest` would add to the FAQ."""

from __future__ import annotations

import asyncio
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.normalize import Normalizer
from bot.staff import clusters, export, tables
from bot.store.masking import MAX_SEPARATOR_RUN
from bot.store.querystore import QueryStore
from bot.store.records import Period
from tests.store.helpers import SECRET, digits_view, rec

NORMALIZE = Normalizer({}, [])

PHONES = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
CARDS = st.from_regex(r"[3-6][0-9]{15,18}", fullmatch=True)  # bank-card IINs start 3-6
IDS = st.from_regex(r"[1-9][0-9]{16}[0-9X]", fullmatch=True)


def _digit_forms(d: int) -> list[str]:
    return [str(d), chr(0xFF10 + d), chr(0x1D7CE + d), chr(0x0660 + d), chr(0x0966 + d),
            "⓪" if d == 0 else chr(0x2460 + d - 1), "⓿" if d == 0 else chr(0x278A + d - 1)]


SEPARATORS = [" ", "  ", ".", "-", "/", "_", "—", "–", "·", "\u3000", "\u200b", "\t", "\n",
              "(", ")", "（", "）", ",", "，", "、", ":", "*", "~", "\\", "|", "'", "\u00a0",
              "\u202e", "\x1b", "＿", "－", "．"]
SEPARATOR_RUNS = st.lists(st.sampled_from(SEPARATORS), min_size=1, max_size=2).map(
    "".join).filter(lambda s: len(s) <= MAX_SEPARATOR_RUN)


@st.composite
def typed(draw: st.DrawFn, number: str) -> str:
    """`number` as someone might type it: each digit in some form, split into groups."""
    form = draw(st.integers(0, len(_digit_forms(0)) - 1))
    mixed = draw(st.booleans())
    out = []
    for i, c in enumerate(number):
        if i and draw(st.integers(0, 3)) == 0:  # a group boundary here
            out.append(draw(SEPARATOR_RUNS))
        if c.isdigit():
            f = draw(st.integers(0, len(_digit_forms(0)) - 1)) if mixed else form
            out.append(_digit_forms(int(c))[f])
        else:
            out.append(draw(st.sampled_from("XxＸ")))
    return "".join(out)


AROUND = st.one_of(
    st.text(max_size=40),
    st.binary(max_size=40).map(lambda b: b.decode("utf-8", "replace")),
    st.binary(max_size=40).map(lambda b: b.decode("utf-8", "surrogateescape")),
    st.text(st.sampled_from("医保卡电话号身份证是多少 ?.,-"), max_size=12),
)


@st.composite
def question(draw: st.DrawFn) -> tuple[str, list[str]]:
    numbers = draw(st.lists(st.one_of(PHONES, CARDS, IDS), min_size=1, max_size=3))
    pad = draw(st.sampled_from([0, 0, 0, 480, 500, 505, 950, 985, 995]))
    parts = ["长" * pad]
    for n in numbers:
        parts.append(draw(AROUND))
        parts.append(draw(st.one_of(st.just(""), SEPARATOR_RUNS)))
        parts.append(draw(typed(n)))
        parts.append(draw(st.one_of(st.just(""), SEPARATOR_RUNS)))
    parts.append(draw(AROUND))
    return "".join(parts), numbers


def _survivors(numbers: list[str], outputs: dict[str, str]) -> list[tuple[str, str]]:
    found = []
    for where, text in outputs.items():
        seen = digits_view(text)
        for n in numbers:
            digits = n.rstrip("X")
            if digits in seen:
                found.append((where, n))
    return found


async def _everything_staff_see(text: str, db: Path) -> dict[str, str]:
    async with await QueryStore.open(db, SECRET) as s:
        await s.log_query(rec(text, status="fallback", normalized=NORMALIZE(text)))
    async with await QueryStore.open(db, None, read_only=True) as s:
        [(stored, normalized)] = await s._all("SELECT text, normalized FROM queries")
        csv_out = io.StringIO(newline="")
        await export.export(s, Period(), "csv", csv_out)
        report = await clusters.unanswered(s, Period(), limit=0, normalizer=NORMALIZE)
    tr = lambda key, /, **v: f"{key} {v}"  # noqa: E731 (the headings do not matter here)
    adds = [p for g in report.groups for ps in clusters.phrasings(g).values() for p in ps]
    return {"text": stored, "normalized": normalized, "csv": csv_out.getvalue(),
            "unanswered": tables.render_unanswered(report, examples=10, tr=tr),
            "unanswered --json": tables.as_json(report), "suggest": "\n".join(adds)}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(question())
def test_no_personal_number_survives_in_any_stored_or_staff_visible_column(
        q: tuple[str, list[str]]) -> None:
    text, numbers = q
    with tempfile.TemporaryDirectory() as tmp:
        outputs = asyncio.run(_everything_staff_see(text, Path(tmp) / "q.db"))
    assert not _survivors(numbers, outputs), (text, outputs)


async def test_suggest_never_offers_a_phrasing_with_a_masked_number(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    typed_numbers = ["138.1234.5678", "(138)1234-5678", "①③⑧①②③④⑤⑥⑦⑧", "6222 0212 3456 7890",
                     "6501 0219 9001 0112 3X"]
    async with await QueryStore.open(db, SECRET) as s:
        for n in typed_numbers:
            text = f"医保卡号{n}丢了怎么补办"
            await s.log_query(rec(text, status="fallback", normalized=NORMALIZE(text)))
        await s.log_query(rec("医保卡丢了怎么补办", status="fallback",
                              normalized="医保卡丢了怎么补办"))
    async with await QueryStore.open(db, None, read_only=True) as s:
        report = await clusters.unanswered(s, Period(), limit=0)
    texts = [q.text for g in report.groups for q in g.questions]
    assert sum("[" in t for t in texts) >= 3  # logged, masked (some merge: same normalized)
    offered = [p for g in report.groups for ps in clusters.phrasings(g).values() for p in ps]
    assert offered == ["医保卡丢了怎么补办"]

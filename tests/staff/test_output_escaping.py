"""Residents' text reaches staff inert: terminal control characters (ESC sequences, BEL,
CR) and bidi overrides in a logged question are shown escaped by every staff output —
terminal tables, CSV, JSON lines and --json."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

import pytest

from bot.staff import export
from bot.staff.escape import json_safe, visible
from bot.store.querystore import QueryStore
from bot.store.records import Period
from tests.staff.helpers import run_cli
from tests.store.helpers import SECRET, rec

# Clears the screen, retitles the window, rings the bell, overwrites the line, reverses text.
HOSTILE = "\x1b[2J\x1b]0;pwned\x07生育津贴\u202eabc\u2066\r\x9b31m怎么领\x7f"
RAW_CONTROLS = ("\x1b", "\x07", "\r", "\x9b", "\x7f", "\u202e", "\u2066")


def _inert(text: str) -> None:
    for c in RAW_CONTROLS:
        assert c not in text, repr(c)


def test_visible_escapes_controls_and_bidi_and_keeps_the_rest() -> None:
    assert visible(HOSTILE) == ("\\x1b[2J\\x1b]0;pwned\\x07生育津贴\\u202eabc\\u2066\\x0d"
                                "\\x9b31m怎么领\\x7f")
    assert visible("家庭医生\t签约\n👨‍👩‍👧 ok") == "家庭医生\t签约\n👨‍👩‍👧 ok"


def test_json_safe_is_the_same_json_value() -> None:
    text = json.dumps({"t": HOSTILE}, ensure_ascii=False)
    safe = json_safe(text)
    _inert(safe)
    assert json.loads(safe) == {"t": HOSTILE}


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "queries.db"

    async def seed() -> None:
        s = await QueryStore.open(path, SECRET)
        await s.log_query(rec(HOSTILE, status="fallback", normalized="生育津贴 abc 怎么领"))
        await s.log_query(rec(HOSTILE, entry_id="e-1"))
        await s.close()
        async with await QueryStore.open(path, SECRET) as s2:
            for qid, in await s2._all("SELECT query_id FROM queries WHERE status = 'answer'"):
                await s2.log_feedback(qid, False)

    asyncio.run(seed())
    return path


@pytest.mark.parametrize("report", ["unanswered", "feedback"])
def test_terminal_reports_never_print_control_characters(
        hostile_db: Path, report: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["review", report, "--all"], hostile_db) == 0
    out = capsys.readouterr().out
    _inert(out)
    assert "\\x1b[2J" in out and "\\u202e" in out


def test_review_json_never_prints_control_characters(
        hostile_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["review", "unanswered", "--all", "--json"], hostile_db) == 0
    out = capsys.readouterr().out
    _inert(out)
    assert json.loads(out)["groups"][0]["questions"][0]["text"] == HOSTILE


async def test_csv_and_jsonl_exports_escape_control_characters(hostile_db: Path) -> None:
    async with await QueryStore.open(hostile_db, None, writer=False) as store:
        buf = io.StringIO(newline="")
        await export.export(store, Period(), "csv", buf)
        jl = io.StringIO()
        await export.export(store, Period(), "jsonl", jl)
    _inert(buf.getvalue().replace("\r\n", "\n"))  # CRLF: the row ends Excel expects
    texts = [r[16] for r in csv.reader(io.StringIO(buf.getvalue().lstrip("\ufeff")))][1:]
    assert texts == [visible(HOSTILE)] * 2
    _inert(jl.getvalue())
    assert [json.loads(line)["text"] for line in jl.getvalue().splitlines()] == [HOSTILE] * 2

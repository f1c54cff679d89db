"""Handoff figures in `review stats` and `review handoff` (bot.staff.handoff)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import pytest

from bot.staff.handoff import percentile
from bot.store.querystore import QueryStore
from tests.staff.helpers import run_cli
from tests.store.helpers import SECRET

T0 = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)


def test_percentile() -> None:
    assert percentile([], 50) is None
    assert percentile([5.0], 90) == 5.0
    assert percentile([float(x) for x in range(1, 11)], 50) == 5.0
    assert percentile([float(x) for x in range(1, 11)], 90) == 9.0


async def _tickets(db: Path) -> None:
    async with await QueryStore.open(db, SECRET) as s:
        for chat, wait_min, closer in ((1, 10, "staff"), (2, 30, "resident"), (3, None, "idle"),
                                       (4, None, None)):
            t, _ = await s.open_ticket(user_id=chat, chat_id=chat, lang="zh", region=None,
                                       question=f"问题{chat}", now=T0)
            if wait_min is not None:
                await s.add_ticket_message(t.number, "out", "text", f"答复{chat}",
                                           now=T0 + dt.timedelta(minutes=wait_min))
            if closer is not None:
                await s.close_ticket(t.number, closer)
        await s.rate_ticket(1, 1, True)
        await s.suggest_faq(1, 4242)


def test_stats_and_handoff_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "q.db"
    asyncio.run(_tickets(db))
    assert run_cli(["review", "stats"], db) == 0
    out = capsys.readouterr().out
    assert "Handoff tickets: 4 (1 open); answered by staff 2; resolved 2 (50.0%)" in out
    assert "First response: p50 0h 10m, p90 0h 30m" in out
    assert "closed by: idle 1, resident 1, staff 1" in out and "👍 1 👎 0" in out
    assert run_cli(["review", "handoff"], db) == 0
    out = capsys.readouterr().out
    assert "Q: 问题1\n  A: 答复1" in out
    assert run_cli(["review", "handoff", "--json"], db) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["stats"]["tickets"] == 4 and data["suggestions"][0]["answer"] == "答复1"

"""Handoff tickets in the query log (bot.store.tickets): one open ticket per resident,
messages both ways (masked), staff-group posts, claims, closing (the chat id is erased),
ratings, FAQ suggestions, idle tickets, and the figures; surviving a reopen."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.store.querystore import QueryStore
from bot.store.records import Period
from tests.store.helpers import SECRET, T0, rec, rows

GROUP = -100777
ID_NUMBER = "11010519491231002X"


async def test_ticket_lifecycle(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    async with await QueryStore.open(path, SECRET) as s:
        t, created = await s.open_ticket(user_id=42, chat_id=42, lang="zh", region="changji",
                                         question=f"我的身份证{ID_NUMBER}怎么办", now=T0)
        assert created and t.is_open and t.number == 1 and t.chat_id == 42
        assert "[ID]" in t.question and ID_NUMBER not in t.question
        again, created = await s.open_ticket(user_id=42, chat_id=42, lang="zh", region=None,
                                             question="again")
        assert not created and again.number == 1  # one open ticket per resident
        other, _ = await s.open_ticket(user_id=43, chat_id=43, lang="en", region=None,
                                       question="q")
        assert other.number == 2
        assert await s.open_ticket_chats() == {42, 43}
        await s.add_ticket_post(1, GROUP, 500)
        await s.add_ticket_post(1, GROUP, 503)
        assert (await s.ticket_by_post(GROUP, 503)).number == 1  # type: ignore[union-attr]
        assert await s.ticket_by_post(GROUP, 999) is None
        assert await s.first_post(1, GROUP) == 500
        await s.add_ticket_message(1, "in", "text", "卡号 6222 0212 3456 7890",
                                   now=T0 + dt.timedelta(minutes=1))
        assert (await s.ticket(1)).first_response is None  # type: ignore[union-attr]
        await s.add_ticket_message(1, "out", "text", "请到窗口办理",
                                   now=T0 + dt.timedelta(minutes=10))
        await s.add_ticket_message(1, "out", "text", "带上社保卡",
                                   now=T0 + dt.timedelta(minutes=20))
        t = await s.ticket(1)
        assert t is not None and t.first_response == "2025-03-01T08:10:00.000Z"
        assert await s.ticket_messages(1) == [("in", "text", "卡号 [CARD]"),
                                              ("out", "text", "请到窗口办理"),
                                              ("out", "text", "带上社保卡")]
        assert await s.claim_ticket(1, 4242)
        assert await s.suggest_faq(1, 4242) is not None
        assert await s.suggest_faq(2, 4242) is None  # no staff answer yet
        closed = await s.close_ticket(1, "staff")
        assert closed is not None and closed.chat_id == 42  # as it was, to tell the resident
        assert await s.close_ticket(1, "staff") is None  # already closed
        assert await s.claim_ticket(1, 4242) is False
        assert await s.rate_ticket(1, 42, True)
        assert not await s.rate_ticket(1, 43, False)  # not theirs
        [sug] = await s.faq_suggestions(Period())
        assert (sug.ticket, sug.question, sug.answer) == (1, t.question, "带上社保卡")
    # Reopened (a restart): the state is all there; the closed ticket keeps no chat id.
    async with await QueryStore.open(path, SECRET) as s:
        t1, t2 = await s.ticket(1), await s.ticket(2)
        assert t1 is not None and (t1.state, t1.chat_id, t1.rating, t1.closed_by) == (
            "closed", None, 1, "staff")
        assert t2 is not None and t2.is_open and await s.open_ticket_of(43) == t2
        # A new ticket for the first resident is allowed now.
        new, created = await s.open_ticket(user_id=42, chat_id=42, lang="zh", region=None,
                                           question="q2")
        assert created and new.number == 3
    raw = str([rows(path, f"SELECT * FROM {t}") for t in
               ("tickets", "ticket_messages", "faq_suggestions")])
    assert ID_NUMBER not in raw and "6222" not in raw
    assert "4242" not in raw  # staff are HMACs too


async def test_idle_tickets_and_figures(tmp_path: Path) -> None:
    async with await QueryStore.open(tmp_path / "q.db", SECRET) as s:
        for chat in (1, 2, 3):
            await s.open_ticket(user_id=chat, chat_id=chat, lang="zh", region=None,
                                question="q", now=T0)
        await s.add_ticket_message(1, "out", "text", "a", now=T0 + dt.timedelta(seconds=60))
        await s.add_ticket_message(2, "out", "text", "a", now=T0 + dt.timedelta(seconds=600))
        idle = await s.idle_tickets(T0 + dt.timedelta(seconds=300))
        assert [t.number for t in idle] == [1, 3]
        await s.close_ticket(1, "staff")
        await s.close_ticket(3, "idle")
        figures = await s.ticket_rows(Period())
        assert [(d, round(sec) if sec else sec, st, by) for d, sec, st, by, _ in figures] == [
            ("2025-03-01", 60, "closed", "staff"), ("2025-03-01", 600, "open", None),
            ("2025-03-01", None, "closed", "idle")]


async def test_asked_and_last_query(tmp_path: Path) -> None:
    async with await QueryStore.open(tmp_path / "q.db", SECRET) as s:
        r = rec(f"身份证{ID_NUMBER}丢了", status="fallback", suggestions=("a", "b"),
                region="wuhai", ts=dt.datetime.now(dt.UTC))
        await s.log_query(r)
        await s.flush()
        asked = await s.asked(r.query_id)
        assert asked is not None and asked.suggestions == ("a", "b") and asked.region == "wuhai"
        assert "[ID]" in asked.text
        assert await s.asked("nope") is None
        since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        assert await s.last_query_id(42, since) == r.query_id
        assert await s.last_query_id(7, since) is None


async def test_purge_deletes_old_closed_tickets_and_keeps_open_ones(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    async with await QueryStore.open(path, SECRET) as s:
        old, _ = await s.open_ticket(user_id=1, chat_id=1, lang="zh", region=None,
                                     question="old", now=T0 - dt.timedelta(days=300))
        await s.add_ticket_message(old.number, "in", "text", "more",
                                   now=T0 - dt.timedelta(days=300))
        await s.add_ticket_post(old.number, GROUP, 10)
        await s.close_ticket(old.number, "staff", now=T0 - dt.timedelta(days=299))
        waiting, _ = await s.open_ticket(user_id=2, chat_id=2, lang="zh", region=None,
                                         question="still waiting",
                                         now=T0 - dt.timedelta(days=300))
        counts = await s.purge(T0 - dt.timedelta(days=180))
        assert counts["tickets"] == 1
        assert await s.ticket(old.number) is None
        assert (await s.ticket(waiting.number)) is not None  # open: a resident may wait
    assert rows(path, "SELECT COUNT(*) FROM ticket_messages") == [(0,)]
    assert rows(path, "SELECT COUNT(*) FROM ticket_posts") == [(0,)]

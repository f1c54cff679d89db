"""End to end: the human handoff, both sides played against the fake Bot API on loopback.

The resident (user 1001, private chat) and the staff group (GROUP, staff member STAFF_ID,
non-staff member 777) talk to the real bot; the tickets live in the real SQLite log.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.office_hours import DAYS
from bot.store.records import utc_now
from bot.testing.fake_bot_api import Call, FakeBotAPI, user
from bot.tg import handoff_staff
from bot.tg.handoff_desk import desk_of
from bot.tg.markup import MAX_MESSAGE, units
from bot.tg.ratelimit import UserRateLimiter
from tests.tg.helpers import Q_CLARIFY, Q_FALLBACK, STAFF_ID, Harness, running_bot

GROUP = -100777
RESIDENT = user(1001)
STAFF = user(STAFF_ID, "Wang")
OUTSIDER = user(777, "Nosy")
ALWAYS = "Mon-Sun 00:00-24:00"


def db(tmp_path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(tmp_path / "data" / "queries.db") as conn:
        return conn.execute(sql).fetchall()


def handoff(tmp_path: Path, hours: str = ALWAYS, **kw: Any) -> Any:
    return running_bot(tmp_path, handoff_chat_id=GROUP, handoff_hours=hours, **kw)


def to(chat: int) -> Any:
    return lambda c: c.chat_id == chat


async def open_ticket(h: Harness, question: str = Q_FALLBACK) -> tuple[Call, Call]:
    """The resident asks something the FAQ cannot answer and taps "Ask a person"; returns
    (the staff group's post, the resident's confirmation)."""
    [fallback] = await h.ask(question, RESIDENT)
    mark = h.api.mark()
    h.api.press(fallback, fallback.data_of("转人工"))
    [post] = await h.api.wait_for("sendMessage", since=mark, where=to(GROUP))
    [confirm] = await h.api.wait_for("sendMessage", since=mark, where=to(1001))
    return post, confirm


async def mapped(h: Harness, message_id: int) -> None:
    """Wait until the bot has filed its staff-group message under its ticket (it does so
    right after sending; a person replying is never that fast, a test is)."""
    for _ in range(500):
        if await h.svc.store.ticket_by_post(GROUP, message_id) is not None:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"message {message_id} was never filed under a ticket")


async def resident_says(h: Harness, text: str) -> list[Call]:
    mark = h.api.mark()
    h.api.send_text(text, RESIDENT)
    posted = await h.api.wait_for("sendMessage", since=mark, where=to(GROUP))
    await mapped(h, posted[-1].result["message_id"])
    return posted


async def staff_replies(h: Harness, to_call: Call, text: str,
                        sender: dict[str, Any] = STAFF) -> int:
    mark = h.api.mark()
    h.api.send_text(text, sender, chat_id=GROUP, reply_to=h.api.message_of(to_call))
    return mark


async def test_full_flow_fallback_ticket_reply_answer_back_close_rating(tmp_path: Path) -> None:
    async with handoff(tmp_path) as h:
        post, confirm = await open_ticket(h)
        # The staff group sees the ticket: number, question, region, language, suggestions,
        # and buttons; nothing of who the resident is.
        assert post.text.startswith("<b>🆕 工单 #1</b>")
        assert f"问题：{Q_FALLBACK}" in post.text and "语言：zh" in post.text
        assert "地区：未设置" in post.text and "机器人的建议：无" in post.text
        assert "1001" not in str(post.params) and "Ayi" not in post.text
        assert [d for _, d in post.buttons] == ["sk:1", "sx:1", "sf:1"]
        # The resident: the number, when to expect an answer, the warning, an end button.
        assert "工单号 #1" in confirm.text and "现在正在办公" in confirm.text
        assert "身份证号、银行卡号" in confirm.text
        assert [d for _, d in confirm.buttons] == ["hc:1"]
        # What the resident writes now goes to the ticket (masked), not to the FAQ engine.
        [more] = await resident_says(h, "补充：卡号 6222 0212 3456 7890 报销不了")
        assert "[CARD]" in more.text and "6222" not in more.text
        assert more.params["reply_parameters"]["message_id"] == post.result["message_id"]
        assert not h.api.find("sendMessage", where=lambda c: c.chat_id == 1001
                              and "报销" in c.text)
        # Staff answer by replying to the ticket's post.
        mark = await staff_replies(h, post, "请带社保卡到窗口办理 <b>")
        [got] = await h.api.wait_for("sendMessage", since=mark, where=to(1001))
        assert got.text == "<b>人工客服回复（工单 #1）</b>\n\n请带社保卡到窗口办理 &lt;b&gt;"
        assert [d for _, d in got.buttons] == ["hr:1:1", "hr:1:0", "hc:1"]
        # The resident answers back; staff reply to that message (also the ticket's).
        [back] = await resident_says(h, "需要带身份证吗？")
        mark = await staff_replies(h, back, "需要。")
        [second] = await h.api.wait_for("sendMessage", since=mark, where=to(1001))
        assert second.text.endswith("需要。")
        # Staff close it: the resident is told and asked to rate; the post loses its buttons.
        mark = h.api.mark()
        await h.press(post, "sx:1", STAFF)
        [closing] = await h.api.wait_for("sendMessage", since=mark, where=to(1001))
        assert closing.text.startswith("工作人员已结束工单 #1。")
        assert [d for _, d in closing.buttons] == ["hr:1:1", "hr:1:0"]
        await h.api.wait_for("editMessageReplyMarkup", where=to(GROUP))
        await h.press(closing, "hr:1:1")
        [ack] = await h.api.wait_for("editMessageReplyMarkup", where=to(1001))
        assert "🙏" in str(ack.params["reply_markup"]) and "hr:" not in str(ack.params)
        # The ticket is closed: the resident's next question goes to the FAQ engine again.
        [answer] = await h.ask(Q_FALLBACK, RESIDENT)
        assert "转人工" in str(answer.buttons)
    [(state, by, rating, chat, first)] = db(
        tmp_path, "SELECT state, closed_by, rating, chat_id, first_response FROM tickets")
    assert (state, by, rating, chat) == ("closed", "staff", 1, None) and first is not None
    assert [d for d, in db(tmp_path, "SELECT direction FROM ticket_messages ORDER BY id")] == [
        "in", "out", "in", "out"]
    assert "6222" not in str(db(tmp_path, "SELECT text FROM ticket_messages"))


async def test_none_of_these_and_human_offer_the_button(tmp_path: Path) -> None:
    async with handoff(tmp_path) as h:
        [c] = await h.ask(Q_CLARIFY, RESIDENT)
        assert "转人工" not in str(c.buttons)  # a clarification is not a dead end yet
        await h.press(c, c.data_of("都不是"), method="sendMessage")
        fb = h.api.find("sendMessage", where=to(1001))[-1]
        assert fb.data_of("转人工").startswith("ho:")
        [human] = await h.ask("/human", RESIDENT)
        assert "真人" in human.text and human.data_of("转人工").startswith("ho:")
        [group_human] = await h.ask("/human", RESIDENT, chat_id=GROUP)
        assert "私聊" in group_human.text
        # The commands are in the menu while handoff is on.
        zh = next(c for c in h.api.find("setMyCommands")
                  if c.params.get("language_code") == "zh" and "scope" not in c.params)
        assert {"human", "cancel"} <= {x["command"] for x in zh.params["commands"]}


async def test_handoff_off_shows_no_button(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        [fb] = await h.ask(Q_FALLBACK, RESIDENT)
        assert "转人工" not in str(fb.buttons)
        [r] = await h.ask("/human", RESIDENT)
        assert "/help" in r.text  # an unknown command


async def test_state_survives_a_restart(tmp_path: Path) -> None:
    api = FakeBotAPI()
    await api.start()
    try:
        async with handoff(tmp_path, api=api) as h:
            post, _ = await open_ticket(h)
        async with handoff(tmp_path, api=api) as h:
            # The resident's message still goes to the ticket...
            [more] = await resident_says(h, "还在吗？")
            assert more.text.startswith("<b>💬 #1 居民：</b>")
            # ...and a reply to the post made before the restart still reaches them.
            mark = await staff_replies(h, post, "在的。")
            [got] = await h.api.wait_for("sendMessage", since=mark, where=to(1001))
            assert got.text.endswith("在的。")
    finally:
        await api.stop()


async def test_outside_office_hours_says_when_staff_will_see_it(tmp_path: Path) -> None:
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).weekday()
    day = DAYS[(today + 3) % 7].title()  # a day that is not today: closed now
    async with handoff(tmp_path, hours=f"{day} 09:00-10:00") as h:
        _, confirm = await open_ticket(h)
        assert "现在不是办公时间" in confirm.text and "Asia/Shanghai" in confirm.text
        weekday = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")[(today + 3) % 7]
        assert f"将在 {weekday} " in confirm.text and " 09:00 起看到您的问题" in confirm.text
        [en] = await h.ask("/start", user(1002, language_code="en"))
        assert en.text.startswith("Hello")


async def test_photo_and_pdf_are_copied_to_the_staff_thread(tmp_path: Path) -> None:
    async with handoff(tmp_path) as h:
        post, _ = await open_ticket(h)
        mark = h.api.mark()
        h.api.send_media("photo", RESIDENT, caption="电话 13812345678 的账单")
        [photo] = await h.api.wait_for("copyMessage", since=mark)
        assert photo.chat_id == GROUP and photo.params["from_chat_id"] == 1001
        assert "[PHONE]" in photo.params["caption"] and "13812345678" not in str(photo.params)
        assert photo.params["reply_parameters"]["message_id"] == post.result["message_id"]
        mark = h.api.mark()
        h.api.send_media("document", RESIDENT)
        [pdf] = await h.api.wait_for("copyMessage", since=mark)
        assert pdf.chat_id == GROUP
        # A reply to the copied photo is a reply to the ticket.
        copied = h.api.messages[(GROUP, photo.result["message_id"])]
        await mapped(h, photo.result["message_id"])
        mark = h.api.mark()
        h.api.send_text("收到账单了", STAFF, chat_id=GROUP, reply_to=copied)
        [got] = await h.api.wait_for("sendMessage", since=mark, where=to(1001))
        assert got.text.endswith("收到账单了")
        # A sticker is not passed on; the resident is told.
        mark = h.api.mark()
        h.api.send_media("sticker", RESIDENT)
        [told] = await h.api.wait_for("sendMessage", since=mark, where=to(1001))
        assert "照片或 PDF" in told.text
    assert [k for k, in db(tmp_path, "SELECT kind FROM ticket_messages ORDER BY id")] == [
        "photo", "document", "text"]


async def test_non_staff_reply_and_forged_or_foreign_presses_are_refused(tmp_path: Path) -> None:
    async with handoff(tmp_path) as h:
        post, confirm = await open_ticket(h)
        mark = await staff_replies(h, post, "我来回答", OUTSIDER)
        [note] = await h.api.wait_for("sendMessage", since=mark, where=to(GROUP))
        assert "只有工作人员" in note.text
        await h.api.idle()
        assert not h.api.find("sendMessage", since=mark, where=to(1001))
        # A non-staff member of the group pressing a staff button.
        calls = await h.press(post, "sk:1", OUTSIDER)
        [ans] = [c for c in calls if c.method == "answerCallbackQuery"]
        assert "只有工作人员" in ans.params["text"] and ans.params["show_alert"] in (True, "true")
        # A resident forging a staff button (or another ticket's) on their own message.
        for forged in ("sx:1", "hc:2", "hr:1:1", "ho:../x"):
            calls = await h.press(confirm, forged)
            [ans] = [c for c in calls if c.method == "answerCallbackQuery"]
            assert "已失效" in ans.params["text"], forged
    [(state,)] = db(tmp_path, "SELECT state FROM tickets")
    assert state == "open"


async def test_staff_group_unreachable(tmp_path: Path) -> None:
    async with handoff(tmp_path) as h:
        h.api.unreachable[GROUP] = "Forbidden: bot was kicked from the supergroup chat"
        [fallback] = await h.ask(Q_FALLBACK, RESIDENT)
        mark = h.api.mark()
        h.api.press(fallback, fallback.data_of("转人工"))
        [told] = await h.api.wait_for("sendMessage", since=mark, where=to(1001))
        assert "暂时不可用" in told.text and "没有送达" in told.text
        [warned] = await h.api.wait_for("sendMessage", since=mark, where=to(STAFF_ID))
        assert "无法发到工作人员群" in warned.text and "kicked" in warned.text
        # No ticket stays open: the resident's next message is a question again.
        [again] = await h.ask(Q_FALLBACK, RESIDENT)
        assert "转人工" in str(again.buttons)
    [(state, by)] = db(tmp_path, "SELECT state, closed_by FROM tickets")
    assert (state, by) == ("closed", "unavailable")


async def test_replies_to_closed_or_unknown_tickets_get_a_note(tmp_path: Path) -> None:
    async with handoff(tmp_path) as h:
        post, _ = await open_ticket(h)
        [queue] = await h.ask("/queue", STAFF, chat_id=GROUP)
        assert "进行中的工单（1）" in queue.text and "#1 · 0小时0分 · 未认领" in queue.text
        mark = await staff_replies(h, queue, "这是哪个工单？")
        [note] = await h.api.wait_for("sendMessage", since=mark, where=to(GROUP))
        assert "不属于任何工单" in note.text
        [cancelled] = await h.ask("/cancel", RESIDENT)
        assert cancelled.text.startswith("工单 #1 已结束。")
        mark = await staff_replies(h, post, "还在吗")
        [closed] = await h.api.wait_for(
            "sendMessage", since=mark,
            where=lambda c: c.chat_id == GROUP and "没有发给居民" in c.text)
        assert "工单 #1 已结束" in closed.text
        [nothing] = await h.ask("/cancel", RESIDENT)
        assert "没有进行中" in nothing.text
        [refused] = await h.ask("/queue", OUTSIDER, chat_id=GROUP)
        assert "仅供工作人员" in refused.text


async def test_one_open_ticket_claim_and_add_to_faq(tmp_path: Path) -> None:
    async with handoff(tmp_path) as h:
        post, _ = await open_ticket(h)
        [human] = await h.ask("/human", RESIDENT)
        assert "已有进行中的工单 #1" in human.text
        calls = await h.press(post, "sf:1", STAFF)
        assert "还没有工作人员的答复" in str(calls[-1].params)
        mark = await staff_replies(h, post, "到窗口办理。")
        await h.api.wait_for("sendMessage", since=mark, where=to(1001))
        calls = await h.press(post, "sf:1", STAFF)
        assert "FAQ 建议 #1" in str([c.params for c in calls])
        mark = h.api.mark()
        await h.press(post, "sk:1", STAFF)
        [claimed] = await h.api.wait_for("sendMessage", since=mark, where=to(GROUP))
        assert "#1 由 Wang 认领" in claimed.text
    [(question, answer)] = db(tmp_path, "SELECT question, answer FROM faq_suggestions")
    assert (question, answer) == (Q_FALLBACK, "到窗口办理。")


async def test_idle_tickets_close_with_a_message(tmp_path: Path) -> None:
    async with handoff(tmp_path, handoff_idle_hours=48.0) as h:
        await open_ticket(h)
        assert await handoff_staff.close_idle(h.app, utc_now()) == 0
        mark = h.api.mark()
        assert await handoff_staff.close_idle(h.app, utc_now() + dt.timedelta(hours=49)) == 1
        [told] = await h.api.wait_for("sendMessage", since=mark, where=to(1001))
        assert "已 48 小时没有新消息，已自动结束" in told.text
        [note] = await h.api.wait_for("sendMessage", since=mark, where=to(GROUP))
        assert "48 小时无新消息" in note.text
    [(by,)] = db(tmp_path, "SELECT closed_by FROM tickets")
    assert by == "idle"


async def test_flood_limit_per_ticket(tmp_path: Path) -> None:
    async with handoff(tmp_path) as h:
        await open_ticket(h)
        desk = desk_of(h.app)
        assert desk is not None
        desk.limiter = UserRateLimiter(limit=2)
        mark = h.api.mark()
        for i in range(5):
            h.api.send_text(f"第{i}条", RESIDENT)
        [flood] = await h.api.wait_for("sendMessage", since=mark, where=to(1001))
        assert "发得太快" in flood.text
        await h.api.idle()
        assert len(h.api.find("sendMessage", since=mark, where=to(GROUP))) == 2
        assert len(h.api.find("sendMessage", since=mark, where=to(1001))) == 1


async def test_long_messages_are_split_both_ways(tmp_path: Path) -> None:
    long_text = "参保人按规定享受居家护理服务，" * 300  # 4500 characters
    async with handoff(tmp_path) as h:
        await open_ticket(h)
        mark = h.api.mark()
        h.api.send_text(long_text[:4090], RESIDENT)  # near the limit: + the header is over
        parts = await h.api.wait_for("sendMessage", 2, since=mark, where=to(GROUP))
        assert all(units(p.text) <= MAX_MESSAGE for p in parts)
        sent = "".join(p.text for p in parts)
        assert sent.count("居家护理") == long_text[:4090].count("居家护理")
        await mapped(h, parts[-1].result["message_id"])
        mark = await staff_replies(h, parts[-1], long_text)
        await h.api.wait_for("sendMessage", 2, since=mark, where=to(1001))
        await h.api.idle()
        got = h.api.find("sendMessage", since=mark, where=to(1001))
        assert all(units(g.text) <= MAX_MESSAGE for g in got)
        assert "".join(g.text for g in got).count("居家护理") == long_text.count("居家护理")
        assert not any(g.buttons for g in got[:-1]) and got[-1].buttons[-1][1] == "hc:1"

"""End to end: the real bot polls a fake Bot API on 127.0.0.1; every conversation path.

Each test drives the bot only through Telegram's side (updates in, Bot API calls out) and
asserts the requests the bot made: text, parse mode, keyboards. The query log is the real
SQLite store; tests read it back after the bot has shut down (which flushes it).
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path
from typing import Any

from bot.testing.fake_bot_api import BOT_ID, BOT_USERNAME, user
from bot.tg.markup import MAX_MESSAGE, units
from tests.tg.helpers import (
    FAQ,
    Q_ANSWER,
    Q_CLARIFY,
    Q_FALLBACK,
    Q_LONG,
    Q_REGIONAL,
    STAFF_ID,
    running_bot,
    write_faq,
)

GROUP = -100500


def db(tmp_path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows from the bot's query log (read after the bot has stopped)."""
    with sqlite3.connect(tmp_path / "data" / "queries.db") as conn:
        return conn.execute(sql, params).fetchall()


def balanced(html_text: str) -> bool:
    """Every tag opened in a message is closed in it, in order."""
    stack: list[str] = []
    for closing, name in re.findall(r"<(/?)([a-z]+)[^>]*>", html_text):
        if closing:
            if not stack or stack.pop() != name:
                return False
        else:
            stack.append(name)
    return not stack


# --------------------------------------------------------------------------- start, help


async def test_startup_registers_commands_in_zh_and_en(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        calls = h.api.find("setMyCommands")
        by_lang = {(c.params.get("language_code"), "scope" in c.params): c for c in calls}
        public_zh = [cmd["command"] for cmd in by_lang[("zh", False)].params["commands"]]
        assert public_zh == ["start", "help", "topics", "region", "lang", "about"]
        assert by_lang[("en", False)].params["commands"][0]["description"] == "Start"
        assert by_lang[(None, False)].params["commands"][0]["description"] == "开始使用"
        staff = by_lang[("zh", True)]
        assert staff.params["scope"] == {"type": "chat", "chat_id": STAFF_ID}
        assert {"stats", "unanswered", "reload"} <= {c["command"] for c in
                                                     staff.params["commands"]}
        assert h.api.find("deleteWebhook"), "polling must clear any webhook first"


async def test_start_greets_in_the_users_language_with_topic_buttons(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        [zh] = await h.ask("/start", user(1, "<Ayi>"))
        assert zh.params["parse_mode"] == "HTML"
        assert "您好，&lt;Ayi&gt;！" in zh.text  # the name is escaped
        assert [b[1] for b in zh.buttons] == ["tp:cross_province:0", "tp:family_doctors:0",
                                              "tp:long_term_care:0"]
        [en] = await h.ask("/start", user(2, "Bob", "en-US"))
        assert en.text.startswith("Hello, Bob!")
        assert [b[0] for b in en.buttons] == ["Cross-province treatment", "Family doctors",
                                              "Long-term care insurance"]
        [other] = await h.ask("/start", user(3, "Jean", "fr"))  # no fr.yaml: zh
        assert other.text.startswith("您好")


async def test_help_and_about(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        [helped] = await h.ask("/help")
        assert "/topics" in helped.text and "/region" in helped.text
        [about] = await h.ask("/about")
        assert "<b>资料来源</b>" in about.text
        assert "《跨省就医报道 &lt;A&amp;B&gt;》，测试日报，2024-02-27（新疆）" in about.text
        assert "2025-03（日期为推断，昌吉州）" in about.text
        assert "新疆、昌吉州、乌海市" in about.text
        [about_en] = await h.ask("/about", user(5, "Bob", "en"))
        assert '"Family doctors report", Test Times, 2023-01 (Wuhai)' in about_en.text


# --------------------------------------------------------------------------- answer


async def test_answer_has_source_feedback_and_related_buttons(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        [r] = await h.ask(Q_ANSWER)
        assert r.params["parse_mode"] == "HTML"
        # FAQ text is escaped, never interpreted as markup.
        assert r.text.startswith("可以通过医保APP办理备案 &lt;b&gt;不是标签&lt;/b&gt; &amp; 符号。")
        assert "<i>信息截至 2024-02-27｜适用地区：新疆\n来源：《跨省就医报道 &lt;A&amp;B&gt;》，" \
               "测试日报，2024-02-27</i>" in r.text
        assert balanced(r.text)
        rows = r.markup
        assert [label for label, _ in rows[0]] == ["👍 有帮助", "👎 没帮助"]
        # The query id, and the tag of who asked (only they may vote).
        assert re.fullmatch(r"f:[A-Za-z0-9_-]{1,16}\.[A-Za-z0-9_-]{8}:1", rows[0][0][1])
        related = rows[1:]
        assert 1 <= len(related) <= 3 and all(d.startswith("e:") for _, d in
                                              (row[0] for row in related))
        assert "xp-filing" not in str(related)
        assert all(len(d.encode()) <= 64 for _, d in r.buttons)
    [(status, entry, chat_type)] = db(tmp_path, "SELECT status, entry_id, chat_type FROM queries")
    assert (status, entry, chat_type) == ("answer", "xp-filing", "private")


async def test_feedback_is_logged_and_acknowledged_in_place(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        [r] = await h.ask(Q_ANSWER)
        calls = await h.press(r, r.data_of("👎"), method=["editMessageReplyMarkup"])
        [answered] = [c for c in calls if c.method == "answerCallbackQuery"]
        assert answered.params["text"] == "谢谢您的反馈！"
        [edit] = [c for c in calls if c.method == "editMessageReplyMarkup"]
        assert edit.markup[0] == [("🙏 已收到反馈", "x")]
        assert edit.markup[1:] == r.markup[1:]  # the related buttons stay
        # Pressing the acknowledgement does nothing but stop the spinner.
        await h.press(edit, "x")
    assert db(tmp_path, "SELECT entry_id, helpful FROM feedback") == [("xp-filing", 0)]


# --------------------------------------------------------------------------- clarify


async def test_clarify_then_pick_answers_and_logs_the_selection(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        [c] = await h.ask(Q_CLARIFY)
        assert c.text == "<b>您是想问下面哪个问题？</b>"
        labels = [label for label, _ in c.buttons]
        # Two or three suggestions, then "none of these": how many clear the clarify
        # threshold depends on the fitted confidence model, not on this conversation.
        assert 3 <= len(labels) <= 4 and labels[-1] == "都不是"
        assert "住院费用能直接结算吗 【新疆】" in labels
        mark = h.api.mark()
        await h.press(c, c.data_of("住院"))
        [a] = await h.api.wait_for("sendMessage", since=mark)
        assert a.text.startswith("住院费用可以直接结算。")
        qid = c.data_of("住院").split(":")[1]
        assert a.markup[0][0][1] == f"f:{qid}:1"  # the vote rates the question asked
        await h.press(a, a.data_of("👍"), method="editMessageReplyMarkup")
    assert db(tmp_path, "SELECT entry_id FROM selections") == [("xp-inpatient",)]
    assert db(tmp_path, "SELECT entry_id, helpful FROM feedback") == [("xp-inpatient", 1)]
    assert db(tmp_path, "SELECT status FROM queries") == [("clarify",)]


async def test_none_of_these_gives_the_fallback(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        [c] = await h.ask(Q_CLARIFY)
        mark = h.api.mark()
        await h.press(c, c.data_of("都不是"))
        [f] = await h.api.wait_for("sendMessage", since=mark)
        assert f.text.startswith("抱歉")
        assert "医保经办机构" in f.text
        assert [d for _, d in f.buttons] == ["tp:cross_province:0", "tp:family_doctors:0",
                                             "tp:long_term_care:0"]
    assert db(tmp_path, "SELECT helpful FROM feedback") == [(0,)]


# --------------------------------------------------------------------------- fallback


async def test_fallback_apologises_advises_and_offers_topics(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        [f] = await h.ask(Q_FALLBACK)
        assert f.text.startswith("抱歉，这个问题我还答不上来")
        assert "建议向您参保地的医保经办机构或服务窗口咨询。" in f.text
        assert not re.search(r"\d{5,}", f.text)  # no phone number of our own making
        assert len(f.buttons) == 3 and all(d.startswith("tp:") for _, d in f.buttons)
        [empty] = await h.ask("😀😀")
        assert empty.text.startswith("请用文字描述您的问题")
        [elsewhere] = await h.ask("北京的备案怎么办")
        assert "北京" in elsewhere.text
        assert elsewhere.buttons[0][1].startswith("p:")  # other regions' entry, to pick
    assert [s for (s,) in db(tmp_path, "SELECT status FROM queries")] == ["fallback"] * 3


# --------------------------------------------------------------------------- topics


async def test_topics_browse_paginate_back_and_open_an_entry(tmp_path: Path) -> None:
    # Nine entries in one topic: two pages of six.
    files = dict(FAQ)
    extra = "".join(f"""
  - id: xp-extra-{i}
    questions:
      zh: [第{i}号附加问题有哪些规定, 附加问题{i}怎么理解, 附加{i}号问题, 第{i}个附加问题]
      en: ["Extra question {i}"]
    region: xinjiang
    source: src-a
    as_of: "2024-02-27"
    answer: {{zh: 附加答案{i}。, en: Extra answer {i}.}}
""" for i in range(1, 6))
    files["cross_province.yaml"] = FAQ["cross_province.yaml"] + extra
    write_faq(tmp_path / "faq", files)
    async with running_bot(tmp_path) as h:
        [t] = await h.ask("/topics")
        assert t.text == "请选择一个主题："
        calls = await h.press(t, "tp:cross_province:0", method="editMessageText")
        [page1] = [c for c in calls if c.method == "editMessageText"]
        assert page1.text == "跨省异地就医：请选择一个问题"
        entries = [d for _, d in page1.buttons if d.startswith("e:")]
        assert len(entries) == 6
        assert page1.markup[-2] == [("1/2", "x"), ("下一页 »", "tp:cross_province:1")]
        assert page1.markup[-1] == [("« 返回主题列表", "t:0")]
        calls = await h.press(page1, "tp:cross_province:1", method="editMessageText")
        [page2] = [c for c in calls if c.method == "editMessageText"]
        assert len([d for _, d in page2.buttons if d.startswith("e:")]) == 3
        assert page2.markup[-2] == [("« 上一页", "tp:cross_province:0"), ("2/2", "x")]
        calls = await h.press(page2, "t:0", method="editMessageText")
        [back] = [c for c in calls if c.method == "editMessageText"]
        assert back.text == "请选择一个主题：" and len(back.buttons) == 3
        # The message now shows the topic list: page 1's buttons are gone from it.
        calls = await h.press(back, entries[0])
        assert calls[0].params["text"] == "这个按钮已失效，请重新提问或发送 /topics。"
        # Open an entry from the topic page: a new message, related buttons, no vote.
        await h.press(back, "tp:cross_province:0", method="editMessageText")
        mark = h.api.mark()
        await h.press(page1, entries[0])
        [a] = await h.api.wait_for("sendMessage", since=mark)
        assert "来源" in a.text
        assert all(d.startswith("e:") for _, d in a.buttons)


async def test_related_button_answers_that_entry(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        [r] = await h.ask(Q_ANSWER)
        label, data = r.markup[1][0]
        mark = h.api.mark()
        await h.press(r, data)
        [a] = await h.api.wait_for("sendMessage", since=mark)
        assert label.removeprefix("🔗 ") and "来源" in a.text
        assert not any(d.startswith("f:") for _, d in a.buttons)


# --------------------------------------------------------------------------- region, lang


async def test_region_is_used_and_remembered_across_restarts(tmp_path: Path) -> None:
    me = user(77)
    async with running_bot(tmp_path) as h:
        [both] = await h.ask(Q_REGIONAL, me)
        assert "【昌吉州】" in both.text and "【乌海市】" in both.text
        [prompt] = await h.ask("/region", me)
        assert prompt.text.endswith("当前：未设置")
        assert [d for _, d in prompt.buttons] == ["rg:xinjiang", "rg:changji", "rg:wuhai", "rg:-"]
        calls = await h.press(prompt, "rg:wuhai", me, method="editMessageText")
        [done] = [c for c in calls if c.method == "editMessageText"]
        assert done.text == "已设置地区：乌海市。" and not done.buttons
        [one] = await h.ask(Q_REGIONAL, me)
        assert one.text.startswith("乌海可以在社区签约。") and "昌吉" not in one.text
    async with running_bot(tmp_path) as h:  # a restart: same database
        [again] = await h.ask(Q_REGIONAL, me)
        assert again.text.startswith("乌海可以在社区签约。")
        [prompt] = await h.ask("/region", me)
        assert "当前：乌海市" in prompt.text and ("✅ 乌海市", "rg:wuhai") in prompt.buttons
        await h.press(prompt, "rg:-", me, method="editMessageText")
        [both] = await h.ask(Q_REGIONAL, me)
        assert "【昌吉州】" in both.text
    assert db(tmp_path, "SELECT region FROM queries ORDER BY id") == [
        (None,), ("wuhai",), ("wuhai",), (None,)]


async def test_language_switch_is_remembered_across_restarts(tmp_path: Path) -> None:
    me = user(88, language_code="zh-hans")
    async with running_bot(tmp_path) as h:
        [prompt] = await h.ask("/lang", me)
        assert prompt.buttons == [("✅ 中文", "lg:zh"), ("English", "lg:en")]
        calls = await h.press(prompt, "lg:en", me, method="editMessageText")
        [done] = [c for c in calls if c.method == "editMessageText"]
        assert done.text == "Language set to English."
        [a] = await h.ask(Q_ANSWER, me)
        assert a.text.startswith("File through the medical-insurance app &lt;b&gt;")
        assert "Source:" in a.text and a.buttons[0][0] == "👍 Helpful"
    async with running_bot(tmp_path) as h:
        [a] = await h.ask(Q_ANSWER, me)
        assert a.text.startswith("File through")


# --------------------------------------------------------------------------- formatting


async def test_long_answer_is_split_under_4096_with_buttons_on_the_last(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        parts = await h.ask(Q_LONG, n=2)
        await h.api.idle(0.1)
        parts = h.api.find("sendMessage")
        assert len(parts) >= 2
        for p in parts:
            visible = re.sub(r"<[^>]+>", "", p.text)
            assert units(visible) <= MAX_MESSAGE
            assert balanced(p.text)
        assert all(not p.buttons for p in parts[:-1])
        assert parts[-1].buttons[0][0] == "👍 有帮助"
        joined = "".join(re.sub(r"<[^>]+>|\s", "", p.text) for p in parts)
        assert "护理服务细则第1条" in joined and "护理服务细则第159条" in joined


# --------------------------------------------------------------------------- groups


async def test_group_answers_only_commands_mentions_and_replies(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        member = user(501)
        # Chatter, and a command meant for another bot: ignored. Updates of one chat are
        # handled in order, so once the mention below is answered these were dealt with.
        h.api.send_text(Q_ANSWER, member, chat_id=GROUP)
        h.api.send_text("/help@other_bot", member, chat_id=GROUP)
        h.api.send_text("/nosuchcommand", member, chat_id=GROUP)
        h.api.send_media("sticker", member, chat_id=GROUP)
        mention = f"@{BOT_USERNAME} {Q_ANSWER}"
        [a] = await h.ask(mention, member, chat_id=GROUP, entities=[
            {"type": "mention", "offset": 0, "length": len(BOT_USERNAME) + 1}])
        assert h.api.find("sendMessage") == [a]
        assert a.text.startswith("可以通过医保APP办理备案")
        assert a.params["reply_parameters"]["message_id"]  # quotes the asker
        # A reply to one of the bot's messages is a question to the bot.
        bot_msg = h.api.message_of(a)
        [b] = await h.ask(Q_CLARIFY, member, chat_id=GROUP, reply_to=bot_msg)
        assert b.text == "<b>您是想问下面哪个问题？</b>"
        [c] = await h.ask("/help", member, chat_id=GROUP)
        assert "/topics" in c.text
        [d] = await h.ask(f"/help@{BOT_USERNAME}", member, chat_id=GROUP)
        assert "/topics" in d.text
    texts = [t for (t,) in db(tmp_path, "SELECT text FROM queries ORDER BY id")]
    assert texts == [Q_ANSWER, Q_CLARIFY]  # the mention itself is not part of the question
    assert db(tmp_path, "SELECT DISTINCT chat_type FROM queries") == [("supergroup",)]


async def test_only_the_asker_can_vote_in_a_group(tmp_path: Path) -> None:
    """👍/👎, a suggestion and "none of these" speak for the asker: others get a toast."""
    asker, other = user(511, "Asker"), user(512, "Other")
    toast = "只有提问的人可以使用这些按钮。"
    mention = [{"type": "mention", "offset": 0, "length": len(BOT_USERNAME) + 1}]

    async def ask(text: str) -> Any:
        [r] = await h.ask(f"@{BOT_USERNAME} {text}", asker, chat_id=GROUP, entities=mention)
        return r

    async def refused(reply: Any, label: str) -> None:
        mark = h.api.mark()
        calls = await h.press(reply, reply.data_of(label), other)
        assert calls[-1].params.get("text") == toast
        await h.api.idle(0.05)
        assert not h.api.find(["editMessageReplyMarkup", "sendMessage"], since=mark)

    async with running_bot(tmp_path, faq_poll_seconds=3600) as h:
        a = await ask(Q_ANSWER)
        await refused(a, "👍")
        # A FAQ reload changes nothing: the asker travels with the message.
        faq = tmp_path / "faq" / "cross_province.yaml"
        faq.write_text(faq.read_text(encoding="utf-8").replace("可以通过", "现在可以通过"),
                       encoding="utf-8")
        assert (await asyncio.to_thread(h.svc.holder.reload)).ok
        await refused(a, "👎")
        calls = await h.press(a, a.data_of("👍"), asker, method="editMessageReplyMarkup")
        assert [c.params.get("text") for c in calls
                if c.method == "answerCallbackQuery"] == ["谢谢您的反馈！"]
        # A clarification: others can neither pick for the asker nor reject the suggestions.
        c = await ask(Q_CLARIFY)
        await refused(c, "住院")
        await refused(c, "都不是")
        mark = h.api.mark()
        await h.press(c, c.data_of("住院"), asker)
        [picked] = await h.api.wait_for("sendMessage", since=mark)
        await refused(picked, "👎")  # the answer to the pick still belongs to the asker
        await h.press(picked, picked.data_of("👎"), asker, method="editMessageReplyMarkup")
        # Browsing buttons stay open to everyone.
        mark = h.api.mark()
        await h.press(picked, picked.buttons[-1][1], other, method="sendMessage")
    assert db(tmp_path, "SELECT entry_id, helpful FROM feedback ORDER BY id") == [
        ("xp-filing", 1), ("xp-inpatient", 0)]
    assert db(tmp_path, "SELECT entry_id FROM selections") == [("xp-inpatient",)]


async def test_votes_in_a_private_chat_still_count(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        me = user(521)
        [r] = await h.ask(Q_ANSWER, me)
        await h.press(r, r.data_of("👍"), me, method="editMessageReplyMarkup")
        # A button sent before buttons carried the asker: in private the presser asked.
        [r2] = await h.ask(Q_CLARIFY, me)
        qid = r2.data_of("都不是").split(":")[1].split(".")[0]
        mark = h.api.mark()
        h.api.messages[(521, r2.result["message_id"])]["reply_markup"] = {
            "inline_keyboard": [[{"text": "👎", "callback_data": f"f:{qid}:0"}]]}
        h.api.press(r2, f"f:{qid}:0", me)
        [ack] = await h.api.wait_for("answerCallbackQuery", since=mark)
        assert ack.params["text"] == "谢谢您的反馈！"
    assert db(tmp_path, "SELECT helpful FROM feedback ORDER BY id") == [(1,), (0,)]


# --------------------------------------------------------------------------- other input


async def test_media_gets_a_polite_please_send_text(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        for kind in ("sticker", "photo", "voice", "location", "document"):
            mark = h.api.mark()
            h.api.send_media(kind)
            [r] = await h.api.wait_for("sendMessage", since=mark)
            assert r.text == "我只能读懂文字消息，请直接打字提问。", kind
        mark = h.api.mark()
        h.api.send_media("photo", user(9, language_code="en"))
        [r] = await h.api.wait_for("sendMessage", since=mark)
        assert r.text == "I can only read text messages; please type your question."


async def test_edited_question_is_answered_again_quoting_the_edit(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        [first] = await h.ask(Q_FALLBACK)
        assert first.text.startswith("抱歉")
        original = h.api.last_user_message(1001)
        mark = h.api.mark()
        h.api.edit_text(original, Q_ANSWER)
        [again] = await h.api.wait_for("sendMessage", since=mark)
        assert again.text.startswith("可以通过医保APP办理备案")
        assert again.params["reply_parameters"]["message_id"] == original["message_id"]
        # An edited *command* is not run again; the next message proves it was handled.
        [start] = await h.ask("/start")
        mark = h.api.mark()
        h.api.edit_text(h.api.last_user_message(1001), "/help")
        [r] = await h.ask(Q_ANSWER)
        assert h.api.find("sendMessage", since=mark) == [r]
        assert start.text.startswith("您好")


async def test_unknown_command_in_private_points_to_help(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        [r] = await h.ask("/frobnicate")
        assert r.text == "没有这个命令，发送 /help 查看可用的命令。"


async def test_bot_never_answers_itself_or_channels(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        h.api.queue({"update_id": 999_999, "channel_post": {
            "message_id": 1, "date": 0, "chat": {"id": -100777, "type": "channel"},
            "text": Q_ANSWER}})
        [r] = await h.ask(Q_ANSWER)
        assert [c.chat_id for c in h.api.find("sendMessage")] == [r.chat_id]
        assert r.chat_id != BOT_ID

"""Unit tier: handlers driven with PTB objects through the real Application, offline.

Updates are built from telegram.* classes; a recording request object answers every Bot
API call locally. No sockets are opened.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from telegram import (
    CallbackQuery,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
    User,
)
from telegram.ext import Application

from bot.cli.run import check
from bot.testing.fake_bot_api import BOT_ID, BOT_USERNAME, TOKEN
from bot.tg.app import install_redaction, webhook_path
from bot.tg.context import services_of
from bot.tg.reply import addressed_to_bot, question_text
from tests.tg.helpers import Q_ANSWER, STAFF_ID, make_settings, offline_app

NOW = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
ALICE = User(7, "Alice", False, language_code="zh-CN")
PRIVATE = Chat(7, Chat.PRIVATE)
GROUP = Chat(-1009, Chat.SUPERGROUP, title="g")
BOT = User(BOT_ID, "Yibao", True, username=BOT_USERNAME)


def message_update(text: str, *, chat: Chat = PRIVATE, sender: User = ALICE,
                   entities: list[MessageEntity] | None = None,
                   reply_to: Message | None = None, uid: int = 1) -> Update:
    msg = Message(uid, NOW, chat, from_user=sender, text=text, entities=entities,
                  reply_to_message=reply_to)
    return Update(uid, message=msg)


def command_update(text: str, **kw: Any) -> Update:
    length = len(text.split()[0])
    return message_update(text, entities=[MessageEntity(MessageEntity.BOT_COMMAND, 0, length)],
                          **kw)


def callback_update(data: str, markup: InlineKeyboardMarkup | None, uid: int = 50) -> Update:
    shown = Message(99, NOW, PRIVATE, from_user=BOT, text="an answer", reply_markup=markup)
    return Update(uid, callback_query=CallbackQuery("cq1", ALICE, "ci", message=shown,
                                                    data=data))


async def process(app: Application, update: Update) -> None:
    await app.process_update(Update.de_json(update.to_dict(), app.bot))


async def test_private_question_gets_an_html_answer_with_buttons(tmp_path: Path) -> None:
    async with offline_app(tmp_path) as (app, rec):
        await process(app, message_update(Q_ANSWER))
        [sent] = rec.sent()
        assert sent["parse_mode"] == "HTML" and sent["chat_id"] == 7
        assert sent["text"].startswith("可以通过医保APP办理备案 &lt;b&gt;")
        rows = sent["reply_markup"]["inline_keyboard"]
        assert [b["text"] for b in rows[0]] == ["👍 有帮助", "👎 没帮助"]
        assert "reply_parameters" not in sent  # no quote in a private chat


async def test_group_chatter_is_ignored_and_mentions_answered(tmp_path: Path) -> None:
    async with offline_app(tmp_path) as (app, rec):
        await process(app, message_update(Q_ANSWER, chat=GROUP))
        assert rec.sent() == []
        # Mentioned by a text_mention entity (a user link) rather than @username.
        text = f"Yibao {Q_ANSWER}"
        await process(app, message_update(text, chat=GROUP, entities=[
            MessageEntity(MessageEntity.TEXT_MENTION, 0, 5, user=BOT)], uid=2))
        [sent] = rec.sent()
        assert sent["reply_parameters"]["message_id"] == 2


def test_addressing_rules() -> None:
    class FakeBot:
        username = BOT_USERNAME
        id = BOT_ID

    bot: Any = FakeBot()

    def msg(text: str, chat: Chat = GROUP, **kw: Any) -> Message:
        return Message(1, NOW, chat, from_user=ALICE, text=text, **kw)

    mention = MessageEntity(MessageEntity.MENTION, 0, len(BOT_USERNAME) + 1)
    assert addressed_to_bot(msg("anything", PRIVATE), bot)
    assert not addressed_to_bot(msg("hello all"), bot)
    assert addressed_to_bot(msg(f"@{BOT_USERNAME.upper()} hi", entities=[mention]), bot)
    assert not addressed_to_bot(msg("@someone_else hi", entities=[
        MessageEntity(MessageEntity.MENTION, 0, 13)]), bot)
    assert addressed_to_bot(msg("/help"), bot)
    assert addressed_to_bot(msg(f"/help@{BOT_USERNAME}"), bot)
    assert not addressed_to_bot(msg("/help@other_bot"), bot)
    reply = msg("thanks", reply_to_message=Message(5, NOW, GROUP, from_user=BOT, text="a"))
    assert addressed_to_bot(reply, bot)
    assert not addressed_to_bot(msg("x", Chat(-1, Chat.CHANNEL)), bot)
    assert question_text(msg(f"@{BOT_USERNAME}  异地 @{BOT_USERNAME.title()}备案"), bot) == \
        "异地 备案"


async def test_a_button_not_on_the_message_is_refused(tmp_path: Path) -> None:
    async with offline_app(tmp_path) as (app, rec):
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("👍", callback_data="f:abc:1")]])
        await process(app, callback_update("f:zzz:1", markup))
        [answer] = rec.sent("answerCallbackQuery")
        assert answer["text"] == "这个按钮已失效，请重新提问或发送 /topics。"
        await process(app, callback_update("f:abc:1", markup, uid=51))
        assert rec.sent("answerCallbackQuery")[-1]["text"] == "谢谢您的反馈！"
        [edit] = rec.sent("editMessageReplyMarkup")
        assert edit["reply_markup"]["inline_keyboard"] == [[
            {"text": "🙏 已收到反馈", "callback_data": "x"}]]


async def test_non_staff_is_refused_and_the_attempt_logged(tmp_path: Path) -> None:
    async with offline_app(tmp_path) as (app, rec):
        await process(app, command_update("/reload"))
        assert rec.sent()[0]["text"] == "抱歉，这个命令仅供工作人员使用。"
        staff = User(STAFF_ID, "S", False)
        await process(app, command_update("/reload", sender=staff, chat=Chat(STAFF_ID, "private"),
                                          uid=2))
        assert rec.sent()[1]["text"] == "FAQ 已重新加载：第 2 版，共 7 条问答。"
        await services_of(app).store.flush()
        with sqlite3.connect(tmp_path / "data" / "queries.db") as conn:
            assert conn.execute("SELECT command FROM denied").fetchall() == [("reload",)]


async def test_error_handler_logs_the_update_id_never_the_token(
        tmp_path: Path, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    async with offline_app(tmp_path) as (app, rec):
        def boom(*a: object, **k: object) -> None:
            raise ValueError(f"bad thing with https://api.telegram.org/bot{TOKEN}/sendMessage")

        monkeypatch.setattr(services_of(app).holder.current.engine, "ask", boom)
        with caplog.at_level(logging.ERROR):
            await process(app, message_update(Q_ANSWER, uid=4321))
        [sent] = rec.sent()
        assert sent["text"] == "抱歉，出了点问题，请稍后再试。"
        assert "update 4321 failed" in caplog.text
        assert "/bot<token>/sendMessage" in caplog.text and TOKEN not in caplog.text


def test_redaction_filter_covers_every_logger(caplog: pytest.LogCaptureFixture) -> None:
    root = logging.getLogger()
    handler = logging.StreamHandler()
    root.addHandler(handler)
    try:
        install_redaction(TOKEN)
        record = logging.LogRecord("telegram.ext", logging.WARNING, __file__, 1,
                                   "POST https://api.telegram.org/bot%s/getMe", (TOKEN,), None)
        assert handler.filter(record) and TOKEN not in record.getMessage()
    finally:
        root.removeHandler(handler)


def test_run_checks_name_the_missing_variable(tmp_path: Path) -> None:
    base = make_settings(tmp_path)
    assert check(base, webhook=False) is None
    no_token = check(base.__class__(**{**base.__dict__, "telegram_token": None}), False)
    assert no_token and "TELEGRAM_BOT_TOKEN" in no_token and "python -m bot chat" in no_token
    assert "BOT_WEBHOOK_URL" in (check(base, webhook=True) or "")
    hooked = base.__class__(**{**base.__dict__, "webhook_url": "https://x.org/hook"})
    assert "BOT_WEBHOOK_SECRET" in (check(hooked, webhook=True) or "")
    bad = base.__class__(**{**hooked.__dict__, "webhook_secret": "has spaces!"})
    assert "A-Z a-z 0-9" in (check(bad, webhook=True) or "")
    assert webhook_path("https://x.org/tg/hook/") == "tg/hook"


def test_run_refuses_to_start_on_an_invalid_faq(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli.main import main

    faq = tmp_path / "faq"
    faq.mkdir()
    (faq / "sources.yaml").write_text("sources: [", encoding="utf-8")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("BOT_FAQ_DIR", str(faq))
    monkeypatch.setenv("BOT_DB_PATH", str(tmp_path / "data" / "q.db"))
    assert main(["run"]) == 1
    err = capsys.readouterr().err
    assert "sources.yaml" in err and TOKEN not in err


def test_run_without_a_token_names_the_variable(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli.main import main

    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert main(["run"]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "TELEGRAM_BOT_TOKEN" in line and "python -m bot chat" in line

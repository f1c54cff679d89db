"""End to end: staff commands and the hot-reloaded FAQ."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from bot.testing.fake_bot_api import BOT_USERNAME, user
from tests.tg.helpers import Q_ANSWER, Q_CLARIFY, Q_FALLBACK, STAFF_ID, running_bot

STAFF = user(STAFF_ID, "Staff")
NOT_ALLOWED = "抱歉，这个命令仅供工作人员使用。"


def db(tmp_path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(tmp_path / "data" / "queries.db") as conn:
        return conn.execute(sql).fetchall()


async def test_staff_commands_are_refused_and_logged_for_others(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        for command in ("/stats", "/unanswered", "/reload"):
            [r] = await h.ask(command, user(600))
            assert r.text == NOT_ALLOWED
    assert [c for (c,) in db(tmp_path, "SELECT command FROM denied ORDER BY id")] == [
        "stats", "unanswered", "reload"]
    # Only the HMAC of the user id is stored, never the id.
    assert "600" not in str(db(tmp_path, "SELECT user_ref FROM denied"))


async def test_staff_reports_are_never_posted_to_a_group(tmp_path: Path) -> None:
    group = -100777
    hint = "工作人员命令只在与机器人的私聊中使用。"
    async with running_bot(tmp_path) as h:
        await h.ask(Q_FALLBACK)  # a resident's question a report would show
        mark = h.api.mark()
        for sender in (STAFF, user(601)):
            for command in ("/stats", "/unanswered", "/reload", f"/stats@{BOT_USERNAME}"):
                [r] = await h.ask(command, sender, chat_id=group)
                assert r.text == hint, command
                assert r.params["reply_parameters"]["message_id"]  # quotes the command
        await h.api.idle()
        sent = h.api.find("sendMessage", since=mark)
        assert len(sent) == 8 and all(c.text == hint for c in sent)  # one line, nothing else
        # In private, staff still get the report.
        [top] = await h.ask("/unanswered", STAFF)
        assert Q_FALLBACK in top.text
    # Only the non-staff attempts count as refused commands.
    assert len(db(tmp_path, "SELECT * FROM denied")) == 4


async def test_stats_and_unanswered_for_staff(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        await h.ask(Q_ANSWER)
        await h.ask(Q_FALLBACK)
        await h.ask(Q_FALLBACK)
        [c] = await h.ask(Q_CLARIFY)
        await h.press(c, c.data_of("都不是"), method="sendMessage")
        [stats] = await h.ask("/stats", STAFF)
        assert "<b>使用统计（最近 30 天）</b>" in stats.text
        assert "提问 4 次：直接答出 1（25%），请用户选择 1，未能回答 2。" in stats.text
        assert "👎 1" in stats.text and "跨省异地就医：1" in stats.text
        [top] = await h.ask("/unanswered", STAFF)
        lines = top.text.splitlines()
        assert lines[0] == "<b>没答好的问题（最近 30 天，按次数）</b>"
        # Each group carries its key for `python -m bot review suggest KEY`.
        assert re.fullmatch(rf"2× {Q_FALLBACK}（[0-9a-f]{{6}}）", lines[2])
        assert f"1× {Q_CLARIFY}（" in top.text
        assert "共 2 种问法、3 次提问没答好" in top.text
        [en] = await h.ask("/unanswered", user(STAFF_ID, language_code="en"))
        assert en.text.startswith("<b>Questions answered poorly")


async def test_unanswered_when_there_is_nothing(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        [r] = await h.ask("/unanswered", STAFF)
        assert r.text == "最近没有没答好的问题。"


async def test_hot_reload_keeps_old_faq_on_error_and_tells_staff(tmp_path: Path) -> None:
    async with running_bot(tmp_path, faq_poll_seconds=0.05) as h:
        faq = tmp_path / "faq" / "cross_province.yaml"
        good = faq.read_text(encoding="utf-8")
        [before] = await h.ask(Q_ANSWER)
        # Break it: an entry loses its English answer.
        mark = h.api.mark()
        faq.write_text(good.replace(
            "      en: \"File through the medical-insurance app <b>not a tag</b> & symbol.\"\n",
            ""), encoding="utf-8")
        [told] = await h.api.wait_for("sendMessage", since=mark,
                                      where=lambda c: c.chat_id == STAFF_ID)
        assert told.text.startswith("检测到 faq/ 目录有改动。")
        assert "<b>FAQ 重新加载失败，仍在使用第 1 版（7 条问答）。请修正以下问题：</b>" in told.text
        assert "cross_province.yaml:" in told.text and "entry 'xp-filing'" in told.text
        assert "answer.en" in told.text
        # The old FAQ still answers.
        [still] = await h.ask(Q_ANSWER)
        assert still.text == before.text
        # Fix it, with a new answer: the new FAQ is served and staff are told.
        mark = h.api.mark()
        faq.write_text(good.replace("可以通过医保APP办理备案", "现在请在国家医保APP备案"),
                       encoding="utf-8")
        [ok] = await h.api.wait_for("sendMessage", since=mark,
                                    where=lambda c: c.chat_id == STAFF_ID)
        assert ok.text == "检测到 faq/ 目录有改动。\n\nFAQ 已重新加载：第 2 版，共 7 条问答。"
        [after] = await h.ask(Q_ANSWER)
        assert after.text.startswith("现在请在国家医保APP备案")


async def test_reload_command_reports_errors_with_file_entry_and_line(tmp_path: Path) -> None:
    faq = tmp_path / "faq" / "long_term_care.yaml"
    async with running_bot(tmp_path, faq_poll_seconds=3600) as h:
        [ok] = await h.ask("/reload", STAFF)
        assert ok.text == "FAQ 已重新加载：第 2 版，共 7 条问答。"
        faq.write_text(faq.read_text(encoding="utf-8").replace("entries:", "entries: [oops"),
                       encoding="utf-8")
        [bad] = await h.ask("/reload", STAFF)
        assert "仍在使用第 2 版" in bad.text
        assert "long_term_care.yaml:" in bad.text and "YAML syntax error" in bad.text
        [still] = await h.ask(Q_ANSWER)
        assert still.text.startswith("可以通过")

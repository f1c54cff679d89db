"""End to end: answers follow the question's language, region-labelled suggestions keep
their region, and two questions in one message get two answers (issue 9, items 3, 5, 6)."""

from __future__ import annotations

from pathlib import Path

from telegram import InlineKeyboardMarkup

from bot.testing.fake_bot_api import user
from bot.tg.keyboards import Pick, button, decode, encode
from tests.tg.helpers import running_bot

EN_FILING = "How do I file for treatment in another province?"


async def test_an_english_question_gets_an_english_answer_in_a_chinese_chat(
        tmp_path: Path) -> None:
    me = user(31, "Ayi", "zh-hans")
    async with running_bot(tmp_path) as h:
        [en] = await h.ask(EN_FILING, me)
        assert "File through the medical-insurance app" in en.text
        [zh] = await h.ask("异地就医备案怎么办理", me)
        assert "可以通过医保APP办理备案" in zh.text


async def test_a_language_fixed_with_lang_wins_over_the_questions(tmp_path: Path) -> None:
    me = user(32, "Ayi", "en")
    async with running_bot(tmp_path) as h:
        [prompt] = await h.ask("/lang", me)
        await h.press(prompt, "lg:zh", me, method="editMessageText")
        [reply] = await h.ask(EN_FILING, me)
        assert "可以通过医保APP办理备案" in reply.text


async def test_a_suggestion_labelled_with_a_region_answers_for_that_region_only(
        tmp_path: Path) -> None:
    me = user(33, "Ayi", "zh-hans")
    async with running_bot(tmp_path) as h:
        # The keyboard a clarification for Wuhai would carry: the entry has a Changji and a
        # Wuhai answer, the button names Wuhai.
        pick = Pick("q1", "fd-signup", region="wuhai")
        assert decode(encode(pick)) == pick
        mark = h.api.mark()
        await h.app.bot.send_message(me["id"], "您想问的是下面哪个问题？", reply_markup=(
            InlineKeyboardMarkup([[button("怎么签约家庭医生 【乌海市】", pick)]])))
        [offer] = await h.api.wait_for("sendMessage", 1, since=mark)
        mark = h.api.mark()
        h.api.press(offer, encode(pick), me)
        [answer] = await h.api.wait_for("sendMessage", 1, since=mark)
        assert "乌海可以在社区签约" in answer.text and "昌吉" not in answer.text


async def test_two_questions_in_one_message_get_both_answers(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        [reply] = await h.ask("异地就医备案怎么办理，另外住院能直接结算吗", user(34))
        assert "可以通过医保APP办理备案" in reply.text and "住院费用可以直接结算" in reply.text

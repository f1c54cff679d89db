"""End to end: a hostile question reaches staff's /unanswered escaped, not raw."""

from __future__ import annotations

from pathlib import Path

from bot.testing.fake_bot_api import user
from tests.tg.helpers import STAFF_ID, running_bot

HOSTILE = "今天天气\x1b[2J\x07怎么样\u202eabc"


async def test_unanswered_in_telegram_shows_control_characters_escaped(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        await h.ask(HOSTILE)
        [top] = await h.ask("/unanswered", user(STAFF_ID, "Staff"))
    for c in ("\x1b", "\x07", "\u202e"):
        assert c not in top.text
    assert "今天天气\\x1b[2J\\x07怎么样\\u202eabc" in top.text

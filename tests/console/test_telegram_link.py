"""/console in Telegram: staff get a one-time link in a private chat; the console accepts
it once; others are refused like /stats; no link is ever posted in a group."""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from bot.console.app import create_app, open_console
from bot.testing.fake_bot_api import user
from tests.helpers import TODAY
from tests.tg.helpers import STAFF_ID, running_bot

NOT_ALLOWED = "抱歉，这个命令仅供工作人员使用。"


async def test_console_link_for_staff_in_private_only(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        [refused] = await h.ask("/console", user(600))
        assert refused.text == NOT_ALLOWED
        [group] = await h.ask("/console", user(STAFF_ID), chat_id=-100, chat_type="group")
        assert "/signin/" not in group.text and "私聊" in group.text
        [reply] = await h.ask("/console", user(STAFF_ID))
        m = re.search(r"(http://\S+/signin/(\S+?))(?:\s|$|<)", reply.text)
        assert m, reply.text
        settings = h.settings
    console = await open_console(settings, today=TODAY)
    server = TestServer(create_app(console), host="127.0.0.1")
    async with TestClient(server) as client:
        token = m.group(2)
        r = await client.post("/signin", data={"token": token}, allow_redirects=False)
        assert r.status == 303
        assert (await client.get("/")).status == 200
        r = await client.post("/signin", data={"token": token}, allow_redirects=False)
        assert r.status == 403
    await console.store.close()

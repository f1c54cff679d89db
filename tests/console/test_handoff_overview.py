"""The overview shows the human handoff's figures (issue 11: 'and the console's overview')."""

from __future__ import annotations

import datetime as dt
import re

from aiohttp.test_utils import TestClient

from bot.console.app import Console
from tests.console.helpers import sign_in


async def test_overview_shows_tickets_first_response_and_share_resolved(
        client: TestClient, console: Console) -> None:
    store = console.store
    now = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=3)
    # Ticket 1: answered after 10 minutes, then closed by staff (resolved).
    t1, _ = await store.open_ticket(user_id=1, chat_id=1, lang="zh", region=None,
                                    question="失业了医保怎么续", now=now)
    await store.add_ticket_message(t1.number, "out", "text", "可以续缴",
                                   now=now + dt.timedelta(minutes=10))
    await store.close_ticket(t1.number, "staff", now=now + dt.timedelta(minutes=20))
    await store.rate_ticket(t1.number, 1, True)
    # Ticket 2: still open, nobody answered yet.
    await store.open_ticket(user_id=2, chat_id=2, lang="en", region=None,
                            question="can my wife use my card", now=now)
    await sign_in(client, console)
    html = await (await client.get("/?days=7")).text()
    section = html[html.index('id="handoff"'):]
    assert re.search(r'id="tickets">2<', section)
    assert re.search(r'id="first-response">10 min<', section)
    assert re.search(r'id="resolved">50.0%<', section)

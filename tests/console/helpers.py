"""Console test helpers: a seeded query log, the console over it, signing in."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
from pathlib import Path

from aiohttp.test_utils import TestClient

from bot.console.app import Console
from bot.core.engine import Engine
from bot.settings import Settings
from bot.staff import signin
from bot.store.querystore import QueryStore
from bot.store.records import record_from_result
from tests.helpers import FAQ_DIR, LOCALES_DIR, TODAY

SECRET = "console-test-secret-0123456789"
STAFF = 111
OTHER_STAFF = 222
XSS = "<script>alert(1)</script>"
# What the seeded log holds: (question, how many times, days ago). The engine decides the
# outcome, as it would in the bot.
SEED = [
    ("异地就医怎么备案", 6, 1), ("长护险每个月最多能给多少钱", 4, 2), ("家庭医生怎么签约", 3, 3),
    ("去外地住院要先办什么手续", 2, 1), ("看病不带卡行不行", 4, 1), ("看病没带卡行不行", 2, 2),
    ("宠物看病能报销吗", 3, 4), (XSS, 2, 1), ("我的电话13812345678怎么报销", 2, 2),
]
TOTAL = sum(n for _, n, _ in SEED)


def settings_for(tmp: Path, **extra: str) -> Settings:
    faq = tmp / "faq"
    if not faq.exists():
        shutil.copytree(FAQ_DIR, faq)
    env = {"BOT_DB_PATH": str(tmp / "queries.db"), "BOT_FAQ_DIR": str(faq),
           "BOT_LOCALES_DIR": str(LOCALES_DIR), "BOT_STAFF_IDS": f"{STAFF},{OTHER_STAFF}",
           "BOT_HMAC_SECRET": SECRET, "BOT_CONSOLE_URL": "http://127.0.0.1:8080", **extra}
    return Settings.from_env(env)


async def seed(settings: Settings, now: dt.datetime | None = None) -> dict[str, int]:
    """Log SEED through the real engine; one 👍 on each answered question's first asking,
    one 👎 on the second; return counts by status."""
    now = now or dt.datetime.now(dt.UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    engine = Engine.from_dir(settings.faq_dir, today=TODAY)
    store = await QueryStore.open(settings.db_path, SECRET)
    counts = {"answer": 0, "clarify": 0, "fallback": 0, "helpful": 0, "unhelpful": 0}
    try:
        for text, times, days_ago in SEED:
            for i in range(times):
                result = engine.ask(text)
                rec = record_from_result(result, channel="telegram", chat_type="private",
                                         user_id=1000 + i, latency_ms=3.0)
                rec = dataclasses.replace(rec, ts=now - dt.timedelta(days=days_ago, minutes=i))
                await store.log_query(rec)
                counts[result.status] += 1
                if result.status == "answer" and i < 2:
                    await store.log_feedback(rec.query_id, i == 0)
                    counts["helpful" if i == 0 else "unhelpful"] += 1
        await store.flush()
    finally:
        await store.close()
    return counts


def token_for(console: Console, staff_id: int = STAFF, now: dt.datetime | None = None) -> str:
    return signin.make_token(console.key, staff_id, now)


async def sign_in(client: TestClient, console: Console, staff_id: int = STAFF) -> None:
    r = await client.post("/signin", data={"token": token_for(console, staff_id)},
                          allow_redirects=False)
    assert r.status == 303, await r.text()


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field in the page"
    return m.group(1)

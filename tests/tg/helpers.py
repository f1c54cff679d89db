"""Shared helpers for the Telegram tests: a tiny FAQ, settings, the running bot, a recorder.

The e2e harness runs the real `bot.tg.app.serve` (the same code as `python -m bot run`) with
TELEGRAM_API_BASE_URL pointing at `FakeBotAPI` on 127.0.0.1 and the real SQLite store in a
temporary directory. Nothing leaves the loopback interface.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

from bot.settings import Settings
from bot.testing.fake_bot_api import BOT_ID, BOT_USERNAME, TOKEN, Call, FakeBotAPI, user
from bot.tg.app import build_application, open_services, serve
from bot.tg.context import Services, services_of

ROOT = Path(__file__).resolve().parents[2]
LOCALES_DIR = ROOT / "locales"
SECRET = "test-secret-0123456789abcdef"
STAFF_ID = 4242

# --------------------------------------------------------------------------- a tiny FAQ

LONG_ZH = "。".join(f"护理服务细则第{i}条：参保人按规定享受居家护理、机构护理等服务"
                   for i in range(1, 160)) + "。"
LONG_EN = " ".join(f"Rule {i}: insured people get home and institutional care as set out."
                   for i in range(1, 90))


FAQ: dict[str, str] = {
    "sources.yaml": """
sources:
  - {id: src-a, file: a.txt, title: "跨省就医报道 <A&B>", outlet: 测试日报, author: 记者甲,
     region: xinjiang, date: "2024-02-27"}
  - {id: src-b, file: b.txt, title: 长护险报道, outlet: 测试晚报, author: 记者乙,
     region: changji, date: "2025-03", date_inferred: true}
  - {id: src-c, file: c.txt, title: Family doctors report, outlet: Test Times,
     author: Reporter C, region: wuhai, date: "2023-01"}
""",
    "regions.yaml": """
covered:
  - {id: xinjiang, zh: 新疆, en: Xinjiang, aliases: [新疆]}
  - {id: changji, zh: 昌吉州, en: Changji, parent: xinjiang, aliases: [昌吉]}
  - {id: wuhai, zh: 乌海市, en: Wuhai, aliases: [乌海]}
elsewhere:
  none: [北京, 上海]
""",
    "synonyms.yaml": """
synonyms: {异地: [外地, 外省], 长期护理保险: [长护险], 家庭医生: [家医]}
fillers: [请问, 你好]
""",
    "cross_province.yaml": """
topic: {id: cross_province, zh: 跨省异地就医, en: Cross-province treatment}
entries:
  - id: xp-filing
    questions:
      zh: [异地就医备案怎么办理, 去外省看病要怎么备案, 异地备案在哪里办, 备案手续怎么办]
      en: ["How do I file for treatment in another province?"]
    keywords: [备案]
    region: xinjiang
    source: src-a
    as_of: "2024-02-27"
    answer:
      zh: "可以通过医保APP办理备案 <b>不是标签</b> & 符号。"
      en: "File through the medical-insurance app <b>not a tag</b> & symbol."
  - id: xp-settlement
    questions:
      zh: [跨省直接结算的人次是多少, 异地结算了多少人次, 直接结算人次, 结算人次有多少]
      en: ["How many cross-province settlements were there?"]
    keywords: [人次]
    region: xinjiang
    source: src-a
    as_of: "2024-02-27"
    answer: {zh: 据报道超过190万人次。, en: The report says over 190 ten-thousand visits.}
  - id: xp-outpatient
    questions:
      zh: [门诊费用能直接结算吗, 门诊能不能直接结算, 看门诊可以直接结算吗, 门诊直接结算]
      en: ["Can outpatient bills be settled directly?"]
    keywords: [门诊]
    region: xinjiang
    source: src-a
    as_of: "2024-02-27"
    answer: {zh: 门诊费用可以直接结算。, en: Outpatient bills can be settled directly.}
  - id: xp-inpatient
    questions:
      zh: [住院费用能直接结算吗, 住院能不能直接结算, 住院可以直接结算吗, 住院直接结算]
      en: ["Can inpatient bills be settled directly?"]
    keywords: [住院]
    region: xinjiang
    source: src-a
    as_of: "2024-02-27"
    answer: {zh: 住院费用可以直接结算。, en: Inpatient bills can be settled directly.}
""",
    "long_term_care.yaml": """
topic: {id: long_term_care, zh: 长期护理保险, en: Long-term care insurance}
entries:
  - id: ltc-what
    questions:
      zh: [长期护理保险是什么, 长护险是个啥, 什么是长护险, 长护险是干嘛的]
      en: ["What is long-term care insurance?"]
    region: changji
    source: src-b
    as_of: "2025-03"
    answer:
      zh: 长护险是为失能人员提供护理保障的保险。
      en: It is insurance that pays for care of disabled people.
  - id: ltc-long-answer
    questions:
      zh: [长护险护理服务细则全文, 护理服务细则全文, 细则全文在哪看, 完整的护理服务细则]
      en: ["Full text of the care service rules"]
    region: changji
    source: src-b
    as_of: "2025-03"
    answer: {zh: "LONG_ZH", en: "LONG_EN"}
""".replace("LONG_ZH", LONG_ZH).replace("LONG_EN", LONG_EN),
    "family_doctors.yaml": """
topic: {id: family_doctors, zh: 家庭医生, en: Family doctors}
entries:
  - id: fd-signup
    questions:
      zh: [怎么签约家庭医生, 家庭医生在哪签约, 签家庭医生要去哪, 家医怎么签]
      en: ["How do I sign up with a family doctor?"]
    variants:
      - region: changji
        source: src-b
        as_of: "2025-03"
        answer:
          zh: 昌吉可以在社区卫生服务中心签约。
          en: In Changji sign up at the community health centre.
      - region: wuhai
        source: src-c
        as_of: "2023-01"
        answer: {zh: 乌海可以在社区签约。, en: In Wuhai sign up in your community.}
""",
}

# Questions with a known outcome on the tiny FAQ.
Q_ANSWER = "异地就医备案怎么办理"  # -> xp-filing
Q_CLARIFY = "能直接结算吗"  # -> inpatient / outpatient / settlement
Q_FALLBACK = "今天天气怎么样"
Q_LONG = "细则全文"  # -> ltc-long-answer (over 4096 characters)
Q_REGIONAL = "家庭医生怎么签约"  # -> fd-signup (changji + wuhai variants)


def write_faq(directory: Path, files: dict[str, str] | None = None) -> Path:
    """Write the tiny FAQ (or `files`: name -> YAML text) into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in (files or FAQ).items():
        (directory / name).write_text(text.lstrip(), encoding="utf-8")
    return directory


def make_settings(tmp_path: Path, base_url: str = "", **changes: Any) -> Settings:
    """Settings for a bot in `tmp_path` talking to a fake API at `base_url`."""
    faq = tmp_path / "faq"
    if not faq.exists():
        write_faq(faq)
    settings = Settings(
        faq_dir=faq, locales_dir=LOCALES_DIR, db_path=tmp_path / "data" / "queries.db",
        hmac_secret=SECRET, retention_days=180, telegram_token=TOKEN,
        telegram_api_base_url=base_url or None, staff_ids=frozenset({STAFF_ID}),
        faq_poll_seconds=0.1,
    )
    return replace(settings, **changes)


# --------------------------------------------------------------------------- e2e harness


@dataclass
class Harness:
    """A running bot and the fake Telegram it talks to."""

    api: FakeBotAPI
    app: Application
    settings: Settings
    stop: asyncio.Event
    task: asyncio.Task[int]

    @property
    def svc(self) -> Services:
        return services_of(self.app)

    async def ask(self, text: str, sender: dict[str, Any] | None = None, *, n: int = 1,
                  **kw: Any) -> list[Call]:
        """Send `text` and return the first `n` messages the bot sends to that chat."""
        sender = sender or user()
        chat_id = kw.get("chat_id", sender["id"])
        mark = self.api.mark()
        self.api.send_text(text, sender, **kw)
        return await self.api.wait_for("sendMessage", n, since=mark,
                                       where=lambda c: c.chat_id == chat_id)

    async def press(self, reply: Call, data: str, sender: dict[str, Any] | None = None,
                    method: str | Sequence[str] = "answerCallbackQuery") -> list[Call]:
        """Tap a button and wait for the bot to answer the callback query."""
        mark = self.api.mark()
        self.api.press(reply, data, sender)
        await self.api.wait_for(method, since=mark)
        return self.api.calls[mark:]


@contextlib.asynccontextmanager
async def running_bot(tmp_path: Path, *, webhook: bool = False, api: FakeBotAPI | None = None,
                      **changes: Any) -> AsyncIterator[Harness]:
    """Start the fake API and `serve()`; on exit stop the bot as SIGTERM would and check it
    exited 0."""
    own_api = api is None
    api = api or FakeBotAPI()
    if own_api:
        await api.start()
    settings = make_settings(tmp_path, api.base_url, **changes)
    stop = asyncio.Event()
    ready: asyncio.Future[Application] = asyncio.get_running_loop().create_future()

    async def on_ready(app: Application) -> None:
        ready.set_result(app)

    task = asyncio.create_task(serve(settings, webhook=webhook, stop=stop,
                                     install_signals=False, poll_timeout=5, on_ready=on_ready))
    try:
        waited: set[asyncio.Future[Any]] = {task, ready}
        done, _ = await asyncio.wait(waited, timeout=10,
                                     return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            task.result()  # raises what went wrong
            raise AssertionError("the bot exited before it was ready")
        if not done:
            raise AssertionError("the bot did not start within 10 s")
        yield Harness(api, ready.result(), settings, stop, task)
    finally:
        stop.set()
        try:
            rc = await asyncio.wait_for(task, 15)
        finally:
            if own_api:
                await api.stop()
        assert rc == 0


# --------------------------------------------------------------------------- unit tier


class RecordingRequest(BaseRequest):
    """A request object that answers every Bot API call locally and records it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._ids = iter(range(10_000, 1_000_000))

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    @property
    def read_timeout(self) -> float:
        return 1.0

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = None, write_timeout: Any = None,
                         connect_timeout: Any = None, pool_timeout: Any = None,
                         ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        self.calls.append((name, params))
        result: Any = True
        if name == "getMe":
            result = {"id": BOT_ID, "is_bot": True, "first_name": "Yibao",
                      "username": BOT_USERNAME}
        elif name in ("sendMessage", "editMessageText", "editMessageReplyMarkup"):
            result = {"message_id": params.get("message_id") or next(self._ids), "date": 0,
                      "chat": {"id": params["chat_id"], "type": "private"},
                      "from": {"id": BOT_ID, "is_bot": True, "first_name": "Yibao"},
                      "text": params.get("text", "")}
        elif name == "getUpdates":
            result = []
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [p for m, p in self.calls if m == method]


@contextlib.asynccontextmanager
async def offline_app(tmp_path: Path, **changes: Any) -> AsyncIterator[
        tuple[Application, RecordingRequest]]:
    """The real Application (handlers, services, store) with a recording request object."""
    settings = make_settings(tmp_path, **changes)
    svc = await open_services(settings)
    rec = RecordingRequest()
    app = build_application(svc, request=rec, updates_request=rec, rate_limiter=False)
    try:
        async with app:
            yield app, rec
    finally:
        await svc.store.close()


async def feed(app: Application, update: dict[str, Any]) -> None:
    """Process one update (a dict, as Telegram sends it) through the application."""
    await app.process_update(Update.de_json(update, app.bot))

"""A fake Telegram Bot API server on 127.0.0.1, for end-to-end tests and the benchmark.

It implements what the bot uses (getMe, getUpdates with long polling, sendMessage,
editMessageText, editMessageReplyMarkup, answerCallbackQuery, setMyCommands,
deleteWebhook, setWebhook, sendChatAction, copyMessage, forwardMessage, sendPhoto,
sendDocument…), records every call the bot makes, and plays the users' side (residents in
private chats, members of a group replying to the bot's messages): tests queue messages,
edits, media and button presses, then wait for the calls they expect. Failures (a 429 with
retry_after, a 5xx) can be injected per method, and a chat can be made `unreachable` (403,
e.g. the bot was kicked from the group).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import re
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456789:TEST-fake-token-for-loopback-tests"
BOT_ID = 123456789
BOT_USERNAME = "yibao_test_bot"
# Parameters PTB sends JSON-encoded inside form fields.
_JSON_FIELDS = {"reply_markup", "allowed_updates", "commands", "scope", "link_preview_options",
                "reply_parameters", "entities"}
_INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "user_id", "from_chat_id",
               "message_thread_id"}
# Methods that post into a chat: they fail for a chat in `FakeBotAPI.unreachable`.
_POSTING = {"sendMessage", "copyMessage", "forwardMessage", "sendPhoto", "sendDocument"}
_TAG = re.compile(r"<[^>]+>")


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: dict[str, Any]
    t: float = field(default_factory=time.perf_counter)
    status: int = 200
    result: Any = None

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def chat_id(self) -> int | None:
        return self.params.get("chat_id")

    @property
    def markup(self) -> list[list[tuple[str, str]]]:
        """The inline keyboard as rows of (label, callback data)."""
        rm = self.params.get("reply_markup") or {}
        return [[(b["text"], b.get("callback_data", "")) for b in row]
                for row in rm.get("inline_keyboard", [])]

    @property
    def buttons(self) -> list[tuple[str, str]]:
        return [b for row in self.markup for b in row]

    def data_of(self, label_part: str) -> str:
        """The callback data of the first button whose label contains `label_part`."""
        for text, data in self.buttons:
            if label_part in text:
                return data
        raise AssertionError(f"no button with {label_part!r} in {self.buttons}")


def user(uid: int = 1001, first_name: str = "Ayi", language_code: str | None = "zh-hans",
         **extra: Any) -> dict[str, Any]:
    """A Telegram user dict."""
    u: dict[str, Any] = {"id": uid, "is_bot": False, "first_name": first_name, **extra}
    if language_code:
        u["language_code"] = language_code
    return u


class FakeBotAPI:
    """The server, the recorded calls, and the user's side of the conversation."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.bot = {"id": BOT_ID, "is_bot": True, "first_name": "Yibao", "username": BOT_USERNAME,
                    "can_join_groups": True, "can_read_all_group_messages": False,
                    "supports_inline_queries": False}
        self.calls: list[Call] = []
        self.get_updates_calls = 0
        self.webhook: dict[str, Any] | None = None
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.update_times: dict[int, float] = {}  # update_id -> when it was queued
        self._failures: dict[str, deque[tuple[int, dict[str, Any]]]] = defaultdict(deque)
        self._changed = asyncio.Condition()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False
        self._holds: dict[str, asyncio.Event] = {}
        self.arrived: dict[str, int] = defaultdict(int)  # calls received, answered or not
        self.listeners: list[Callable[[Call], None]] = []  # told of every call (the bench)
        # chat id -> the error description for chats the bot cannot post to (kicked, gone)
        self.unreachable: dict[int, str] = {}
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # ------------------------------------------------------------------ server

    async def start(self, port: int = 0) -> str:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        sock = site._server.sockets[0]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        return self.base_url

    async def stop(self) -> None:
        self._closing = True  # long polls in flight return at once
        async with self._changed:
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeBotAPI:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @staticmethod
    def _decode(raw: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in raw.items():
            if key in _JSON_FIELDS and isinstance(value, str):
                value = json.loads(value)
            elif key in _INT_FIELDS and isinstance(value, str) and re.fullmatch(r"-?\d+", value):
                value = int(value)
            out[key] = value
        return out

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            body = await request.json() if request.can_read_body else {}
            return dict(body or {})
        if request.can_read_body:
            form = await request.post()
            return self._decode({k: v for k, v in form.items() if isinstance(v, str)})
        return self._decode(dict(request.query))

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401,
                                      "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        params = await self._params(request)
        if method == "getUpdates":
            self.get_updates_calls += 1
        else:
            async with self._changed:
                self.arrived[method] += 1
                self._changed.notify_all()
        hold = self._holds.get(method)
        if hold is not None:
            await hold.wait()
        chat = params.get("chat_id")
        if method in _POSTING and isinstance(chat, int) and chat in self.unreachable:
            body = {"ok": False, "error_code": 403, "description": self.unreachable[chat]}
            await self._record(Call(method, params, status=403))
            return web.json_response(body, status=403)
        failures = self._failures.get(method)
        if failures:
            status, body = failures.popleft()
            await self._record(Call(method, params, status=status))
            return web.json_response(body, status=status)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return web.json_response({"ok": False, "error_code": 404,
                                      "description": "Not Found: method not found"}, status=404)
        result = await handler(params)
        if method != "getUpdates":
            await self._record(Call(method, params, result=result))
        return web.json_response({"ok": True, "result": result})

    async def _record(self, call: Call) -> None:
        for listener in self.listeners:
            listener(call)
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    # ------------------------------------------------------------------ Bot API methods

    async def _api_getMe(self, p: dict[str, Any]) -> Any:
        return self.bot

    async def _api_getUpdates(self, p: dict[str, Any]) -> Any:
        offset = int(p.get("offset") or 0)
        timeout = float(p.get("timeout") or 0)
        limit = int(p.get("limit") or 100)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and timeout > 0:
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait_for(
                        lambda: bool(self._updates) or self._closing),
                                           timeout)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        return self._updates[:limit]

    def _store(self, chat_id: int, message: dict[str, Any]) -> dict[str, Any]:
        self.messages[(chat_id, message["message_id"])] = message
        return message

    def _bot_message(self, p: dict[str, Any], message_id: int | None = None) -> dict[str, Any]:
        chat_id = int(p["chat_id"])
        old = self.messages.get((chat_id, message_id or 0), {})
        text = p.get("text")
        msg = {
            "message_id": message_id or next(self._message_ids),
            "date": int(time.time()),
            "chat": old.get("chat") or self._chat(chat_id),
            "from": self.bot,
            # What a client would see: tags become entities (not modelled), text unescaped.
            "text": html.unescape(_TAG.sub("", text)) if text is not None else old.get("text", ""),
        }
        markup = p.get("reply_markup", old.get("reply_markup") if text is None else None)
        if markup:
            msg["reply_markup"] = markup
        return self._store(chat_id, msg)

    async def _api_sendMessage(self, p: dict[str, Any]) -> Any:
        return self._bot_message(p)

    def _copy(self, p: dict[str, Any], src: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(p["chat_id"])
        msg: dict[str, Any] = {k: v for k, v in src.items()
                               if k in ("text", "photo", "document", "caption")}
        msg.update(message_id=next(self._message_ids), date=int(time.time()),
                   chat=self._chat(chat_id), **{"from": self.bot})
        if p.get("caption") is not None:
            msg["caption"] = html.unescape(_TAG.sub("", str(p["caption"])))
        if p.get("reply_markup"):
            msg["reply_markup"] = p["reply_markup"]
        return self._store(chat_id, msg)

    async def _api_copyMessage(self, p: dict[str, Any]) -> Any:
        src = self.messages.get((int(p["from_chat_id"]), int(p["message_id"])), {})
        return {"message_id": self._copy(p, src)["message_id"]}

    async def _api_forwardMessage(self, p: dict[str, Any]) -> Any:
        return self._copy(p, self.messages.get((int(p["from_chat_id"]),
                                                int(p["message_id"])), {}))

    async def _api_sendPhoto(self, p: dict[str, Any]) -> Any:
        photo = [{"file_id": str(p.get("photo", "p")), "file_unique_id": "pu", "width": 90,
                  "height": 90}]
        return self._copy(p, {"photo": photo})

    async def _api_sendDocument(self, p: dict[str, Any]) -> Any:
        return self._copy(p, {"document": {"file_id": str(p.get("document", "d")),
                                           "file_unique_id": "du"}})

    async def _api_editMessageText(self, p: dict[str, Any]) -> Any:
        return self._bot_message(p, int(p["message_id"]))

    async def _api_editMessageReplyMarkup(self, p: dict[str, Any]) -> Any:
        chat_id, mid = int(p["chat_id"]), int(p["message_id"])
        msg = dict(self.messages[(chat_id, mid)])
        if p.get("reply_markup"):
            msg["reply_markup"] = p["reply_markup"]
        else:
            msg.pop("reply_markup", None)
        return self._store(chat_id, msg)

    async def _api_answerCallbackQuery(self, p: dict[str, Any]) -> Any:
        return True

    async def _api_sendChatAction(self, p: dict[str, Any]) -> Any:
        return True

    async def _api_setMyCommands(self, p: dict[str, Any]) -> Any:
        return True

    async def _api_deleteWebhook(self, p: dict[str, Any]) -> Any:
        self.webhook = None
        return True

    async def _api_setWebhook(self, p: dict[str, Any]) -> Any:
        self.webhook = p
        return True

    async def _api_getWebhookInfo(self, p: dict[str, Any]) -> Any:
        return {"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}

    # ------------------------------------------------------------------ failures

    def fail(self, method: str, status: int = 500, *, retry_after: int | None = None,
             times: int = 1) -> None:
        """Answer the next `times` calls of `method` with an error (429 when retry_after)."""
        body: dict[str, Any] = {"ok": False, "error_code": status,
                                "description": "Internal Server Error"}
        if retry_after is not None:
            body = {"ok": False, "error_code": 429,
                    "description": f"Too Many Requests: retry after {retry_after}",
                    "parameters": {"retry_after": retry_after}}
            status = 429
        for _ in range(times):
            self._failures[method].append((status, body))

    def hold(self, method: str) -> asyncio.Event:
        """Keep calls of `method` waiting (in flight) until the returned event is set."""
        event = self._holds[method] = asyncio.Event()
        return event

    async def wait_arrival(self, method: str, n: int = 1, timeout: float = 5.0) -> None:
        """Wait until `n` calls of `method` have reached the server (answered or not)."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: self.arrived[method] >= n),
                                   timeout)

    # ------------------------------------------------------------------ the user's side

    @staticmethod
    def _chat(chat_id: int, chat_type: str | None = None) -> dict[str, Any]:
        if chat_type is None:
            chat_type = "private" if chat_id > 0 else "supergroup"
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = "User"
        else:
            chat["title"] = "Test group"
        return chat

    def _message(self, sender: dict[str, Any], chat_id: int | None, chat_type: str | None,
                 **content: Any) -> dict[str, Any]:
        chat_id = sender["id"] if chat_id is None else chat_id
        msg = {"message_id": next(self._message_ids), "date": int(time.time()),
               "chat": self._chat(chat_id, chat_type), "from": sender, **content}
        self._store(chat_id, msg)
        return msg

    def _update(self, **kinds: Any) -> dict[str, Any]:
        return {"update_id": next(self._update_ids), **kinds}

    def text_update(self, text: str, sender: dict[str, Any] | None = None, *,
                    chat_id: int | None = None, chat_type: str | None = None,
                    reply_to: dict[str, Any] | None = None,
                    entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """An update carrying a new text message (commands get their entity)."""
        sender = sender or user()
        content: dict[str, Any] = {"text": text}
        ents = list(entities or [])
        if text.startswith("/"):
            ents.insert(0, {"type": "bot_command", "offset": 0,
                            "length": len(text.split()[0])})
        if ents:
            content["entities"] = ents
        if reply_to is not None:
            content["reply_to_message"] = reply_to
        return self._update(message=self._message(sender, chat_id, chat_type, **content))

    def queue(self, *updates: dict[str, Any]) -> list[int]:
        """Make updates available to getUpdates; returns their ids."""
        now = time.perf_counter()
        for u in updates:
            self.update_times[u["update_id"]] = now
        self._updates.extend(updates)
        task = asyncio.get_running_loop().create_task(self._wake())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return [u["update_id"] for u in updates]

    async def _wake(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def send_text(self, text: str, sender: dict[str, Any] | None = None, **kw: Any) -> int:
        """The user sends `text`; returns the update id."""
        return self.queue(self.text_update(text, sender, **kw))[0]

    def send_media(self, kind: str, sender: dict[str, Any] | None = None, **kw: Any) -> int:
        """The user sends a sticker / photo / voice / location / document."""
        kinds: dict[str, dict[str, Any]] = {
            "sticker": {"sticker": {"file_id": "s1", "file_unique_id": "s1u", "width": 512,
                                    "height": 512, "is_animated": False, "is_video": False,
                                    "type": "regular"}},
            "photo": {"photo": [{"file_id": "p1", "file_unique_id": "p1u", "width": 90,
                                 "height": 90}]},
            "voice": {"voice": {"file_id": "v1", "file_unique_id": "v1u", "duration": 2}},
            "location": {"location": {"latitude": 43.8, "longitude": 87.6}},
            "document": {"document": {"file_id": "d1", "file_unique_id": "d1u",
                                      "file_name": "a.pdf"}},
        }
        content = dict(kinds[kind])
        if kw.get("caption"):
            content["caption"] = kw["caption"]
        if kw.get("reply_to") is not None:
            content["reply_to_message"] = kw["reply_to"]
        msg = self._message(sender or user(), kw.get("chat_id"), kw.get("chat_type"), **content)
        return self.queue(self._update(message=msg))[0]

    def edit_text(self, original: dict[str, Any], text: str) -> int:
        """The user edits one of their messages (as found in `self.messages`)."""
        msg = {**original, "text": text, "edit_date": int(time.time())}
        self._store(msg["chat"]["id"], msg)
        return self.queue(self._update(edited_message=msg))[0]

    def last_user_message(self, chat_id: int) -> dict[str, Any]:
        mine = [m for (c, _), m in self.messages.items()
                if c == chat_id and m["from"]["id"] != BOT_ID]
        return mine[-1]

    def press(self, reply: Call | dict[str, Any], data: str,
              sender: dict[str, Any] | None = None) -> int:
        """The user taps a button with `data` under a message the bot sent."""
        if isinstance(reply, Call):
            reply = self.message_of(reply)
        if sender is None:
            chat_id = reply["chat"]["id"]
            sender = user(chat_id) if chat_id > 0 else user()
        query = {"id": str(next(self._callback_ids)), "from": sender,
                 "chat_instance": "ci-1", "data": data,
                 "message": self.messages[(reply["chat"]["id"], reply["message_id"])]}
        return self.queue(self._update(callback_query=query))[0]

    def message_of(self, call: Call) -> dict[str, Any]:
        """The message a sendMessage/edit call produced, in its current state."""
        return self.messages[(int(call.chat_id or 0), int(call.result["message_id"]))]

    # ------------------------------------------------------------------ waiting

    def mark(self) -> int:
        """A position in the call log; `wait_for(..., since=mark)` looks only after it."""
        return len(self.calls)

    def find(self, method: str | Iterable[str], since: int = 0,
             where: Callable[[Call], bool] | None = None) -> list[Call]:
        methods = {method} if isinstance(method, str) else set(method)
        return [c for c in self.calls[since:]
                if c.method in methods and (where is None or where(c))]

    async def wait_for(self, method: str | Iterable[str], n: int = 1, *, since: int = 0,
                       where: Callable[[Call], bool] | None = None,
                       timeout: float = 5.0) -> list[Call]:
        """Wait until the bot has made `n` matching calls after `since`; return them."""
        async with self._changed:
            try:
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: len(self.find(method, since, where)) >= n),
                    timeout)
            except TimeoutError:
                got = [(c.method, c.params.get("text", "")[:60]) for c in self.calls[since:]]
                raise AssertionError(f"timed out waiting for {n}x {method}; got {got}") from None
        return self.find(method, since, where)[:n]

    async def idle(self, quiet: float = 0.2) -> None:
        """Wait until the bot has made no call for `quiet` seconds (to assert silence)."""
        last = len(self.calls)
        while True:
            await asyncio.sleep(quiet)
            if len(self.calls) == last:
                return
            last = len(self.calls)

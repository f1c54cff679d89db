"""End to end: limits, Telegram errors, stale buttons, webhook mode and shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.testing.fake_bot_api import TOKEN, Call, FakeBotAPI, user
from bot.tg import conversation as tg_conversation
from bot.tg.webhook import MAX_BODY
from tests.tg.helpers import (
    LOCALES_DIR,
    Q_ANSWER,
    Q_CLARIFY,
    Q_FALLBACK,
    ROOT,
    SECRET,
    Harness,
    running_bot,
    write_faq,
)


def db(tmp_path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(tmp_path / "data" / "queries.db") as conn:
        return conn.execute(sql).fetchall()


# --------------------------------------------------------------------------- limits


async def test_per_user_rate_limit_one_notice_then_silence(tmp_path: Path) -> None:
    async with running_bot(tmp_path, user_rate_limit=3) as h:
        flood = user(31)
        for _ in range(6):
            h.api.send_text(Q_ANSWER, flood)
        got = await h.api.wait_for("sendMessage", 4, where=lambda c: c.chat_id == 31)
        assert [c.text.startswith("可以通过") for c in got] == [True, True, True, False]
        assert got[3].text == "您发送得太快了，请稍等一分钟再提问。"
        # A button press is the 7th update of this chat; one chat's updates are handled in
        # order, so when it is answered (silently: no second notice), 5 and 6 were dropped.
        calls = await h.press(got[0], got[0].data_of("👍"))
        assert calls[-1].method == "answerCallbackQuery" and "text" not in calls[-1].params
        assert len(h.api.find("sendMessage", where=lambda c: c.chat_id == 31)) == 4
        assert not h.api.find("editMessageReplyMarkup")  # the vote was not taken
        # Other users are not affected.
        [other] = await h.ask(Q_ANSWER, user(32))
        assert other.text.startswith("可以通过")
    assert len(db(tmp_path, "SELECT * FROM queries")) == 4


# PTB itself reads RetryAfter.retry_after, which warns about a future type change.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_telegram_429_is_waited_out_and_the_answer_delivered(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        h.api.fail("sendMessage", retry_after=1)
        mark = h.api.mark()
        h.api.send_text(Q_ANSWER)
        first, retried = await h.api.wait_for("sendMessage", 2, since=mark)
        assert first.status == 429 and retried.status == 200
        assert retried.t - first.t >= 1.0  # retry_after respected
        assert retried.text.startswith("可以通过")
        [next_one] = await h.ask(Q_CLARIFY)
        assert next_one.status == 200
    assert len(db(tmp_path, "SELECT * FROM queries")) == 2


async def test_a_5xx_on_send_is_apologised_for_and_the_bot_carries_on(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="bot")
    async with running_bot(tmp_path) as h:
        h.api.fail("sendMessage", 500)
        mark = h.api.mark()
        update_id = h.api.send_text(Q_ANSWER)
        failed, apology = await h.api.wait_for("sendMessage", 2, since=mark)
        assert failed.status == 500
        assert apology.status == 200 and apology.text == "抱歉，出了点问题，请稍后再试。"
        [ok] = await h.ask(Q_ANSWER)
        assert ok.text.startswith("可以通过")
    errors = [r.getMessage() for r in caplog.records if r.name == "bot.tg.handlers"]
    assert any(f"update {update_id} failed" in e for e in errors)
    assert not any(TOKEN in r.getMessage() for r in caplog.records)
    # The query was logged although its answer could not be sent.
    assert len(db(tmp_path, "SELECT * FROM queries")) == 2


async def test_a_5xx_on_get_updates_is_retried(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        h.api.fail("getUpdates", 502)
        [r] = await h.ask(Q_ANSWER)
        assert r.text.startswith("可以通过")
        assert len(h.api.find("getUpdates")) == 1  # the failure, recorded


async def test_a_crashing_handler_gets_an_apology_and_never_stops_the_bot(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    async with running_bot(tmp_path) as h:
        def boom(*a: object, **k: object) -> None:
            raise RuntimeError(f"engine exploded near {TOKEN}")

        monkeypatch.setattr(h.svc.holder.current.engine, "ask", boom)
        [sorry] = await h.ask("会出错的问题")
        assert sorry.text == "抱歉，出了点问题，请稍后再试。"
        monkeypatch.undo()
        [ok] = await h.ask(Q_ANSWER)
        assert ok.text.startswith("可以通过")
    text = caplog.text
    assert "engine exploded near <token>" in text and TOKEN not in text


# --------------------------------------------------------------------------- buttons


async def test_forged_and_unknown_button_data_get_a_polite_answer(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        [r] = await h.ask(Q_ANSWER)
        mark = h.api.mark()
        expired = "这个按钮已失效，请重新提问或发送 /topics。"
        for data in ("f:someoneElse1:0",  # well-formed, but not on this message
                     "e:xp-settlement:extra", "garbage", "", "x" * 80, "tp:../../etc:0"):
            calls = await h.press(r, data)
            assert calls[-1].params.get("text") == expired, data
        assert not h.api.find(["editMessageReplyMarkup", "sendMessage"], since=mark)
    assert db(tmp_path, "SELECT * FROM feedback") == []


async def test_button_of_an_entry_removed_by_a_reload_is_stale(tmp_path: Path) -> None:
    async with running_bot(tmp_path, faq_poll_seconds=60) as h:
        [r] = await h.ask(Q_ANSWER)
        related = r.markup[1][0][1]
        entry_id = related.split(":")[1]
        faq = tmp_path / "faq" / "cross_province.yaml"
        text = faq.read_text(encoding="utf-8")
        start = text.index(f"  - id: {entry_id}")
        end = text.find("\n  - id:", start + 1)
        faq.write_text(text[:start] + (text[end + 1:] if end != -1 else ""), encoding="utf-8")
        assert (await asyncio.to_thread(h.svc.holder.reload)).ok
        calls = await h.press(r, related)
        assert calls[-1].params["text"] == "这个按钮已失效，请重新提问或发送 /topics。"


# --------------------------------------------------------------------------- webhook


async def test_webhook_rejects_a_wrong_secret_and_serves_the_right_one(
        tmp_path: Path, unused_tcp_port: int) -> None:
    url = "https://bot.example.org/tg-hook"
    async with running_bot(tmp_path, webhook=True, webhook_url=url,
                           webhook_listen="127.0.0.1", webhook_port=unused_tcp_port,
                           webhook_secret="s3cret-Token_1") as h:
        assert h.api.webhook is not None
        assert h.api.webhook["url"] == url and h.api.webhook["secret_token"] == "s3cret-Token_1"
        assert h.api.get_updates_calls == 0
        hook = f"http://127.0.0.1:{unused_tcp_port}/tg-hook"
        async with aiohttp.ClientSession() as http:
            for headers in ({"X-Telegram-Bot-Api-Secret-Token": "wrong"}, {}):
                update = h.api.text_update(Q_ANSWER, user(61))
                async with http.post(hook, json=update, headers=headers) as resp:
                    assert resp.status == 403
            good = h.api.text_update(Q_CLARIFY, user(62))
            mark = h.api.mark()
            async with http.post(hook, json=good,
                                 headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_1"}
                                 ) as resp:
                assert resp.status == 200
            [r] = await h.api.wait_for("sendMessage", since=mark)
        assert r.chat_id == 62 and r.text == "<b>您是想问下面哪个问题？</b>"
        assert not h.api.find("sendMessage", where=lambda c: c.chat_id == 61)
    assert [t for (t,) in db(tmp_path, "SELECT text FROM queries")] == [Q_CLARIFY]


HOOK_SECRET = "s3cret-Token_1"


@contextlib.asynccontextmanager
async def webhook_bot(tmp_path: Path, port: int) -> AsyncIterator[Harness]:
    async with running_bot(tmp_path, webhook=True, webhook_url="https://bot.example.org/tg-hook",
                           webhook_listen="127.0.0.1", webhook_port=port,
                           webhook_secret=HOOK_SECRET) as h:
        yield h


async def _raw_post(port: int, headers: dict[str, str], body: bytes = b"") -> int:
    """POST to the webhook over a raw connection: send the headers and `body` (maybe only
    the start of what Content-Length announces), then return the status of the reply."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": "127.0.0.1",
                                                     "Content-Type": "application/json",
                                                     **headers}.items())
        writer.write(f"POST /tg-hook HTTP/1.1\r\n{head}\r\n".encode() + body)
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        # The reply must come without the rest of the body: before the fix the server
        # waited for all of it, and this timed out.
        status_line = await asyncio.wait_for(reader.readline(), 5)
        return int(status_line.split()[1])
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def test_webhook_refuses_a_huge_post_with_a_wrong_secret_without_reading_it(
        tmp_path: Path, unused_tcp_port: int) -> None:
    async with webhook_bot(tmp_path, unused_tcp_port) as h:
        huge = str(90 * 1024 * 1024)  # announced, never sent
        for secret in ({"X-Telegram-Bot-Api-Secret-Token": "wrong"}, {}):
            assert await _raw_post(unused_tcp_port, {"Content-Length": huge, **secret},
                                   b"{" * 1024) == 403
        # With the right secret, an announced body over 1 MB is refused just as early.
        assert await _raw_post(unused_tcp_port, {
            "Content-Length": str(MAX_BODY + 1),
            "X-Telegram-Bot-Api-Secret-Token": HOOK_SECRET}, b"{" * 1024) == 413
        [r] = await _ask_by_webhook(h, unused_tcp_port, Q_ANSWER)  # still serving
        assert r.text.startswith("可以通过")


async def test_webhook_caps_a_body_sent_without_a_length_at_1_mb(
        tmp_path: Path, unused_tcp_port: int) -> None:
    async with webhook_bot(tmp_path, unused_tcp_port) as h:
        chunk = b"{" * (64 * 1024)
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk)
                          for _ in range(MAX_BODY // len(chunk) + 1)) + b"0\r\n\r\n"
        assert await _raw_post(unused_tcp_port, {
            "Transfer-Encoding": "chunked",
            "X-Telegram-Bot-Api-Secret-Token": HOOK_SECRET}, chunks) == 413
        [r] = await _ask_by_webhook(h, unused_tcp_port, Q_ANSWER)
        assert r.text.startswith("可以通过")


async def test_webhook_answers_malformed_json_with_400_not_500(
        tmp_path: Path, unused_tcp_port: int) -> None:
    hook = f"http://127.0.0.1:{unused_tcp_port}/tg-hook"
    headers = {"X-Telegram-Bot-Api-Secret-Token": HOOK_SECRET,
               "Content-Type": "application/json"}
    async with webhook_bot(tmp_path, unused_tcp_port) as h, aiohttp.ClientSession() as http:
        for body in (b"{not json", b"", b"\xff\xfe", b"[1, 2]", b"null", b'"text"',
                     b'{"message": {"text": "no update id"}}', b"[" * 100_000):
            async with http.post(hook, data=body, headers=headers) as resp:
                assert resp.status == 400, body[:20]
        async with http.get(hook) as resp:
            assert resp.status == 405
        [r] = await _ask_by_webhook(h, unused_tcp_port, Q_ANSWER)
        assert r.text.startswith("可以通过")
    assert [t for (t,) in db(tmp_path, "SELECT text FROM queries")] == [Q_ANSWER]


async def _ask_by_webhook(h: Harness, port: int, text: str) -> list[Call]:
    update = h.api.text_update(text, user(63))
    mark = h.api.mark()
    async with aiohttp.ClientSession() as http, http.post(
            f"http://127.0.0.1:{port}/tg-hook", json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": HOOK_SECRET}) as resp:
        assert resp.status == 200
    return await h.api.wait_for("sendMessage", since=mark, where=lambda c: c.chat_id == 63)


# --------------------------------------------------------------------------- shutdown


async def test_stop_finishes_answers_in_flight_and_flushes_the_log(tmp_path: Path) -> None:
    async with FakeBotAPI() as api:
        async with running_bot(tmp_path, api=api) as h:
            release = api.hold("sendMessage")
            api.send_text(Q_ANSWER)
            await api.wait_arrival("sendMessage")  # the answer is in flight
            h.stop.set()  # what SIGTERM does
            await asyncio.sleep(0.05)
            assert not h.task.done()  # waiting for the answer in flight
            release.set()
        [sent] = api.find("sendMessage")
        assert sent.status == 200 and sent.text.startswith("可以通过")
    assert db(tmp_path, "SELECT entry_id FROM queries") == [("xp-filing",)]


async def test_sigterm_on_python_m_bot_run_exits_0_after_flushing(tmp_path: Path) -> None:
    write_faq(tmp_path / "faq")
    async with FakeBotAPI() as api:
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": api.base_url,
               "BOT_FAQ_DIR": str(tmp_path / "faq"), "BOT_LOCALES_DIR": str(LOCALES_DIR),
               "BOT_DB_PATH": str(tmp_path / "data" / "queries.db"), "BOT_HMAC_SECRET": SECRET,
               "PYTHONPATH": str(ROOT)}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            await api.wait_for("deleteWebhook", timeout=20)
            api.send_text(Q_ANSWER)
            api.send_text(Q_FALLBACK)
            await api.wait_for("sendMessage", 2, timeout=10)
            proc.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(proc.communicate(), 20)
        finally:
            if proc.returncode is None:
                proc.kill()
        assert proc.returncode == 0, err.decode()
        log = err.decode()
        assert TOKEN not in log
        assert "query log flushed, database closed" in log
    rows = db(tmp_path, "SELECT status FROM queries ORDER BY id")
    assert rows == [("answer",), ("fallback",)]


# --------------------------------------------------------------------------- start-up


def _run_env(tmp_path: Path, base_url: str, token: str = TOKEN) -> dict[str, str]:
    write_faq(tmp_path / "faq")
    return {**os.environ, "TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_BASE_URL": base_url,
            "BOT_FAQ_DIR": str(tmp_path / "faq"), "BOT_LOCALES_DIR": str(LOCALES_DIR),
            "BOT_DB_PATH": str(tmp_path / "data" / "queries.db"), "BOT_HMAC_SECRET": SECRET,
            "PYTHONPATH": str(ROOT)}


async def _run_until_exit(tmp_path: Path, env: dict[str, str]) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
    assert proc.returncode is not None
    return proc.returncode, err.decode()


async def test_failed_start_closes_every_http_client_on_a_rejected_token(
        tmp_path: Path) -> None:
    async with FakeBotAPI() as api:  # knows TOKEN only: any other token gets a 401
        rc, err = await _run_until_exit(tmp_path, _run_env(tmp_path, api.base_url,
                                                           token="987:wrong-token"))
    assert rc == 1
    assert "error: Telegram rejected TELEGRAM_BOT_TOKEN" in err
    assert "Unclosed" not in err and "wrong-token" not in err


async def test_failed_start_closes_every_http_client_when_the_api_is_unreachable(
        tmp_path: Path, unused_tcp_port: int) -> None:
    base_url = f"http://127.0.0.1:{unused_tcp_port}"  # nothing listens there
    rc, err = await _run_until_exit(tmp_path, _run_env(tmp_path, base_url))
    assert rc == 1
    assert f"error: cannot reach the Bot API at {base_url}" in err
    assert "Unclosed" not in err and TOKEN not in err


# --------------------------------------------------------------------------- logging

RESIDENT = user(918273645, "Zhangsan-Private")
PHONE_QUESTION = f"我的电话是13812345678，{Q_ANSWER}"


async def _debug_log_of_one_question(tmp_path: Path, **extra: str) -> str:
    """Run `python -m bot run` with BOT_LOG_LEVEL=DEBUG (and `extra`), ask one question
    with a phone number in it, stop it, and return what it logged."""
    async with FakeBotAPI() as api:
        env = {**_run_env(tmp_path, api.base_url), "BOT_LOG_LEVEL": "DEBUG", **extra}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            await api.wait_for("deleteWebhook", timeout=20)
            api.send_text(PHONE_QUESTION, RESIDENT)
            [answer] = await api.wait_for("sendMessage", timeout=10)
            api.press(answer, answer.data_of("👍"), RESIDENT)
            await api.wait_for("editMessageReplyMarkup", timeout=10)
            proc.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(proc.communicate(), 20)
        finally:
            if proc.returncode is None:
                proc.kill()
    assert proc.returncode == 0, err.decode()
    return err.decode()


async def test_debug_log_level_never_logs_user_ids_names_or_unmasked_text(
        tmp_path: Path) -> None:
    log = await _debug_log_of_one_question(tmp_path)
    assert "DEBUG" in log or "INFO" in log  # it did log
    for secret in ("13812345678", str(RESIDENT["id"]), RESIDENT["first_name"], TOKEN):
        assert secret not in log, secret
    assert "Processing update" not in log


async def test_wire_log_is_written_only_when_asked_for(tmp_path: Path) -> None:
    log = await _debug_log_of_one_question(tmp_path, BOT_WIRE_LOG="1")
    assert "BOT_WIRE_LOG is on" in log
    assert "Processing update" in log and str(RESIDENT["id"]) in log
    assert TOKEN not in log  # the token is redacted even from the wire log


def test_tg_conversation_has_no_direct_bot_data_access() -> None:
    """Handlers reach services only through the typed accessor."""
    source = Path(tg_conversation.__file__).read_text(encoding="utf-8")
    assert "bot_data" not in source

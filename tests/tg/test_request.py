"""The aiohttp request backend behaves like PTB's own: results, timeouts, errors, uploads."""

from __future__ import annotations

import socket

import pytest
from telegram import Bot
from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.testing.fake_bot_api import TOKEN, FakeBotAPI
from bot.tg.request import AiohttpRequest


def _bot(api: FakeBotAPI, request: AiohttpRequest) -> Bot:
    return Bot(TOKEN, base_url=f"{api.base_url}/bot", request=request)


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_calls_errors_and_retry_after_are_mapped_by_ptb() -> None:
    async with FakeBotAPI() as api, _bot(api, AiohttpRequest()) as bot:
        assert bot.username == "yibao_test_bot"
        msg = await bot.send_message(5, "<b>hi</b>", parse_mode="HTML")
        assert msg.text == "hi" and api.find("sendMessage")[0].params["parse_mode"] == "HTML"
        api.fail("sendMessage", retry_after=3)
        with pytest.raises(RetryAfter) as info:
            await bot.send_message(5, "again")
        assert info.value.retry_after == 3
        api.fail("sendMessage", 500)
        with pytest.raises(NetworkError):
            await bot.send_message(5, "again")
        with pytest.raises(InvalidToken):  # a 404, as Telegram answers unknown methods
            await bot.get_chat(5)


async def test_a_slow_server_times_out() -> None:
    async with FakeBotAPI() as api, _bot(api, AiohttpRequest(read_timeout=0.2)) as bot:
        release = api.hold("sendMessage")
        with pytest.raises(TimedOut):
            await bot.send_message(5, "slow")
        release.set()


async def test_an_unreachable_server_is_a_network_error_without_the_token() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=AiohttpRequest())
    await bot.request.initialize()  # type: ignore[attr-defined]
    try:
        with pytest.raises(NetworkError) as info:
            await bot.get_me()
        assert TOKEN not in str(info.value)
    finally:
        await bot.request.shutdown()  # type: ignore[attr-defined]


async def test_uploads_are_sent_as_multipart() -> None:
    async with FakeBotAPI() as api, _bot(api, AiohttpRequest()) as bot:
        # The fake has no sendDocument (404): what is tested is that the upload arrives.
        with pytest.raises(TelegramError):
            await bot.send_document(5, b"%PDF-1.4 tiny", filename="a.pdf", caption="doc")
        assert api.arrived["sendDocument"] == 1


async def test_use_before_initialize_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="not initialized"):
        await AiohttpRequest().do_request("http://127.0.0.1:9/x", "POST")

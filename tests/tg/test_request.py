"""The aiohttp request backend behaves like PTB's own: results, timeouts, errors, uploads."""

from __future__ import annotations

import socket

import pytest
from telegram import Bot
from telegram.error import InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.request import BaseRequest

from bot.settings import Settings, SettingsError
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
        # What is tested is that the upload arrives, as multipart form data.
        sent = await bot.send_document(5, b"%PDF-1.4 tiny", filename="a.pdf", caption="doc")
        assert sent.document is not None
        assert api.arrived["sendDocument"] == 1
        assert api.find("sendDocument")[0].params["caption"] == "doc"


async def test_use_before_initialize_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="not initialized"):
        await AiohttpRequest().do_request("http://127.0.0.1:9/x", "POST")


async def test_an_explicit_proxy_carries_every_call() -> None:
    # The Bot API host does not exist: the call can only succeed through the proxy, which
    # here is the fake server itself (it answers the absolute-form request it receives).
    async with FakeBotAPI() as api:
        bot = Bot(TOKEN, base_url="http://api.telegram.invalid/bot",
                  request=AiohttpRequest(proxy=api.base_url))
        async with bot:
            assert (await bot.get_me()).username


async def test_the_environment_proxy_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    async with FakeBotAPI() as api:
        monkeypatch.setenv("HTTP_PROXY", api.base_url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        bot = Bot(TOKEN, base_url="http://api.telegram.invalid/bot", request=AiohttpRequest())
        async with bot:
            assert (await bot.get_me()).username


def test_write_timeout_bounds_the_whole_request() -> None:
    req = AiohttpRequest(read_timeout=1.0, write_timeout=2.0, connect_timeout=3.0,
                         pool_timeout=4.0, media_write_timeout=20.0)
    t = req._timeout(BaseRequest.DEFAULT_NONE, BaseRequest.DEFAULT_NONE,
                     BaseRequest.DEFAULT_NONE, BaseRequest.DEFAULT_NONE, files=False)
    assert (t.total, t.connect, t.sock_connect, t.sock_read) == (10.0, 7.0, 3.0, 1.0)
    # An upload gets the media write timeout; a write timeout PTB passes wins.
    assert req._timeout(BaseRequest.DEFAULT_NONE, BaseRequest.DEFAULT_NONE,
                        BaseRequest.DEFAULT_NONE, BaseRequest.DEFAULT_NONE, files=True).total == 28
    assert req._timeout(None, 9.0, 3.0, 4.0, files=False).total is None  # no read limit


def test_proxy_setting_is_checked() -> None:
    assert Settings.from_env({"BOT_PROXY_URL": "http://10.0.0.1:3128"}).proxy_url
    with pytest.raises(SettingsError, match="BOT_PROXY_URL"):
        Settings.from_env({"BOT_PROXY_URL": "socks5://127.0.0.1:1080"})

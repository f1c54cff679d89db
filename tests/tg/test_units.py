"""Units of the Telegram front end that need no Telegram: callback data, HTML, limits, reload."""

from __future__ import annotations

import asyncio
import html
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import Chat, Message, Update

from bot.core.i18n import Locales
from bot.core.reload import EngineHolder, FaqPoller, ReloadResult, fingerprint
from bot.settings import Settings, SettingsError
from bot.tg.keyboards import (
    MAX_CALLBACK_BYTES,
    Feedback,
    NoneOfThese,
    Noop,
    Pick,
    SetLang,
    SetRegion,
    Show,
    TopicPage,
    Topics,
    asker_tag,
    decode,
    encode,
    offered,
    resolve,
    resolve_entry,
    topic_entries_markup,
)
from bot.tg.markup import MAX_MESSAGE, Block, pack, units
from bot.tg.ratelimit import UserRateLimiter, Verdict
from bot.tg.updates import PerChatUpdateProcessor
from tests.tg.helpers import LOCALES_DIR, write_faq

# --------------------------------------------------------------------------- callback data

QID = "AbC-123_xyz09"  # what bot.store.records.new_query_id makes: url-safe, <= 16 chars


@pytest.mark.parametrize("cb", [
    Feedback(QID, True), Feedback(QID, False), Pick(QID, "xp-filing"), NoneOfThese(QID),
    Show("ltc-what"), Topics(0), Topics(12), TopicPage("cross_province", 3),
    SetRegion("changji"), SetRegion(None), SetLang("en"), Noop(),
    Feedback(QID, True, asker_tag(1)), Pick(QID, "xp-filing", asker_tag(2)),
    NoneOfThese(QID, asker_tag(3)),
])
def test_callback_data_round_trips_within_64_bytes(cb: object) -> None:
    data = encode(cb)  # type: ignore[arg-type]
    assert len(data.encode()) <= MAX_CALLBACK_BYTES
    assert decode(data) == cb


def test_long_ids_are_replaced_by_a_digest_that_resolves() -> None:
    long_id = "xp-" + "very-long-entry-identifier-" * 3
    data = encode(Pick("q" * 16, long_id))
    assert len(data.encode()) <= MAX_CALLBACK_BYTES
    cb = decode(data)
    assert isinstance(cb, Pick) and cb.entry.startswith("~")
    assert resolve(cb.entry, ["other", long_id]) == long_id
    assert resolve(cb.entry, ["other"]) is None
    odd_topic = "Topic With Spaces"  # not a plain id: travels as a digest too
    tp = decode(encode(TopicPage(odd_topic, 0)))
    assert isinstance(tp, TopicPage) and resolve(tp.topic, [odd_topic]) == odd_topic


@pytest.mark.parametrize("data", [
    None, b"f:abc:1", 42, "", "f:abc:2", "f:abc", "f::1", "f:" + "a" * 17 + ":1",
    "p:abc:UPPER", "p:abc:../etc", "e:", "t:-1", "t:1000", "tp:x:1:2", "rg:", "lg:EN",
    "lg:e", "x:", "xx", "e:xp-filing\n", "é:x", "e:" + "a" * 70,
])
def test_malformed_callback_data_decodes_to_none(data: object) -> None:
    assert decode(data) is None


@given(st.text(max_size=80))
def test_decode_never_raises(data: str) -> None:
    cb = decode(data)
    assert cb is None or encode(cb) == data or "~" in data


def test_only_the_asker_can_vote_buttons_carry_who_asked_within_64_bytes() -> None:
    tag = asker_tag(987654321)
    assert re.fullmatch(r"[A-Za-z0-9_-]{8}", tag)
    assert tag == asker_tag(987654321) and tag != asker_tag(987654322)
    long_id = "xp-" + "very-long-entry-identifier-" * 3
    for cb in (Feedback("q" * 16, False, tag), Pick("q" * 16, long_id, tag),
               NoneOfThese("q" * 16, tag)):
        data = encode(cb)
        assert len(data.encode()) <= MAX_CALLBACK_BYTES
        got = decode(data)
        assert got is not None and getattr(got, "asker", None) == tag
    # Buttons sent before the asker was carried still decode, with no asker.
    assert decode("f:abc:1") == Feedback("abc", True, None)
    assert decode("p:abc:xp-filing") == Pick("abc", "xp-filing", None)
    assert decode("n:abc") == NoneOfThese("abc", None)
    for bad in ("f:abc.short:1", "f:abc.toolongtag:1", "n:abc.", "p:abc.ABCDEFGH"):
        assert decode(bad) is None, bad


def test_encode_refuses_what_it_could_not_decode() -> None:
    with pytest.raises(ValueError):
        encode(Feedback("bad qid with spaces", True))


def test_offered_checks_the_messages_own_buttons() -> None:
    loc = Locales.load(LOCALES_DIR)
    markup = topic_entries_markup(loc, "zh", "t1", [("a", "A?"), ("b", "B?")], 0)
    assert offered(markup, "e:a") and offered(markup, "t:0")
    assert not offered(markup, "e:c") and not offered(None, "e:a")


# --------------------------------------------------------------------------- HTML


def visible(message: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", message))


def test_pack_escapes_and_styles() -> None:
    [m] = pack([Block("a <b> & c"), Block("src <i>", "i"), Block("   "), Block("T", "b")])
    assert m == "a &lt;b&gt; &amp; c\n\n<i>src &lt;i&gt;</i>\n\n<b>T</b>"


def test_pack_splits_at_paragraphs_then_lines_then_sentences() -> None:
    para = "句子。" * 1000  # 3000 characters
    msgs = pack([Block(para), Block(para, "i"), Block("end")])
    assert len(msgs) == 2 and msgs[1].endswith("\n\nend")
    assert msgs[1].startswith("<i>") and all(units(visible(m)) <= MAX_MESSAGE for m in msgs)
    long_line = "第一句话。" * 1000  # 5000 characters, one paragraph
    parts = pack([Block(long_line, "b")])
    assert len(parts) == 2 and all(p.startswith("<b>") and p.endswith("</b>") for p in parts)
    assert visible(parts[0]).endswith("。")  # cut after a sentence, not inside a word
    assert "".join(visible(p) for p in parts) == long_line


def test_pack_counts_utf16_units_like_telegram() -> None:
    emoji = "😀" * 3000  # 6000 UTF-16 units
    parts = pack([Block(emoji)])
    assert len(parts) == 2 and all(units(p) <= MAX_MESSAGE for p in parts)
    assert "".join(parts) == emoji


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text(min_size=1, max_size=3000), st.sampled_from(["", "b", "i"])),
                min_size=1, max_size=6))
def test_pack_never_exceeds_the_limit_nor_loses_text(blocks: list[tuple[str, str]]) -> None:
    bs = [Block(t, s) for t, s in blocks]  # type: ignore[arg-type]
    msgs = pack(bs, limit=500)
    for m in msgs:
        assert units(visible(m)) <= 500
        assert len(re.findall(r"<(b|i)>", m)) == len(re.findall(r"</(b|i)>", m))
    squash = re.compile(r"\s+")
    assert squash.sub("", "".join(visible(m) for m in msgs)) == squash.sub(
        "", "".join(t for t, _ in blocks))


# --------------------------------------------------------------------------- rate limit


def test_rate_limit_allows_then_notifies_once_then_drops_until_the_window_clears() -> None:
    lim = UserRateLimiter(limit=3, window=60)
    verdicts = [lim.hit("u", now=t) for t in (0, 1, 2, 3, 4, 5)]
    assert verdicts == [Verdict.ALLOW] * 3 + [Verdict.NOTIFY, Verdict.DROP, Verdict.DROP]
    assert lim.hit("other", now=5) is Verdict.ALLOW
    assert lim.hit("u", now=60.5) is Verdict.ALLOW  # the first hit left the window
    assert lim.hit("u", now=61.5) is Verdict.ALLOW
    assert lim.hit("u", now=62.5) is Verdict.ALLOW
    assert lim.hit("u", now=62.6) is Verdict.NOTIFY  # told again, in a new episode


def test_rate_limit_memory_is_bounded_and_zero_disables() -> None:
    lim = UserRateLimiter(limit=1, window=60, max_users=100)
    for i in range(1000):
        lim.hit(i, now=0)
    assert len(lim) == 100
    off = UserRateLimiter(limit=0)
    assert all(off.hit("u", now=0) is Verdict.ALLOW for _ in range(100))


def test_settings_read_the_bot_limits() -> None:
    s = Settings.from_env({"BOT_USER_RATE_LIMIT": "5", "BOT_FAQ_POLL_SECONDS": "0.5",
                           "BOT_TELEGRAM_MAX_RATE": "0"})
    assert (s.user_rate_limit, s.faq_poll_seconds, s.telegram_max_rate) == (5, 0.5, 0.0)
    with pytest.raises(SettingsError, match="BOT_FAQ_POLL_SECONDS"):
        Settings.from_env({"BOT_FAQ_POLL_SECONDS": "soon"})


def test_wire_log_is_off_unless_bot_wire_log_asks_for_it() -> None:
    assert Settings.from_env({"BOT_LOG_LEVEL": "debug"}).wire_log is False
    assert Settings.from_env({"BOT_WIRE_LOG": "1"}).wire_log is True
    assert Settings.from_env({"BOT_WIRE_LOG": "0"}).wire_log is False
    with pytest.raises(SettingsError, match="BOT_WIRE_LOG"):
        Settings.from_env({"BOT_WIRE_LOG": "maybe"})


# --------------------------------------------------------------------------- reload


@pytest.fixture
def holder(tmp_path: Path) -> EngineHolder:
    return EngineHolder(write_faq(tmp_path / "faq"), Locales.load(LOCALES_DIR))


def _break(faq: Path) -> None:
    p = faq / "family_doctors.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("region: wuhai", "region: atlantis"),
                 encoding="utf-8")


def test_reload_swaps_only_a_valid_faq(holder: EngineHolder) -> None:
    first = holder.current
    in_flight = first.engine  # a question that started before the reload keeps this
    _break(holder.faq_dir)
    bad = holder.reload()
    assert not bad.ok and bad.version == 1 and holder.current is first
    [problem] = bad.problems
    assert (problem.file, problem.entry, problem.line) == ("family_doctors.yaml", "fd-signup", 14)
    assert "unknown region 'atlantis'" in str(bad.error)
    assert in_flight.ask("家庭医生怎么签约").status == "answer"
    (holder.faq_dir / "family_doctors.yaml").unlink()
    ok = holder.reload()
    assert ok.ok and ok.version == 2 and ok.entries == 6 and holder.current is not first


def test_reload_survives_an_unexpected_crash(holder: EngineHolder,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.core.reload as fr

    def crash(*a: object, **k: object) -> None:
        raise MemoryError("boom")

    monkeypatch.setattr(fr, "Engine", crash)
    result = holder.reload()
    assert not result.ok and "MemoryError: boom" in str(result.error)
    assert holder.current.version == 1


async def test_poller_reloads_once_per_change_and_reports(holder: EngineHolder) -> None:
    seen: list[ReloadResult] = []

    async def report(r: ReloadResult) -> None:
        seen.append(r)

    poller = FaqPoller(holder, report, interval=0.01, settle=0.01)
    assert await poller.check() is None  # nothing changed
    _break(holder.faq_dir)
    assert (await poller.check()) is not None and not seen[-1].ok
    assert await poller.check() is None  # the same broken state is reported once
    (holder.faq_dir / "family_doctors.yaml").unlink()
    assert (await poller.check()) is not None and seen[-1].ok and seen[-1].version == 2
    assert len(seen) == 2
    task = asyncio.create_task(poller.run())
    write_faq(holder.faq_dir)  # put it back: the running poller notices
    for _ in range(200):
        if len(seen) == 3:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    assert seen[-1].ok and seen[-1].entries == 7


def test_fingerprint_changes_with_content(tmp_path: Path) -> None:
    faq = write_faq(tmp_path / "faq")
    before = fingerprint(faq)
    assert fingerprint(faq) == before
    (faq / "regions.yaml").write_text("# edited\n" + (faq / "regions.yaml").read_text("utf-8"),
                                      encoding="utf-8")
    assert fingerprint(faq) != before


# --------------------------------------------------------------------------- ordering


async def test_per_chat_processor_keeps_order_within_a_chat_only() -> None:
    proc = PerChatUpdateProcessor(8)
    log: list[str] = []
    gate = asyncio.Event()

    def update(chat_id: int, uid: int) -> Update:
        chat = Chat(chat_id, "private")
        return Update(uid, message=Message(uid, None, chat, text="x"))  # type: ignore[arg-type]

    async def work(name: str, wait: bool) -> None:
        if wait:
            await gate.wait()
        log.append(name)

    async with proc:
        tasks = [asyncio.create_task(proc.process_update(update(1, 1), work("a1", True))),
                 asyncio.create_task(proc.process_update(update(1, 2), work("a2", False))),
                 asyncio.create_task(proc.process_update(update(2, 3), work("b1", False)))]
        await asyncio.sleep(0.01)
        assert log == ["b1"]  # chat 2 is not held up by chat 1
        gate.set()
        await asyncio.gather(*tasks)
    assert log == ["b1", "a1", "a2"]
    assert proc._chats == {}  # no memory kept for idle chats


def _chat_update(chat_id: int, uid: int) -> Update:
    chat = Chat(chat_id, "private")
    return Update(uid, message=Message(uid, None, chat, text="x"))  # type: ignore[arg-type]


async def test_a_burst_from_one_chat_never_stalls_other_chats() -> None:
    """More queued updates from one chat than slots: another chat is served meanwhile."""
    proc = PerChatUpdateProcessor(2)
    log: list[str] = []
    release = asyncio.Event()
    other_served = asyncio.Event()
    active = peak = 0

    async def work(name: str) -> None:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        try:
            if name == "a1":
                await release.wait()  # chat 1's first update is slow (a Telegram round trip)
            log.append(name)
            if name == "b1":
                other_served.set()
        finally:
            active -= 1

    async with proc:
        # PTB calls process_update (its semaphore, then do_process_update) once per update.
        tasks = [asyncio.create_task(proc.process_update(_chat_update(1, i), work(f"a{i}")))
                 for i in (1, 2, 3, 4)]
        tasks.append(asyncio.create_task(proc.process_update(_chat_update(2, 5), work("b1"))))
        # Before the fix chat 1's waiting updates held both slots and this never happened.
        await asyncio.wait_for(other_served.wait(), 5)
        assert log == ["b1"]  # served while chat 1's first update is still in flight
        release.set()
        await asyncio.gather(*tasks)
    assert log == ["b1", "a1", "a2", "a3", "a4"]  # chat 1 still strictly in order
    assert peak <= 2  # the slots still bound the concurrency
    assert proc._chats == {}


async def test_slots_bound_concurrency_across_chats() -> None:
    proc = PerChatUpdateProcessor(2)
    active = peak = 0
    started = [asyncio.Event() for _ in range(4)]
    release = asyncio.Event()

    async def work(i: int) -> None:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        started[i].set()
        await release.wait()
        active -= 1

    async with proc:
        tasks = [asyncio.create_task(proc.process_update(_chat_update(10 + i, i), work(i)))
                 for i in range(4)]
        await asyncio.wait_for(asyncio.gather(started[0].wait(), started[1].wait()), 5)
        for _ in range(20):  # let the loop run the others as far as they can get
            await asyncio.sleep(0)
        assert not started[2].is_set() and not started[3].is_set()
        release.set()
        await asyncio.gather(*tasks)
    assert peak == 2


def test_resolve_entry_against_the_kb(holder: EngineHolder) -> None:
    kb = holder.current.engine.kb
    assert resolve_entry("xp-filing", kb) is kb.entry("xp-filing")
    assert resolve_entry("gone", kb) is None


def test_every_real_faq_entry_renders_for_telegram() -> None:
    """Whatever the admins write, each answer fits Telegram: split parts, valid buttons."""
    from bot.tg.markup import result_messages
    from bot.tg.reply import result_markup
    from tests.tg.helpers import ROOT

    holder = EngineHolder(ROOT / "faq", Locales.load(LOCALES_DIR))
    loaded = holder.current
    for entry in loaded.engine.kb.entries:
        for lang in ("zh", "en"):
            r = loaded.engine.answer_entry(entry.id, lang)
            for message in result_messages(loaded.renderer, r):
                assert units(visible(message)) <= MAX_MESSAGE
            markup = result_markup(loaded, r, "q" * 12)
            assert markup is not None
            for row in markup.inline_keyboard:
                for b in row:
                    assert isinstance(b.callback_data, str)
                    assert len(b.callback_data.encode()) <= MAX_CALLBACK_BYTES
                    assert decode(b.callback_data) is not None, b.callback_data


def test_a_picked_suggestion_keeps_its_region_within_64_bytes() -> None:
    long_id = "xp-" + "very-long-entry-identifier-" * 3
    pick = Pick("q" * 16, long_id, asker_tag(1), "xinjiang")
    data = encode(pick)
    assert len(data.encode()) <= MAX_CALLBACK_BYTES
    got = decode(data)
    assert isinstance(got, Pick) and got.region == "xinjiang" and got.asker == pick.asker
    assert decode(encode(Pick("abc", "xp-filing", None, "wuhai"))) == Pick(
        "abc", "xp-filing", None, "wuhai")

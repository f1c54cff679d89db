"""What users say to the bot: commands, questions, and everything that is not text.

Handlers only translate: Telegram in -> engine / locales -> HTML out -> query log.
"""

from __future__ import annotations

import logging
import time

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from bot.core.languages import DEFAULT_LANG
from bot.store.records import new_query_id, record_from_result
from bot.tg.context import BotContext
from bot.tg.handoff_desk import offer_row
from bot.tg.keyboards import (
    asker_tag,
    fallback_markup,
    lang_markup,
    region_markup,
    topics_markup,
)
from bot.tg.markup import Block, pack, text_messages
from bot.tg.ratelimit import Verdict
from bot.tg.reply import (
    GROUPS,
    addressed_to_bot,
    question_text,
    send_html,
    send_result,
    topic_pairs,
)

log = logging.getLogger(__name__)



def _reply_to(update: Update) -> int | None:
    """Quote the question in groups (whose question is answered?) and for an edited message
    (which version is answered?); in a private chat the answer follows the question."""
    message = update.effective_message
    if message is None:
        return None
    if message.chat.type in GROUPS or update.edited_message is not None:
        return message.message_id
    return None


async def gate(update: Update, context: BotContext) -> None:
    """Ignore what is not for the bot and hold each user to the per-minute limit."""
    svc = context.svc
    message = update.effective_message
    if update.callback_query is None and (message is None
                                          or not addressed_to_bot(message, context.bot)):
        raise ApplicationHandlerStop
    user = update.effective_user
    if user is None:
        return
    verdict = svc.limiter.hit(user.id)
    if verdict is Verdict.ALLOW:
        return
    if verdict is Verdict.NOTIFY:
        log.info("rate limit reached (update %s)", update.update_id)
        text = svc.locales.t((await context.prefs()).lang, "tg.rate_limited")
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif message is not None:
            await send_html(context.bot, message.chat_id, text_messages(text),
                            reply_to=_reply_to(update))
    elif update.callback_query is not None:
        await update.callback_query.answer()  # stop the button's spinner, say nothing
    raise ApplicationHandlerStop


async def start(update: Update, context: BotContext) -> None:
    """Greet the user, say how to ask, and offer the core topics."""
    svc = context.svc
    user, chat = update.effective_user, update.effective_chat
    assert chat is not None
    lang = (await context.prefs()).lang
    name = user.first_name if user else ""
    messages = text_messages(svc.locales.t(lang, "tg.greeting", name=name),
                             svc.locales.t(lang, "tg.how_to_ask"))
    kb = svc.holder.current.engine.kb
    await send_html(context.bot, chat.id, messages,
                    fallback_markup(None, (), topic_pairs(kb, lang, core=True)), _reply_to(update))


async def _say(update: Update, context: BotContext, key: str) -> None:
    """Reply with one locale string in the user's language (quoting in groups)."""
    assert update.effective_chat is not None
    lang = (await context.prefs()).lang
    await send_html(context.bot, update.effective_chat.id,
                    text_messages(context.svc.locales.t(lang, key)), reply_to=_reply_to(update))


async def help_command(update: Update, context: BotContext) -> None:
    """Explain how to ask and what the commands do."""
    await _say(update, context, "tg.help")


async def about(update: Update, context: BotContext) -> None:
    """List the reports the answers come from, with their regions and dates."""
    svc = context.svc
    assert update.effective_chat is not None
    lang = (await context.prefs()).lang
    loaded = svc.holder.current
    kb, loc = loaded.engine.kb, svc.locales
    lines = [
        loc.t(lang, "tg.about_source_inferred" if s.date_inferred else "tg.about_source",
              title=s.title, outlet=s.outlet, date=s.date, region=kb.region_name(s.region, lang))
        for s in sorted(kb.sources.values(), key=lambda s: (s.date, s.id), reverse=True)
    ]
    messages = pack([
        Block(loc.t(lang, "tg.about_title"), "b"),
        Block(loc.t(lang, "tg.about_intro", regions=loaded.renderer.covered_regions(lang))),
        Block("\n".join(lines)),
        Block(loc.t(lang, "tg.about_footer", topics=len(kb.topics), entries=len(kb.entries)),
              "i"),
    ])
    await send_html(context.bot, update.effective_chat.id, messages, reply_to=_reply_to(update))


async def topics(update: Update, context: BotContext) -> None:
    """Offer the topics as buttons (browsing continues in tg_callbacks)."""
    svc = context.svc
    assert update.effective_chat is not None
    lang = (await context.prefs()).lang
    kb = svc.holder.current.engine.kb
    await send_html(context.bot, update.effective_chat.id,
                    text_messages(svc.locales.t(lang, "tg.topics_title")),
                    topics_markup(svc.locales, lang, topic_pairs(kb, lang), 0), _reply_to(update))


async def region(update: Update, context: BotContext) -> None:
    """Offer the covered regions; the choice is remembered and narrows answers."""
    svc = context.svc
    assert update.effective_chat is not None
    prefs = await context.prefs()
    kb = svc.holder.current.engine.kb
    current = (kb.region_name(prefs.region, prefs.lang) if prefs.region
               else svc.locales.t(prefs.lang, "tg.region_none"))
    regions = [(rid, kb.region_name(rid, prefs.lang)) for rid in kb.regions]
    await send_html(context.bot, update.effective_chat.id,
                    text_messages(svc.locales.t(prefs.lang, "tg.region_prompt", current=current)),
                    region_markup(svc.locales, prefs.lang, regions, prefs.region),
                    _reply_to(update))


async def lang(update: Update, context: BotContext) -> None:
    """Offer the languages there are locale files for."""
    svc = context.svc
    assert update.effective_chat is not None
    current = (await context.prefs()).lang
    codes = sorted(svc.locales.languages, key=lambda c: (c != DEFAULT_LANG, c))  # zh first
    languages = [(code, svc.locales.t(code, "tg.lang_name")) for code in codes]
    await send_html(context.bot, update.effective_chat.id,
                    text_messages(svc.locales.t(current, "tg.lang_prompt")),
                    lang_markup(svc.locales, current, languages), _reply_to(update))


async def ask(update: Update, context: BotContext) -> None:
    """Answer a question: engine -> HTML with buttons -> query log (also if sending fails)."""
    started = time.perf_counter()
    svc = context.svc
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    assert message is not None and chat is not None
    prefs = await context.prefs()
    loaded = svc.holder.current  # read once: a reload meanwhile does not change this answer
    text = question_text(message, context.bot)
    result = loaded.engine.ask(text, prefs.answer_lang(text), prefs.region)
    qid = new_query_id()
    handoff = (offer_row(context.application, chat.id, prefs.lang, qid)
               if result.status == "fallback" else None)
    try:
        await send_result(context.bot, chat.id, loaded, result, qid, _reply_to(update),
                          handoff, asker=asker_tag(user.id) if user else None)
    finally:
        latency_ms = (time.perf_counter() - started) * 1000
        await svc.store.log_query(record_from_result(
            result, channel="telegram", chat_type=str(chat.type), user_id=user.id if user else None,
            latency_ms=latency_ms, query_id=qid))


async def not_text(update: Update, context: BotContext) -> None:
    """Stickers, photos, voice, locations, files…: ask for text, politely."""
    await _say(update, context, "tg.send_text")


async def unknown_command(update: Update, context: BotContext) -> None:
    """A command the bot does not have: point to /help (in groups only if it named us)."""
    message = update.effective_message
    assert message is not None
    if message.chat.type != ChatType.PRIVATE and "@" not in (message.text or "").split()[0]:
        return  # "/foo" in a group is probably another bot's command
    await _say(update, context, "tg.unknown_command")


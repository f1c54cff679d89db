"""Button presses: feedback, suggestions, browsing, region and language choices.

Every press is validated before it does anything: the data must decode, the message must
still be accessible, and the data must be on one of that message's own buttons (a client
can send any callback data; only what the bot offered is honoured). Anything else, like an
entry removed by a FAQ reload, gets a polite "this button has expired". The buttons that
speak for a question (👍/👎, a suggestion, "none of these") answer only the user who asked
it: in a group anyone else gets a short toast and nothing is logged.
"""

from __future__ import annotations

import logging
from typing import TypeVar

from telegram import CallbackQuery, Message, Update, User
from telegram.constants import ChatType

from bot.core.engine import Result
from bot.core.kb import Entry
from bot.core.reload import Loaded
from bot.tg.context import BotContext, Services, UserPrefs
from bot.tg.handoff_desk import offer_row
from bot.tg.keyboards import (
    Callback,
    Feedback,
    NoneOfThese,
    Pick,
    SetLang,
    SetRegion,
    Show,
    TopicPage,
    Topics,
    asker_tag,
    decode,
    feedback_acknowledged,
    offered,
    resolve,
    resolve_entry,
    topic_entries_markup,
    topics_markup,
)
from bot.tg.markup import text_messages
from bot.tg.reply import edit_html, send_result, topic_pairs

log = logging.getLogger(__name__)

C = TypeVar("C", bound=Callback)


class _Press:
    """A validated press: the query, its message, what it asks for, and the user's prefs."""

    def __init__(self, query: CallbackQuery, message: Message, cb: Callback,
                 svc: Services, prefs: UserPrefs) -> None:
        self.query, self.message, self.cb, self.svc, self.prefs = query, message, cb, svc, prefs
        self.loaded: Loaded = svc.holder.current  # read once per press

    @property
    def lang(self) -> str:
        return self.prefs.lang

    def t(self, key: str, **values: object) -> str:
        return self.svc.locales.t(self.lang, key, **values)

    async def expired(self) -> None:
        await self.query.answer(self.t("tg.stale_button"))

    def entry(self, token: str) -> Entry | None:
        return resolve_entry(token, self.loaded.engine.kb)


def _asked_by(cb: Callback, user: User, message: Message) -> bool:
    """Whether `user` may press `cb`: anyone for browsing buttons, only the asker for those
    that speak for a question."""
    if not isinstance(cb, Feedback | Pick | NoneOfThese):
        return True
    if cb.asker is not None:
        return cb.asker == asker_tag(user.id)
    # Buttons sent before they carried the asker: in a private chat the user is the asker;
    # in a group nobody can tell, so nobody may speak for the question.
    return message.chat.type == ChatType.PRIVATE


async def _press(update: Update, context: BotContext, kind: type[C]) -> tuple[_Press, C] | None:
    """The validated press, or None after telling the user the button is stale or forged."""
    svc = context.svc
    query = update.callback_query
    assert query is not None
    prefs = await context.prefs()
    cb = decode(query.data)
    message = query.message
    if (not isinstance(cb, kind) or not isinstance(message, Message)
            or not offered(message.reply_markup, query.data or "")):
        log.info("stale or forged button press (update %s)", update.update_id)
        await query.answer(svc.locales.t(prefs.lang, "tg.stale_button"))
        return None
    if not _asked_by(cb, query.from_user, message):
        log.info("button of another user's question (update %s)", update.update_id)
        await query.answer(svc.locales.t(prefs.lang, "tg.not_your_question"))
        return None
    return _Press(query, message, cb, svc, prefs), cb


async def on_feedback(update: Update, context: BotContext) -> None:
    """👍/👎: log it, thank the user, and replace the two buttons by an acknowledgement."""
    got = await _press(update, context, Feedback)
    if got is None:
        return
    p, cb = got
    await p.svc.store.log_feedback(cb.qid, cb.helpful)
    await p.query.answer(p.t("tg.feedback_thanks"))
    await p.query.edit_message_reply_markup(
        feedback_acknowledged(p.message.reply_markup, p.svc.locales, p.lang))


async def _send_entry(context: BotContext, p: _Press, ref: str, qid: str | None,
                      asker: str | None = None, region: str | None = None) -> str | None:
    """Answer the entry a button names (its id, or None when a reload removed it), in the
    language of the message the button is on, for `region` when the button named one; its
    👍/👎 speak for `qid`, asked by `asker`."""
    entry = p.entry(ref)
    if entry is None:
        await p.expired()
        return None
    await p.query.answer()
    lang = p.prefs.answer_lang(p.message.text or "")
    result = p.loaded.engine.answer_entry(entry.id, lang, region or p.prefs.region)
    await send_result(context.bot, p.message.chat_id, p.loaded, result, qid, asker=asker)
    return entry.id


async def on_pick(update: Update, context: BotContext) -> None:
    """A suggestion was tapped: log the selection and answer that entry."""
    got = await _press(update, context, Pick)
    if got is None:
        return
    p, cb = got
    # A suggestion labelled with a region answers for that region only.
    region = resolve(cb.region, p.loaded.engine.kb.regions) if cb.region else None
    entry_id = await _send_entry(context, p, cb.entry, cb.qid, cb.asker, region)
    if entry_id is not None:
        await p.svc.store.log_selection(cb.qid, entry_id)


async def on_none_of_these(update: Update, context: BotContext) -> None:
    """None of the suggestions fit: log it as unhelpful and give the fallback."""
    got = await _press(update, context, NoneOfThese)
    if got is None:
        return
    p, cb = got
    await p.query.answer()
    await p.svc.store.log_feedback(cb.qid, False)
    result = Result(question="", normalized="", lang=p.prefs.answer_lang(p.message.text or ""),
                    status="fallback", reason="no_match", score=0.0)
    await send_result(context.bot, p.message.chat_id, p.loaded, result, None,
                      extra_row=offer_row(context.application, p.message.chat_id, p.lang,
                                          cb.qid))


async def on_show(update: Update, context: BotContext) -> None:
    """A related or browsed entry was tapped: answer it (no feedback: nobody asked)."""
    got = await _press(update, context, Show)
    if got is None:
        return
    p, cb = got
    await _send_entry(context, p, cb.entry, None)


async def on_topics(update: Update, context: BotContext) -> None:
    """Show (a page of) the topic list in place."""
    got = await _press(update, context, Topics)
    if got is None:
        return
    p, cb = got
    await p.query.answer()
    kb = p.loaded.engine.kb
    await edit_html(p.query, text_messages(p.t("tg.topics_title")),
                    topics_markup(p.svc.locales, p.lang, topic_pairs(kb, p.lang), cb.page))


async def on_topic_page(update: Update, context: BotContext) -> None:
    """Show (a page of) one topic's questions in place, with a back button."""
    got = await _press(update, context, TopicPage)
    if got is None:
        return
    p, cb = got
    kb = p.loaded.engine.kb
    topic_id = resolve(cb.topic, [t.id for t in kb.topics])
    if topic_id is None:
        await p.expired()
        return
    await p.query.answer()
    entries = [(e.id, e.question(p.lang)) for e in kb.entries_in(topic_id)]
    await edit_html(p.query,
                    text_messages(p.t("tg.topic_title", topic=kb.topic(topic_id).name(p.lang))),
                    topic_entries_markup(p.svc.locales, p.lang, topic_id, entries, cb.page))


async def on_set_region(update: Update, context: BotContext) -> None:
    """Remember the chosen region (or none) and confirm in place."""
    got = await _press(update, context, SetRegion)
    if got is None:
        return
    p, cb = got
    kb = p.loaded.engine.kb
    region = resolve(cb.region, kb.regions) if cb.region is not None else None
    if cb.region is not None and region is None:
        await p.expired()
        return
    assert update.effective_user is not None
    await p.svc.set_region(update.effective_user.id, region)
    await p.query.answer()
    text = (p.t("tg.region_set", region=kb.region_name(region, p.lang)) if region
            else p.t("tg.region_cleared"))
    await edit_html(p.query, text_messages(text), None)


async def on_set_lang(update: Update, context: BotContext) -> None:
    """Remember the chosen language and confirm in it."""
    got = await _press(update, context, SetLang)
    if got is None:
        return
    p, cb = got
    if cb.lang not in p.svc.locales.languages:
        await p.expired()
        return
    assert update.effective_user is not None
    await p.svc.set_lang(update.effective_user.id, cb.lang)
    await p.query.answer()
    await edit_html(p.query, text_messages(p.svc.locales.t(cb.lang, "tg.lang_set")), None)


async def on_noop(update: Update, context: BotContext) -> None:
    """A page number or an acknowledgement was tapped: just stop the spinner."""
    assert update.callback_query is not None
    await update.callback_query.answer()


async def on_stale(update: Update, context: BotContext) -> None:
    """Callback data that is not ours (old bot version, or forged): say it has expired."""
    svc = context.svc
    assert update.callback_query is not None
    log.info("unknown button data (update %s)", update.update_id)
    lang = (await context.prefs()).lang
    await update.callback_query.answer(svc.locales.t(lang, "tg.stale_button"))

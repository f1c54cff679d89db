"""The resident's side of the human handoff: /human, "Ask a person", what they write while a
ticket is open (copied to the staff group, not sent to the FAQ engine), ending the ticket
(button or /cancel) and rating the help.
"""

from __future__ import annotations

import datetime as dt
import logging

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.store.privacy import mask
from bot.store.records import utc_now
from bot.store.tickets import Ticket
from bot.tg import conversation as conv
from bot.tg.context import BotContext, Services
from bot.tg.handoff_desk import Desk, desk_of, offer_row, validated_press
from bot.tg.handoff_keyboards import (
    AskPerson,
    EndTicket,
    RateTicket,
    decode,
    end_markup,
    reply_markup,
    staff_markup,
)
from bot.tg.keyboards import feedback_acknowledged
from bot.tg.markup import Block, pack, text_messages
from bot.tg.ratelimit import Verdict
from bot.tg.reply import send_html

log = logging.getLogger(__name__)

# /human starts from the resident's latest question if it was asked this recently.
RECENT_QUESTION = dt.timedelta(hours=1)
PDF = "application/pdf"


def _desk(context: BotContext) -> Desk:
    desk = desk_of(context.application)
    assert desk is not None, "handoff handlers are registered only when handoff is on"
    return desk


async def human(update: Update, context: BotContext) -> None:
    """/human: explain, and offer the "Ask a person" button (from the latest question)."""
    svc = context.svc
    message, user = update.effective_message, update.effective_user
    assert message is not None
    lang = (await context.prefs()).lang
    if message.chat.type != ChatType.PRIVATE or user is None:
        await send_html(context.bot, message.chat_id,
                        text_messages(svc.locales.t(lang, "handoff.private_only")))
        return
    ticket = await svc.store.open_ticket_of(message.chat_id)
    if ticket is not None:
        await send_html(context.bot, message.chat_id, text_messages(
            svc.locales.t(lang, "handoff.already_open", number=ticket.number)))
        return
    await svc.store.flush()
    qid = await svc.store.last_query_id(user.id, utc_now() - RECENT_QUESTION)
    row = offer_row(context.application, message.chat_id, lang, qid) or []
    await send_html(context.bot, message.chat_id,
                    text_messages(svc.locales.t(lang, "handoff.human_intro")),
                    InlineKeyboardMarkup([row]))


def _post_messages(svc: Services, desk: Desk, ticket: Ticket, suggested: str) -> list[str]:
    """The staff group's post for a new ticket: number, masked question, region, language,
    what the bot would have suggested. Nothing about who the resident is."""
    loc, lang = svc.locales, desk.lang
    kb = svc.holder.current.engine.kb
    region = (kb.region_name(ticket.region, lang) if ticket.region
              else loc.t(lang, "handoff.no_region"))
    return pack([
        Block(loc.t(lang, "handoff.post_title", number=ticket.number), "b"),
        Block(loc.t(lang, "handoff.post_question", question=ticket.question)),
        Block("\n".join([
            loc.t(lang, "handoff.post_meta", region=region, language=ticket.lang,
                  opened=desk.local(ticket.opened_at())),
            loc.t(lang, "handoff.post_suggested",
                  suggested=suggested or loc.t(lang, "handoff.nothing_suggested")),
        ])),
        Block(loc.t(lang, "handoff.post_hint"), "i"),
    ])


async def on_ask_person(update: Update, context: BotContext) -> None:
    """"Ask a person": open a ticket, post it to the staff group, confirm with the number
    and when to expect an answer (or say handoff is unavailable)."""
    got = await validated_press(update, context, (AskPerson,))
    if got is None:
        return
    query, message, cb = got
    svc, desk = context.svc, _desk(context)
    prefs = await context.prefs()
    lang, loc = prefs.lang, svc.locales
    user = update.effective_user
    if message.chat.type != ChatType.PRIVATE or user is None:
        await query.answer(loc.t(lang, "handoff.private_only"), show_alert=True)
        return
    await query.answer()
    chat_id = message.chat_id
    question, region, suggested = loc.t(desk.lang, "handoff.no_question"), prefs.region, ""
    if cb.qid is not None:
        await svc.store.flush()  # the question is logged in batches
        asked = await svc.store.asked(cb.qid)
        if asked is not None:
            question, region = asked.text, prefs.region or asked.region
            kb = svc.holder.current.engine.kb
            suggested = loc.t(desk.lang, "list_separator").join(
                kb.entry(e).question(desk.lang) for e in asked.suggestions if e in kb.by_id)
    ticket, created = await svc.store.open_ticket(
        user_id=user.id, chat_id=chat_id, lang=lang, region=region, question=question,
        suggested=suggested, query_id=cb.qid)
    if not created:
        desk.open_chats.add(chat_id)
        await send_html(context.bot, chat_id, text_messages(
            loc.t(lang, "handoff.already_open", number=ticket.number)))
        return
    try:
        posted = await desk.post(context.bot, _post_messages(svc, desk, ticket, suggested),
                                 staff_markup(loc, desk.lang, ticket.number))
    except TelegramError as exc:
        await desk.unreachable(context.bot, svc, exc, ticket, chat_id, lang)
        return
    for m in posted:
        await svc.store.add_ticket_post(ticket.number, desk.chat_id, m.message_id)
    desk.open_chats.add(chat_id)
    log.info("handoff: ticket %d opened", ticket.number)
    await send_html(context.bot, chat_id, text_messages(
        loc.t(lang, "handoff.opened", number=ticket.number),
        desk.expectation(svc, lang, utc_now()),
        loc.t(lang, "handoff.more_info"),
        loc.t(lang, "handoff.warning")), end_markup(loc, lang, ticket.number))


def _media_kind(message: Message) -> str | None:
    """'photo' or 'document' (a PDF or an image file) for what a ticket accepts, else None."""
    if message.photo:
        return "photo"
    doc = message.document
    if doc is not None and (doc.mime_type == PDF or (doc.mime_type or "").startswith("image/")
                            or (doc.file_name or "").lower().endswith(".pdf")):
        return "document"
    return None


async def relay(update: Update, context: BotContext) -> None:
    """A message from a resident with an open ticket: into the ticket, to the staff group."""
    svc, desk = context.svc, _desk(context)
    message = update.effective_message
    assert message is not None
    chat_id = message.chat_id
    ticket = await svc.store.open_ticket_of(chat_id)
    if ticket is None:  # closed meanwhile (idle, staff): an ordinary message again
        desk.open_chats.discard(chat_id)
        if message.text:
            await conv.ask(update, context)
        else:
            await conv.not_text(update, context)
        return
    lang = (await context.prefs()).lang
    loc = svc.locales
    verdict = desk.limiter.hit(ticket.number)
    if verdict is not Verdict.ALLOW:
        if verdict is Verdict.NOTIFY:
            await send_html(context.bot, chat_id, text_messages(
                loc.t(lang, "handoff.flood", number=ticket.number)))
        return
    kind = "text" if message.text else _media_kind(message)
    if kind is None:
        await send_html(context.bot, chat_id,
                        text_messages(loc.t(lang, "handoff.media_unsupported")))
        return
    thread = await svc.store.first_post(ticket.number, desk.chat_id)
    body = mask(message.text or message.caption or "")
    try:
        if kind == "text":
            head = loc.t(desk.lang, "handoff.from_resident", number=ticket.number)
            posted = [m.message_id for m in await desk.post(
                context.bot, pack([Block(head, "b"), Block(body)]), reply_to=thread)]
        else:
            caption = pack([Block(loc.t(desk.lang, "handoff.media_caption",
                                        number=ticket.number), "b"), Block(body)], 1024)[0]
            posted = [await desk.copy(context.bot, message, caption, thread)]
    except TelegramError as exc:
        await desk.unreachable(context.bot, svc, exc, ticket, chat_id, lang)
        return
    for mid in posted:
        await svc.store.add_ticket_post(ticket.number, desk.chat_id, mid)
    await svc.store.add_ticket_message(ticket.number, "in", kind, body)


async def _end(context: BotContext, ticket: Ticket, lang: str) -> None:
    """The resident ends the ticket: confirm, ask for a rating, tell the staff thread."""
    svc, desk = context.svc, _desk(context)
    loc = svc.locales
    closed = await svc.store.close_ticket(ticket.number, "resident")
    assert ticket.chat_id is not None
    desk.open_chats.discard(ticket.chat_id)
    if closed is None:
        return
    await send_html(context.bot, ticket.chat_id, text_messages(
        loc.t(lang, "handoff.closed_by_resident", number=ticket.number),
        loc.t(lang, "handoff.rate_prompt")), reply_markup(loc, lang, ticket.number, False))
    thread = await svc.store.first_post(ticket.number, desk.chat_id)
    try:
        await desk.post(context.bot, text_messages(loc.t(
            desk.lang, "handoff.closed_note", number=ticket.number,
            by=loc.t(desk.lang, "handoff.by_resident"))), reply_to=thread)
    except TelegramError as exc:
        log.warning("handoff: could not note ticket %d's end in the staff group: %s",
                    ticket.number, exc)


async def cancel(update: Update, context: BotContext) -> None:
    """/cancel: end the open ticket."""
    svc = context.svc
    message = update.effective_message
    assert message is not None
    lang = (await context.prefs()).lang
    ticket = await svc.store.open_ticket_of(message.chat_id)
    if ticket is None:
        _desk(context).open_chats.discard(message.chat_id)
        await _nothing_to_cancel(context, message.chat_id, lang)
        return
    await _end(context, ticket, lang)


async def _nothing_to_cancel(context: BotContext, chat_id: int, lang: str) -> None:
    """Say there is no open ticket to end (/cancel, or an "end" button gone stale)."""
    await send_html(context.bot, chat_id,
                    text_messages(context.svc.locales.t(lang, "handoff.nothing_to_cancel")))


async def on_end(update: Update, context: BotContext) -> None:
    """The "end" button under a ticket's messages."""
    got = await validated_press(update, context, (EndTicket,))
    if got is None:
        return
    query, message, cb = got
    svc = context.svc
    lang = (await context.prefs()).lang
    ticket = await svc.store.open_ticket_of(message.chat_id)
    await query.answer()
    if ticket is None or ticket.number != cb.number:
        await _nothing_to_cancel(context, message.chat_id, lang)
        return
    await _end(context, ticket, lang)


async def on_rate(update: Update, context: BotContext) -> None:
    """👍/👎 for the staff's help: stored on the ticket (latest wins), acknowledged."""
    got = await validated_press(update, context, (RateTicket,))
    if got is None:
        return
    query, message, cb = got
    svc = context.svc
    lang = (await context.prefs()).lang
    user = update.effective_user
    assert user is not None
    if not await svc.store.rate_ticket(cb.number, user.id, cb.helpful):
        await query.answer(svc.locales.t(lang, "tg.stale_button"))
        return
    await query.answer(svc.locales.t(lang, "tg.feedback_thanks"))
    rows = [[b for b in row if not isinstance(decode(b.callback_data), RateTicket)]
            for row in (message.reply_markup.inline_keyboard if message.reply_markup else ())]
    await query.edit_message_reply_markup(
        feedback_acknowledged(InlineKeyboardMarkup([r for r in rows if r]), svc.locales, lang))

"""The staff group's side of the human handoff: replies to a ticket's messages carried to
the resident, the claim / close / add-to-FAQ buttons, /queue, and closing idle tickets.

Only staff (BOT_STAFF_IDS) may answer or press; anyone else in the group gets a short note.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

from telegram import Message, Update, User
from telegram.error import TelegramError
from telegram.ext import Application

from bot.store.records import utc_now
from bot.store.tickets import Ticket
from bot.tg.context import BotContext, services_of
from bot.tg.handoff_desk import IDLE_CHECK_SECONDS, Desk, desk_of, validated_press
from bot.tg.handoff_keyboards import ClaimTicket, CloseTicket, SuggestFaq, reply_markup
from bot.tg.markup import Block, pack, text_messages
from bot.tg.reply import send_html

log = logging.getLogger(__name__)

QUEUE_QUESTION_CHARS = 60


def _desk(context: BotContext) -> Desk:
    desk = desk_of(context.application)
    assert desk is not None, "handoff handlers are registered only when handoff is on"
    return desk


async def _note(context: BotContext, message: Message, key: str, **values: object) -> None:
    """A short note in the staff group, quoting the message it is about."""
    desk = _desk(context)
    await desk.post(context.bot, text_messages(context.svc.locales.t(desk.lang, key, **values)),
                    reply_to=message.message_id)


def _name(user: User | None) -> str:
    return user.full_name if user is not None else "?"


async def reply(update: Update, context: BotContext) -> None:
    """A reply in the staff group to one of the bot's messages: if it is a ticket's and the
    sender is staff, carry it to the resident as "Reply from staff" with 👍/👎."""
    svc, desk = context.svc, _desk(context)
    message, user = update.effective_message, update.effective_user
    assert message is not None and message.reply_to_message is not None
    ticket = await svc.store.ticket_by_post(desk.chat_id, message.reply_to_message.message_id)
    if not svc.is_staff(user):
        log.info("handoff: a reply by a non-staff member was ignored (update %s)",
                 update.update_id)
        await _note(context, message, "handoff.not_staff_reply")
        return
    if ticket is None:
        await _note(context, message, "handoff.unknown_ticket")
        return
    if not ticket.is_open or ticket.chat_id is None:
        await _note(context, message, "handoff.closed_ticket", number=ticket.number)
        return
    assert user is not None
    loc, lang = svc.locales, ticket.lang
    head = Block(loc.t(lang, "handoff.staff_reply", number=ticket.number), "b")
    markup = reply_markup(loc, lang, ticket.number)
    text = message.text or message.caption or ""
    try:
        if message.text is not None:
            await send_html(context.bot, ticket.chat_id, pack([head, Block(text)]), markup)
            kind = "text"
        else:  # a photo or file from staff: the header, then the copy with the buttons
            await send_html(context.bot, ticket.chat_id, pack([head]))
            await context.bot.copy_message(ticket.chat_id, message.chat_id,
                                           message.message_id, reply_markup=markup)
            kind = "photo" if message.photo else "document"
    except TelegramError as exc:  # e.g. the resident blocked the bot
        log.warning("handoff: ticket %d: reply not delivered: %s", ticket.number, exc)
        await svc.store.close_ticket(ticket.number, "unavailable")
        desk.open_chats.discard(ticket.chat_id)
        await _note(context, message, "handoff.not_delivered", number=ticket.number,
                    error=str(exc))
        return
    await svc.store.add_ticket_message(ticket.number, "out", kind, text)
    if ticket.claimed_by is None:
        await svc.store.claim_ticket(ticket.number, user.id)


async def _staff_press(update: Update, context: BotContext,
                       kinds: tuple[type, ...]) -> tuple[Any, Message, Any, Ticket] | None:
    """A staff button pressed on a ticket post in the staff group, by staff; else None
    after the right answer (expired, or "staff only")."""
    got = await validated_press(update, context, kinds)
    if got is None:
        return None
    query, message, cb = got
    svc, desk = context.svc, _desk(context)
    if message.chat_id != desk.chat_id or not svc.is_staff(update.effective_user):
        log.info("handoff: a staff button pressed by someone else (update %s)",
                 update.update_id)
        await query.answer(svc.locales.t(desk.lang, "handoff.staff_only"), show_alert=True)
        return None
    ticket = await svc.store.ticket(cb.number)
    if ticket is None:
        await query.answer(svc.locales.t(desk.lang, "tg.stale_button"))
        return None
    return query, message, cb, ticket


async def on_claim(update: Update, context: BotContext) -> None:
    got = await _staff_press(update, context, (ClaimTicket,))
    if got is None:
        return
    query, message, _, ticket = got
    svc, desk = context.svc, _desk(context)
    user = update.effective_user
    assert user is not None
    if not await svc.store.claim_ticket(ticket.number, user.id):
        await query.answer(svc.locales.t(desk.lang, "handoff.closed_ticket",
                                         number=ticket.number), show_alert=True)
        return
    await query.answer(svc.locales.t(desk.lang, "handoff.claimed_ack"))
    await desk.post(context.bot, text_messages(svc.locales.t(
        desk.lang, "handoff.claimed", number=ticket.number, name=_name(user))),
        reply_to=message.message_id)


async def close(app: Application[Any, Any, Any, Any, Any, Any], ticket: Ticket, by: str,
                note: str, **values: object) -> bool:
    """Close `ticket` (by staff or idleness): tell the resident (with 👍/👎), note it in
    the staff thread. False when it was no longer open."""
    svc, desk = services_of(app), desk_of(app)
    assert desk is not None
    closed = await svc.store.close_ticket(ticket.number, by)
    if closed is None or closed.chat_id is None:
        return False
    desk.open_chats.discard(closed.chat_id)
    loc, lang = svc.locales, closed.lang
    key = "handoff.closed_idle" if by == "idle" else "handoff.closed_by_staff"
    hours = f"{desk.idle_hours:g}"
    try:
        await send_html(app.bot, closed.chat_id, text_messages(
            loc.t(lang, key, number=closed.number, hours=hours),
            loc.t(lang, "handoff.rate_prompt")), reply_markup(loc, lang, closed.number, False))
    except TelegramError as exc:
        log.warning("handoff: ticket %d: could not tell the resident it closed: %s",
                    closed.number, exc)
    thread = await svc.store.first_post(closed.number, desk.chat_id)
    try:
        await desk.post(app.bot, text_messages(loc.t(
            desk.lang, "handoff.closed_note", number=closed.number,
            by=loc.t(desk.lang, note, hours=hours, **values))), reply_to=thread)
    except TelegramError as exc:
        log.warning("handoff: could not note ticket %d's end in the staff group: %s",
                    closed.number, exc)
    return True


async def on_close(update: Update, context: BotContext) -> None:
    got = await _staff_press(update, context, (CloseTicket,))
    if got is None:
        return
    query, _, _, ticket = got
    svc, desk = context.svc, _desk(context)
    done = await close(context.application, ticket, "staff", "handoff.by_staff",
                       name=_name(update.effective_user))
    if not done:
        await query.answer(svc.locales.t(desk.lang, "handoff.closed_ticket",
                                         number=ticket.number))
        return
    await query.answer(svc.locales.t(desk.lang, "handoff.closed_ack"))
    await query.edit_message_reply_markup(None)


async def on_suggest_faq(update: Update, context: BotContext) -> None:
    """Store the ticket's question and the last staff answer as a FAQ suggestion."""
    got = await _staff_press(update, context, (SuggestFaq,))
    if got is None:
        return
    query, _, _, ticket = got
    svc, desk = context.svc, _desk(context)
    user = update.effective_user
    assert user is not None
    sid = await svc.store.suggest_faq(ticket.number, user.id)
    if sid is None:
        await query.answer(svc.locales.t(desk.lang, "handoff.faq_no_answer"), show_alert=True)
        return
    await query.answer(svc.locales.t(desk.lang, "handoff.faq_saved", id=sid), show_alert=True)


def _age(loc: Any, lang: str, opened: dt.datetime, now: dt.datetime) -> str:
    minutes = max(0, int((now - opened).total_seconds() // 60))
    return loc.t(lang, "handoff.age", hours=minutes // 60, minutes=minutes % 60)


async def queue(update: Update, context: BotContext) -> None:
    """/queue (staff): the open tickets, oldest first, with their age."""
    svc = context.svc
    user, chat = update.effective_user, update.effective_chat
    assert chat is not None
    lang = (await context.prefs()).lang
    if not svc.is_staff(user):
        await svc.store.log_denied(user.id if user else None, "queue")
        await send_html(context.bot, chat.id, text_messages(svc.locales.t(lang, "tg.not_allowed")))
        return
    loc, now = svc.locales, utc_now()
    tickets = await svc.store.open_tickets()
    if not tickets:
        await send_html(context.bot, chat.id, text_messages(loc.t(lang, "handoff.queue_empty")))
        return
    lines = [loc.t(lang, "handoff.queue_line", number=t.number,
                   age=_age(loc, lang, t.opened_at(), now),
                   claimed=loc.t(lang, "handoff.queue_claimed" if t.claimed_by
                                 else "handoff.queue_unclaimed"),
                   question=" ".join(t.question.split())[:QUEUE_QUESTION_CHARS])
             for t in tickets]
    await send_html(context.bot, chat.id, pack([
        Block(loc.t(lang, "handoff.queue_title", count=len(tickets)), "b"),
        Block("\n".join(lines))]))


# --------------------------------------------------------------------------- idle tickets


async def close_idle(app: Application[Any, Any, Any, Any, Any, Any],
                     now: dt.datetime | None = None) -> int:
    """Close the tickets idle for BOT_HANDOFF_IDLE_HOURS; how many were closed."""
    svc, desk = services_of(app), desk_of(app)
    if desk is None:
        return 0
    now = now or utc_now()
    closed = 0
    for ticket in await svc.store.idle_tickets(now - dt.timedelta(hours=desk.idle_hours)):
        if await close(app, ticket, "idle", "handoff.by_idle"):
            closed += 1
            log.info("handoff: ticket %d closed after %g idle hours", ticket.number,
                     desk.idle_hours)
    return closed


async def idle_closer(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The background task (started with the bot): close idle tickets every minute."""
    while True:
        try:
            await close_idle(app)
        except Exception:  # a failed round must not end the task
            log.exception("handoff: closing idle tickets failed")
        await asyncio.sleep(IDLE_CHECK_SECONDS)


async def load(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """At start: which chats have an open ticket (state survives a restart)."""
    desk = desk_of(app)
    if desk is not None:
        desk.open_chats = await services_of(app).store.open_ticket_chats()

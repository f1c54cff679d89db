"""The human handoff's shared state: where the staff group is, office hours, which chats
have an open ticket, the per-ticket flood limit, and posting into the staff group.

Built once by the composition root (`Desk.from_settings`, None when BOT_HANDOFF_CHAT_ID is
unset: the feature is off and no button is shown) and kept in `app.bot_data`. The store is
the truth about tickets; `open_chats` mirrors it so the message filter can route a
resident with an open ticket to the ticket (filters are synchronous).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
)
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, filters

from bot.core.languages import DEFAULT_LANG
from bot.core.office_hours import Schedule
from bot.settings import Settings
from bot.store.tickets import Ticket
from bot.tg.context import BotContext, Services, services_of
from bot.tg.handoff_keyboards import ask_button, decode
from bot.tg.keyboards import offered
from bot.tg.markup import text_messages
from bot.tg.ratelimit import UserRateLimiter
from bot.tg.reply import send_html

log = logging.getLogger(__name__)

DESK_KEY = "handoff"
# Messages a resident may add to one ticket per minute (the staff group is not a chat room).
TICKET_RATE_LIMIT = 10
# At most one private warning to staff about an unreachable group per this many seconds.
UNREACHABLE_NOTICE_SECONDS = 600.0
# How often the idle closer looks for tickets to close.
IDLE_CHECK_SECONDS = 60.0


@dataclass
class Desk:
    chat_id: int
    thread_id: int | None
    schedule: Schedule
    idle_hours: float
    lang: str = DEFAULT_LANG  # the staff group's language
    open_chats: set[int] = field(default_factory=set)
    limiter: UserRateLimiter = field(
        default_factory=lambda: UserRateLimiter(limit=TICKET_RATE_LIMIT))
    _last_notice: float = -UNREACHABLE_NOTICE_SECONDS

    @classmethod
    def from_settings(cls, settings: Settings) -> Desk | None:
        """The desk, or None when handoff is off. Raises HoursError for bad hours/zone."""
        if settings.handoff_chat_id is None:
            return None
        return cls(settings.handoff_chat_id, settings.handoff_thread_id,
                   Schedule.parse(settings.handoff_hours, settings.handoff_tz),
                   settings.handoff_idle_hours)

    # ------------------------------------------------------------------ the staff group

    async def post(self, bot: Bot, messages: Sequence[str],
                   markup: InlineKeyboardMarkup | None = None,
                   reply_to: int | None = None) -> list[Message]:
        """Send HTML messages to the staff group (its topic), threaded under `reply_to`."""
        sent = []
        for i, text in enumerate(messages):
            sent.append(await bot.send_message(
                self.chat_id, text, message_thread_id=self.thread_id,
                reply_markup=markup if i == len(messages) - 1 else None,
                reply_parameters=(ReplyParameters(reply_to, allow_sending_without_reply=True)
                                  if reply_to is not None else None)))
        return sent

    async def copy(self, bot: Bot, message: Message, caption: str,
                   reply_to: int | None) -> int:
        """Copy a resident's photo or file into the staff group; the copy's message id."""
        copied = await bot.copy_message(
            self.chat_id, message.chat_id, message.message_id, caption=caption,
            message_thread_id=self.thread_id,
            reply_parameters=(ReplyParameters(reply_to, allow_sending_without_reply=True)
                              if reply_to is not None else None))
        return copied.message_id

    async def unreachable(self, bot: Bot, svc: Services, exc: TelegramError,
                          ticket: Ticket | None, resident_chat: int, lang: str) -> None:
        """The staff group cannot be posted to: log it, tell the resident (no silent
        loss), close the ticket when the group is gone for good, and warn staff privately."""
        log.error("handoff: cannot post to the staff group %s: %s", self.chat_id, exc)
        if ticket is not None and isinstance(exc, Forbidden | BadRequest):
            await svc.store.close_ticket(ticket.number, "unavailable")
            self.open_chats.discard(resident_chat)
        await send_html(bot, resident_chat,
                        text_messages(svc.locales.t(lang, "handoff.unavailable")))
        now = time.monotonic()
        if now - self._last_notice < UNREACHABLE_NOTICE_SECONDS:
            return
        self._last_notice = now
        for staff_id in sorted(svc.settings.staff_ids):
            staff_lang = await svc.lang_of(staff_id)
            try:
                await send_html(bot, staff_id, text_messages(svc.locales.t(
                    staff_lang, "handoff.staff_unreachable", error=str(exc))))
            except TelegramError as err:  # a staff member who never opened the bot
                log.warning("handoff: could not warn a staff member: %s", err)

    # ------------------------------------------------------------------ office hours

    def expectation(self, svc: Services, lang: str, now: dt.datetime) -> str:
        """When the resident can expect an answer, in their language."""
        loc, sch = svc.locales, self.schedule
        if sch.always:
            return loc.t(lang, "handoff.expect_soon")
        days = loc.t(lang, "handoff.weekdays").split()
        hours = sch.describe(days, loc.t(lang, "handoff.hours_joiner"))
        tz = sch.tz.key
        if sch.is_open(now):
            return loc.t(lang, "handoff.expect_hours", hours=hours, tz=tz)
        at = sch.next_open(now)
        when = loc.t(lang, "handoff.when", weekday=days[at.weekday()],
                     date=at.strftime("%Y-%m-%d"), time=at.strftime("%H:%M"))
        return loc.t(lang, "handoff.expect_later", hours=hours, tz=tz, when=when)

    def local(self, when: dt.datetime) -> str:
        return when.astimezone(self.schedule.tz).strftime("%Y-%m-%d %H:%M")


def desk_of(app: Application[Any, Any, Any, Any, Any, Any]) -> Desk | None:
    desk = app.bot_data.get(DESK_KEY)
    return desk if isinstance(desk, Desk) else None


class HasOpenTicket(filters.MessageFilter):
    """Messages from a chat that has an open ticket (routed to it, not to the FAQ)."""

    def __init__(self, desk: Desk) -> None:
        super().__init__(name="HasOpenTicket")
        self.desk = desk

    def filter(self, message: Message) -> bool:
        return message.chat_id in self.desk.open_chats


def offer_row(app: Application[Any, Any, Any, Any, Any, Any], chat_id: int, lang: str,
              qid: str | None) -> list[InlineKeyboardButton] | None:
    """The "Ask a person" button for a reply in `chat_id`: only when handoff is on, and only
    in a private chat (user chats have positive ids; a ticket is one resident's)."""
    if desk_of(app) is None or chat_id <= 0:
        return None
    return [ask_button(services_of(app).locales, lang, qid)]


async def validated_press(update: Update, context: BotContext,
                          kinds: tuple[type, ...]) -> tuple[CallbackQuery, Message, Any] | None:
    """A press whose data decodes to one of `kinds` and is on the pressed message's own
    keyboard; None after telling the presser the button has expired (stale or forged)."""
    query = update.callback_query
    assert query is not None
    cb = decode(query.data)
    message = query.message
    if (not isinstance(cb, kinds) or not isinstance(message, Message)
            or not offered(message.reply_markup, query.data or "")):
        log.info("stale or forged handoff button (update %s)", update.update_id)
        lang = (await context.prefs()).lang
        await query.answer(context.svc.locales.t(lang, "tg.stale_button"))
        return None
    return query, message, cb

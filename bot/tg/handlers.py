"""Every handler of the bot, registered in one place; the command menu; the error handler.

Order matters within group 0 (the first matching handler wins); group -1 runs first for
every update and may stop it (group chatter, the per-user rate limit).
"""

from __future__ import annotations

import logging
import traceback

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.tg import callbacks as cb
from bot.tg import conversation as conv
from bot.tg import handoff_resident as ho_resident
from bot.tg import handoff_staff as ho_staff
from bot.tg import staff_commands as staff
from bot.tg.context import BotContext, services_of
from bot.tg.handoff_desk import HasOpenTicket, desk_of
from bot.tg.handoff_keyboards import (
    AskPerson,
    ClaimTicket,
    CloseTicket,
    EndTicket,
    RateTicket,
    SuggestFaq,
    is_handoff,
)
from bot.tg.keyboards import (
    Feedback,
    NoneOfThese,
    Noop,
    Pick,
    SetLang,
    SetRegion,
    Show,
    TopicPage,
    Topics,
    is_kind,
)
from bot.tg.markup import text_messages
from bot.tg.reply import send_html

log = logging.getLogger(__name__)

# (command, locale key of its description). The public menu, then the staff-only one.
COMMANDS = (("start", "tg.cmd_start"), ("help", "tg.cmd_help"), ("topics", "tg.cmd_topics"),
            ("region", "tg.cmd_region"), ("lang", "tg.cmd_lang"), ("about", "tg.cmd_about"))
STAFF_COMMANDS = (("stats", "tg.cmd_stats"), ("unanswered", "tg.cmd_unanswered"),
                  ("reload", "tg.cmd_reload"), ("console", "tg.cmd_console"))
# Only when the human handoff is on (BOT_HANDOFF_CHAT_ID).
HANDOFF_COMMANDS = (("human", "handoff.cmd_human"), ("cancel", "handoff.cmd_cancel"))
HANDOFF_STAFF_COMMANDS = (("queue", "handoff.cmd_queue"),)


def register(app: Application) -> None:
    """Add every handler of the bot to `app`."""
    # A command is handled when sent; an *edited* command is ignored (no second greeting),
    # while an edited question is answered again (people fix typos by editing).
    sent = filters.UpdateType.MESSAGE
    sent_or_edited = filters.UpdateType.MESSAGE | filters.UpdateType.EDITED_MESSAGE
    app.add_handler(TypeHandler(Update, conv.gate), group=-1)
    desk = desk_of(app)
    if desk is not None:
        # First: a resident with an open ticket writes into it (not to the FAQ engine), and
        # staff replies in the staff group go to their ticket (not answered as questions).
        app.add_handlers([
            CommandHandler("human", ho_resident.human, filters=sent),
            CommandHandler("cancel", ho_resident.cancel,
                           filters=sent & filters.ChatType.PRIVATE),
            CommandHandler("queue", ho_staff.queue, filters=sent),
            MessageHandler(sent_or_edited & filters.ChatType.PRIVATE & HasOpenTicket(desk)
                           & ~filters.COMMAND, ho_resident.relay),
            MessageHandler(sent & filters.Chat(desk.chat_id) & filters.REPLY
                           & ~filters.COMMAND, ho_staff.reply),
            CallbackQueryHandler(ho_resident.on_ask_person, pattern=is_handoff(AskPerson)),
            CallbackQueryHandler(ho_resident.on_end, pattern=is_handoff(EndTicket)),
            CallbackQueryHandler(ho_resident.on_rate, pattern=is_handoff(RateTicket)),
            CallbackQueryHandler(ho_staff.on_claim, pattern=is_handoff(ClaimTicket)),
            CallbackQueryHandler(ho_staff.on_close, pattern=is_handoff(CloseTicket)),
            CallbackQueryHandler(ho_staff.on_suggest_faq, pattern=is_handoff(SuggestFaq)),
        ])
    app.add_handlers([
        CommandHandler("start", conv.start, filters=sent),
        CommandHandler("help", conv.help_command, filters=sent),
        CommandHandler("about", conv.about, filters=sent),
        CommandHandler("topics", conv.topics, filters=sent),
        CommandHandler("region", conv.region, filters=sent),
        CommandHandler("lang", conv.lang, filters=sent),
        CommandHandler("stats", staff.stats, filters=sent),
        CommandHandler("unanswered", staff.unanswered, filters=sent),
        CommandHandler("reload", staff.reload, filters=sent),
        CommandHandler("console", staff.console_link, filters=sent),
        MessageHandler(sent & filters.COMMAND, conv.unknown_command),
        MessageHandler(sent_or_edited & filters.TEXT & ~filters.COMMAND, conv.ask),
        MessageHandler(sent_or_edited & filters.ATTACHMENT, conv.not_text),
        CallbackQueryHandler(cb.on_feedback, pattern=is_kind(Feedback)),
        CallbackQueryHandler(cb.on_pick, pattern=is_kind(Pick)),
        CallbackQueryHandler(cb.on_none_of_these, pattern=is_kind(NoneOfThese)),
        CallbackQueryHandler(cb.on_show, pattern=is_kind(Show)),
        CallbackQueryHandler(cb.on_topics, pattern=is_kind(Topics)),
        CallbackQueryHandler(cb.on_topic_page, pattern=is_kind(TopicPage)),
        CallbackQueryHandler(cb.on_set_region, pattern=is_kind(SetRegion)),
        CallbackQueryHandler(cb.on_set_lang, pattern=is_kind(SetLang)),
        CallbackQueryHandler(cb.on_noop, pattern=is_kind(Noop)),
        CallbackQueryHandler(cb.on_stale),
    ])
    app.add_error_handler(on_error)


async def register_commands(app: Application) -> None:
    """Publish the command menu in every language; staff also see their commands."""
    svc = services_of(app)
    loc = svc.locales
    public: tuple[tuple[str, str], ...] = COMMANDS
    staff_only: tuple[tuple[str, str], ...] = STAFF_COMMANDS
    if desk_of(app) is not None:
        public, staff_only = public + HANDOFF_COMMANDS, staff_only + HANDOFF_STAFF_COMMANDS

    def menu(lang: str, items: tuple[tuple[str, str], ...]) -> list[BotCommand]:
        return [BotCommand(name, loc.t(lang, key)) for name, key in items]

    # No language_code: the menu for users whose language we have no file for (zh).
    for code in (None, *loc.languages):
        lang = loc.resolve(code)
        await app.bot.set_my_commands(menu(lang, public), language_code=code)
        for staff_id in sorted(svc.settings.staff_ids):
            try:
                await app.bot.set_my_commands(menu(lang, public + staff_only),
                                              scope=BotCommandScopeChat(staff_id),
                                              language_code=code)
            except TelegramError as exc:  # a staff member who never opened the bot
                log.warning("no staff command menu for one staff member: %s", exc)


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure with the update's id (never the token) and apologise to the user."""
    update_id = update.update_id if isinstance(update, Update) else None
    error = context.error
    trace = "".join(traceback.format_exception(error)) if error else "no exception"
    token = context.bot.token
    log.error("update %s failed: %s", update_id, trace.replace(token, "<token>"))
    if not isinstance(update, Update):
        return
    try:
        svc = context.svc
        lang = (await context.prefs()).lang
        text = svc.locales.t(lang, "tg.error")
        if update.callback_query is not None:
            await update.callback_query.answer(text)
        elif update.effective_chat is not None:
            await send_html(context.bot, update.effective_chat.id, text_messages(text))
    except Exception as exc:  # Telegram may be what failed: one line, and carry on
        log.warning("could not apologise for update %s: %s", update_id,
                    str(exc).replace(token, "<token>"))

"""Staff commands (/stats, /unanswered, /reload, /console) and reload announcements to staff.

Staff are the Telegram user ids in BOT_STAFF_IDS. Anyone else gets "not allowed", and the
attempt is logged to the query store (which stores only the HMAC of the user id).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import Application

from bot.core.i18n import Locales
from bot.core.reload import ReloadResult
from bot.staff import clusters, reports, signin
from bot.staff.escape import visible
from bot.store.records import Period
from bot.tg.context import BotContext, services_of
from bot.tg.markup import Block, pack, text_messages
from bot.tg.reply import send_html

log = logging.getLogger(__name__)

REPORT_DAYS = 30
TOP_UNANSWERED = 10


async def _allowed(update: Update, context: BotContext, command: str) -> bool:
    """True for staff in a private chat; otherwise say no, log the attempt, return False."""
    svc = context.svc
    user, chat = update.effective_user, update.effective_chat
    # Reports show residents' questions: never to a group, even when staff ask there.
    private = chat is not None and chat.type == ChatType.PRIVATE
    if svc.is_staff(user) and private:
        return True
    if svc.is_staff(user):
        log.warning("/%s refused: not a private chat (update %s)", command, update.update_id)
    else:
        log.warning("/%s refused: not staff (update %s)", command, update.update_id)
        await svc.store.log_denied(user.id if user else None, command)
    if chat is not None:
        lang = (await context.prefs()).lang
        # In a group everyone gets the same one-line hint: it tells the group nothing about
        # who is staff.
        key = "tg.not_allowed" if private else "tg.staff_private_only"
        message = update.effective_message
        await send_html(context.bot, chat.id, text_messages(svc.locales.t(lang, key)),
                        reply_to=None if private or message is None else message.message_id)
    return False


def reload_messages(loc: Locales, lang: str, result: ReloadResult, changed: bool) -> list[str]:
    """What a reload did, for staff: the new version, or every problem (file, entry, line)."""
    head = [loc.t(lang, "tg.reload_changed")] if changed else []
    if result.ok:
        return text_messages(*head, loc.t(lang, "tg.reload_ok", version=result.version,
                                          entries=result.entries))
    problems = "\n".join(str(p) for p in result.problems) or (result.error or "")
    return pack([*(Block(h) for h in head),
                 Block(loc.t(lang, "tg.reload_failed", version=result.version,
                             entries=result.entries), "b"),
                 Block(problems)])


async def reload(update: Update, context: BotContext) -> None:
    """Reload the FAQ now; report the new version or the errors (old FAQ kept)."""
    if not await _allowed(update, context, "reload"):
        return
    svc = context.svc
    assert update.effective_chat is not None
    lang = (await context.prefs()).lang
    result = await asyncio.to_thread(svc.holder.reload)  # loading takes a while; keep serving
    await send_html(context.bot, update.effective_chat.id,
                    reload_messages(svc.locales, lang, result, changed=False))


async def announce_reload(app: Application, result: ReloadResult) -> None:
    """Tell every staff member what an automatic reload (a file in faq/ changed) did."""
    svc = services_of(app)
    for staff_id in sorted(svc.settings.staff_ids):
        lang = await svc.lang_of(staff_id)
        try:
            await send_html(app.bot, staff_id,
                            reload_messages(svc.locales, lang, result, changed=True))
        except TelegramError as exc:  # e.g. a staff member who never opened the bot
            log.warning("could not tell staff about the reload: %s", exc)


def _period() -> Period:
    return Period(since=dt.datetime.now(dt.UTC) - dt.timedelta(days=REPORT_DAYS))


async def stats(update: Update, context: BotContext) -> None:
    """Usage figures for the last 30 days (bot.staff.reports.stats)."""
    if not await _allowed(update, context, "stats"):
        return
    svc = context.svc
    assert update.effective_chat is not None
    lang = (await context.prefs()).lang
    loc, kb = svc.locales, svc.holder.current.engine.kb
    await svc.store.flush()  # include what was asked a moment ago
    r = await reports.stats(svc.store, _period())
    answered = r.by_status.get("answer", 0)
    topic_names = {t.id: t.name(lang) for t in kb.topics}
    counters = svc.store.counters
    blocks = [
        Block(loc.t(lang, "tg.stats_title", days=REPORT_DAYS), "b"),
        Block("\n".join([
            loc.t(lang, "tg.stats_total", total=r.total, answered=answered,
                  answered_pct=round(100 * answered / r.total) if r.total else 0,
                  clarified=r.by_status.get("clarify", 0),
                  fallback=r.by_status.get("fallback", 0)),
            loc.t(lang, "tg.stats_events", **{k: r.events.get(k, 0) for k in
                                              ("helpful", "unhelpful", "selections", "denied")}),
            loc.t(lang, "tg.stats_latency", latency=f"{r.avg_latency_ms:.1f}"),
        ])),
    ]
    topics = [(t, n) for t, n in r.by_topic.items() if t != "-"]
    if topics:
        blocks.append(Block("\n".join([loc.t(lang, "tg.stats_topics")] + [
            loc.t(lang, "tg.stats_topic_line", topic=topic_names.get(t, t), count=n)
            for t, n in topics])))
    blocks.append(Block(loc.t(lang, "tg.stats_log", written=counters.get("written", 0),
                              dropped=counters.get("dropped", 0)), "i"))
    await send_html(context.bot, update.effective_chat.id, pack(blocks))


async def unanswered(update: Update, context: BotContext) -> None:
    """The top groups of similar questions that got no good answer (staff.clusters.unanswered)."""
    if not await _allowed(update, context, "unanswered"):
        return
    svc = context.svc
    assert update.effective_chat is not None
    lang = (await context.prefs()).lang
    loc = svc.locales
    await svc.store.flush()  # include what was asked a moment ago
    r = await clusters.unanswered(svc.store, _period(), limit=TOP_UNANSWERED,
                                normalizer=svc.holder.current.engine.normalizer)
    if not r.groups:
        messages = text_messages(loc.t(lang, "tg.unanswered_none"))
    else:
        messages = pack([
            Block(loc.t(lang, "tg.unanswered_title", days=REPORT_DAYS), "b"),
            Block("\n".join(
                loc.t(lang, "tg.unanswered_line", count=g.count, example=visible(g.examples[0]),
                      group=g.key)
                + (loc.t(lang, "tg.unanswered_more", n=len(g.questions) - 1)
                   if len(g.questions) > 1 else "")
                for g in r.groups)),
            Block(loc.t(lang, "tg.unanswered_footer", distinct=r.distinct, total=r.total), "i"),
        ])
    await send_html(context.bot, update.effective_chat.id, messages)


async def console_link(update: Update, context: BotContext) -> None:
    """A one-time sign-in link to the staff web console, in a private chat only."""
    if not await _allowed(update, context, "console"):
        return
    svc = context.svc
    chat = update.effective_chat
    user = update.effective_user
    assert chat is not None and user is not None
    lang = (await context.prefs()).lang
    if chat.type != "private":  # a link in a group would let the group sign in
        await send_html(context.bot, chat.id,
                        text_messages(svc.locales.t(lang, "tg.console_private_only")))
        return
    s = svc.settings
    key = await asyncio.to_thread(signin.console_key, s.console_secret, s.hmac_secret,
                                  s.db_path)
    link = signin.login_link(s.console_url, key, user.id)
    await send_html(context.bot, chat.id,
                    text_messages(svc.locales.t(lang, "tg.console_link"), link))

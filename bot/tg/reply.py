"""Sending and editing: engine results and locale text out to Telegram, as HTML.

Shared by the conversation, callback and staff handlers so that every reply goes out the
same way: HTML (the Application's `Defaults`), split under 4096 characters, keyboard under
the last part.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence

from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    ReplyParameters,
)
from telegram.constants import ChatType
from telegram.error import BadRequest

from bot.core.engine import Result
from bot.core.kb import KnowledgeBase
from bot.core.reload import Loaded
from bot.tg.keyboards import answer_markup, clarify_markup, fallback_markup
from bot.tg.markup import result_messages

log = logging.getLogger(__name__)

GROUPS = (ChatType.GROUP, ChatType.SUPERGROUP)


async def send_html(
    bot: Bot,
    chat_id: int,
    messages: Sequence[str],
    markup: InlineKeyboardMarkup | None = None,
    reply_to: int | None = None,
) -> Message | None:
    """Send HTML messages in order: the quote on the first, the keyboard under the last."""
    sent = None
    for i, text in enumerate(messages):
        sent = await bot.send_message(
            chat_id, text,
            reply_markup=markup if i == len(messages) - 1 else None,
            reply_parameters=(ReplyParameters(reply_to, allow_sending_without_reply=True)
                              if reply_to is not None and i == 0 else None),
        )
    return sent


async def edit_html(
    query: CallbackQuery, messages: Sequence[str], markup: InlineKeyboardMarkup | None
) -> None:
    """Replace the text and keyboard of the message a button was on (first part only)."""
    with contextlib.suppress(BadRequest):  # "message is not modified": nothing to do
        await query.edit_message_text(messages[0], reply_markup=markup)


def topic_pairs(kb: KnowledgeBase, lang: str, core: bool = False) -> list[tuple[str, str]]:
    """(topic id, name) for the topic buttons: every topic, or only the core ones."""
    return [(t.id, t.name(lang)) for t in (kb.core_topics if core else kb.topics)]


def result_markup(loaded: Loaded, r: Result, qid: str | None,
                  asker: str | None = None) -> InlineKeyboardMarkup | None:
    """The buttons under a result: feedback + related, suggestions, or topics. `asker` (the
    tag of who asked) goes on the buttons only they may press."""
    renderer, lang = loaded.renderer, r.lang
    if r.status == "answer" and r.entry_id is not None:
        related = [(e.id, e.question(lang)) for e in loaded.related(r.entry_id)]
        return answer_markup(renderer.loc, lang, qid, related, asker)
    suggestions = [(s.entry_id, renderer.suggestion_question(s, lang), s.region)
                   for s in r.suggestions]
    if r.status == "clarify" and qid is not None:
        return clarify_markup(renderer.loc, lang, qid, suggestions, asker)
    return fallback_markup(qid, suggestions, topic_pairs(loaded.engine.kb, lang, core=True),
                           asker)


async def send_result(
    bot: Bot,
    chat_id: int,
    loaded: Loaded,
    r: Result,
    qid: str | None,
    reply_to: int | None = None,
    extra_row: Sequence[InlineKeyboardButton] | None = None,
    asker: str | None = None,
) -> Message | None:
    """An engine result as HTML with its buttons (feedback keyed to `qid` when given, and
    to `asker`, the tag of who asked), and `extra_row` last (e.g. the handoff's "Ask a
    person")."""
    markup = result_markup(loaded, r, qid, asker)
    if extra_row:
        rows = [list(row) for row in (markup.inline_keyboard if markup else ())]
        markup = InlineKeyboardMarkup([*rows, list(extra_row)])
    return await send_html(bot, chat_id, result_messages(loaded.renderer, r), markup, reply_to)


# --------------------------------------------------------------------------- groups


def _mentions(message: Message, bot: Bot) -> bool:
    username = (bot.username or "").lower()
    for entity, text in {**message.parse_entities(), **message.parse_caption_entities()}.items():
        if entity.type == MessageEntity.MENTION and text.lower() == f"@{username}":
            return True
        if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot.id:
            return True
    return False


def _replies_to_bot(message: Message, bot: Bot) -> bool:
    replied = message.reply_to_message
    return bool(replied and replied.from_user and replied.from_user.id == bot.id)


def _command_target(message: Message) -> str | None:
    """For a command message: the bot it names after '@' ('' when none), else None."""
    text = message.text or ""
    if not text.startswith("/"):
        return None
    command = text.split(maxsplit=1)[0]
    return command.partition("@")[2].lower()


def addressed_to_bot(message: Message, bot: Bot) -> bool:
    """Whether the bot should react: everything in private; in groups only commands, mentions
    of the bot and replies to it (a group's chatter is none of its business)."""
    if message.chat.type == ChatType.PRIVATE:
        return True
    if message.chat.type not in GROUPS:
        return False  # channels
    target = _command_target(message)
    if target is not None:  # /help, or /help@thisbot, but not /help@otherbot
        return target in ("", (bot.username or "").lower())
    return _mentions(message, bot) or _replies_to_bot(message, bot)


def question_text(message: Message, bot: Bot) -> str:
    """The question in a message, without the @mention of the bot."""
    text = message.text or ""
    if bot.username:
        mention = f"@{bot.username}"
        while (i := text.lower().find(mention.lower())) != -1:
            text = text[:i] + " " + text[i + len(mention):]
    return " ".join(text.split())

"""What every handler gets: the bot's services, typed, through a custom `CallbackContext`.

The composition root (bot/tg/app.py) builds one `Services` per process and registers
`BotContext` through PTB's `ContextTypes`; handlers write `context.svc` and
`await context.prefs()` and never import the root back.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from telegram import Update, User
from telegram.ext import Application, CallbackContext, ExtBot

from bot.core.i18n import Locales
from bot.core.languages import detect_lang
from bot.core.reload import EngineHolder
from bot.settings import Settings
from bot.store.querystore import QueryStore
from bot.tg.ratelimit import UserRateLimiter

SERVICES_KEY = "services"
# How many users' language/region are kept in memory (a cache of the store's prefs table).
PREFS_CACHE_SIZE = 10_000


@dataclass(frozen=True)
class UserPrefs:
    """A user's language and region, resolved: the language is one we have.
    `lang_fixed`: the user chose it with /lang, so answers keep to it; otherwise it is
    Telegram's language and an answer follows the language of the question."""

    lang: str
    region: str | None
    lang_fixed: bool = False

    def answer_lang(self, text: str) -> str:
        """The language to answer `text` in: the fixed one, else the text's own."""
        return self.lang if self.lang_fixed else detect_lang(text, default=self.lang)


@dataclass
class Services:
    """Everything a handler may use. Built once per process by `open_services`."""

    settings: Settings
    holder: EngineHolder
    store: QueryStore
    locales: Locales
    limiter: UserRateLimiter
    _prefs: OrderedDict[int, tuple[str | None, str | None]] = field(
        default_factory=OrderedDict, repr=False)

    def is_staff(self, user: User | None) -> bool:
        return user is not None and user.id in self.settings.staff_ids

    async def _stored(self, user_id: int) -> tuple[str | None, str | None]:
        cached = self._prefs.get(user_id)
        if cached is None:
            p = await self.store.get_prefs(user_id)
            cached = (p.lang, p.region) if p is not None else (None, None)
            self._remember(user_id, cached)
        else:
            self._prefs.move_to_end(user_id)
        return cached

    def _remember(self, user_id: int, value: tuple[str | None, str | None]) -> None:
        self._prefs[user_id] = value
        self._prefs.move_to_end(user_id)
        while len(self._prefs) > PREFS_CACHE_SIZE:
            self._prefs.popitem(last=False)

    async def prefs(self, user: User | None) -> UserPrefs:
        """The user's language (/lang, else Telegram's language_code, else zh) and region."""
        if user is None:
            return UserPrefs(self.locales.resolve(None), None)
        lang, region = await self._stored(user.id)
        fixed = lang in self.locales.languages
        if not fixed:
            lang = self.locales.resolve(user.language_code)
        if region not in self.holder.current.engine.kb.regions:
            region = None  # a region dropped from the FAQ since it was chosen
        assert lang is not None
        return UserPrefs(lang, region, fixed)

    async def lang_of(self, user_id: int) -> str:
        """The language chosen by a user known only by id (e.g. staff being notified)."""
        lang = (await self._stored(user_id))[0]
        return lang if lang in self.locales.languages else self.locales.resolve(None)

    async def set_lang(self, user_id: int, lang: str) -> None:
        await self.store.set_prefs(user_id, lang=lang)
        self._remember(user_id, (lang, (await self._stored(user_id))[1]))

    async def set_region(self, user_id: int, region: str | None) -> None:
        await self.store.set_prefs(user_id, region=region)
        self._remember(user_id, ((await self._stored(user_id))[0], region))


def services_of(app: Application) -> Services:
    """The services stored in an application (for code outside a handler)."""
    svc = app.bot_data[SERVICES_KEY]
    assert isinstance(svc, Services)
    return svc


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The context of every handler: `svc` for the services, `prefs()` for the user's."""

    def __init__(self, application: Application[Any, Any, Any, Any, Any, Any],
                 chat_id: int | None = None, user_id: int | None = None) -> None:
        super().__init__(application, chat_id, user_id)
        self._user: User | None = None

    @classmethod
    def from_update(cls, update: object,
                    application: Application[Any, Any, Any, Any, Any, Any]) -> BotContext:
        context = super().from_update(update, application)
        if isinstance(update, Update):
            context._user = update.effective_user
        return context

    @property
    def svc(self) -> Services:
        return services_of(self.application)

    async def prefs(self) -> UserPrefs:
        """The language and region of the user this update comes from."""
        return await self.svc.prefs(self._user)

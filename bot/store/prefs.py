"""Residents' saved language and region: read at each message, written at once (not
queued) when they change it; keyed by the HMAC of the user id like everything else."""

from __future__ import annotations

import enum
import sqlite3
from dataclasses import dataclass
from typing import Final

from bot.store.base import StoreBase, log
from bot.store.records import ts_text, utc_now


class _Unset(enum.Enum):
    UNSET = enum.auto()


UNSET: Final = _Unset.UNSET


@dataclass(frozen=True)
class Prefs:
    lang: str | None = None
    region: str | None = None


class PrefsMixin(StoreBase):
    """`get_prefs` and `set_prefs`."""

    async def get_prefs(self, user_id: int | str) -> Prefs:
        ref = self._user_ref(user_id)
        if ref is None:
            return Prefs()
        try:
            row = await self._one("SELECT lang, region FROM prefs WHERE user_ref = ?", (ref,))
        except sqlite3.Error as exc:
            log.error("query log: cannot read preferences: %s", exc)
            return Prefs()
        return Prefs(row[0], row[1]) if row else Prefs()

    async def set_prefs(self, user_id: int | str, *, lang: str | _Unset | None = UNSET,
                        region: str | _Unset | None = UNSET) -> bool:
        """Change a user's language and/or region at once (not queued); False if not saved."""
        ref = self._user_ref(user_id)
        if ref is None:
            return False
        async with self._tx_lock:
            try:
                await self._db.execute("BEGIN IMMEDIATE")
                row = await self._one("SELECT lang, region FROM prefs WHERE user_ref = ?", (ref,))
                old = Prefs(row[0], row[1]) if row else Prefs()
                new_lang = old.lang if lang is UNSET else lang
                new_region = old.region if region is UNSET else region
                await self._db.execute(
                    "INSERT INTO prefs (user_ref, lang, region, updated) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (user_ref) DO UPDATE SET lang = excluded.lang, "
                    "region = excluded.region, updated = excluded.updated",
                    (ref, new_lang, new_region, ts_text(utc_now())))
                await self._db.execute("COMMIT")
                return True
            except sqlite3.Error as exc:
                await self._rollback()
                self._failed(exc, 0)
                return False

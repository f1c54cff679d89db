"""Concurrent update processing that keeps each chat's updates in order.

Different users are answered concurrently (one slow Telegram round trip must not hold up
everyone), but two messages from one chat are handled in the order they were sent, so
answers never overtake each other and a /lang is applied before the next question.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

DEFAULT_CONCURRENCY = 64


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """At most `max_concurrent_updates` at once; one at a time per chat (FIFO)."""

    def __init__(self, max_concurrent_updates: int = DEFAULT_CONCURRENCY) -> None:
        super().__init__(max_concurrent_updates)
        # chat id -> (lock, number of updates holding or waiting for it)
        self._chats: dict[int, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run `coroutine` once every earlier update of the same chat has finished."""
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock, n = self._chats.get(chat.id, (asyncio.Lock(), 0))
        self._chats[chat.id] = (lock, n + 1)
        try:
            async with lock:  # asyncio.Lock wakes waiters first-come first-served
                await coroutine
        finally:
            lock, n = self._chats[chat.id]
            if n <= 1:
                del self._chats[chat.id]  # idle chats cost no memory
            else:
                self._chats[chat.id] = (lock, n - 1)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

"""Concurrent update processing that keeps each chat's updates in order.

Different users are answered concurrently (one slow Telegram round trip must not hold up
everyone), but two messages from one chat are handled in the order they were sent, so
answers never overtake each other and a /lang is applied before the next question.

An update first waits for its chat's turn and only then for one of the slots: an update
that waits behind an earlier one of its own chat holds no slot, so a burst from one user
(64 quick messages) occupies one slot, not all of them, and every other chat is served
meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

DEFAULT_CONCURRENCY = 64
# PTB's BaseUpdateProcessor takes its own semaphore *before* calling do_process_update
# (process_update is final), which would let a chat's waiting updates hold every slot. It is
# given this many permits, so it never makes an update wait; the real limit is `_slots`.
_UNLIMITED = 1 << 30


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """At most `slots` updates handled at once; one at a time per chat (FIFO)."""

    def __init__(self, max_concurrent_updates: int = DEFAULT_CONCURRENCY) -> None:
        if max_concurrent_updates < 1:
            raise ValueError("max_concurrent_updates must be a positive integer")
        super().__init__(_UNLIMITED)
        self.slots = max_concurrent_updates
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        # chat id -> (lock, number of updates holding or waiting for it)
        self._chats: dict[int, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run `coroutine` once every earlier update of the same chat has finished and a
        slot is free (in that order)."""
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            async with self._slots:
                await coroutine
            return
        lock, n = self._chats.get(chat.id, (asyncio.Lock(), 0))
        self._chats[chat.id] = (lock, n + 1)
        try:
            # The chat's turn first (asyncio.Lock wakes waiters first-come first-served),
            # then a slot: waiting for the turn holds no slot.
            async with lock, self._slots:
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

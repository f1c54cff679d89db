"""Per-user rate limit: a sliding window, one polite notice, then silence until it clears.

This limits *people* (a user pasting 50 questions); Telegram's own flood limits on what the
bot sends are PTB's `AIORateLimiter`'s job. Memory is bounded: the least recently seen
users are forgotten first.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Hashable
from enum import Enum

DEFAULT_LIMIT = 20
DEFAULT_WINDOW = 60.0
MAX_TRACKED_USERS = 50_000


class Verdict(Enum):
    ALLOW = "allow"
    NOTIFY = "notify"  # over the limit for the first time in this window: say so once
    DROP = "drop"  # over the limit, already told


class UserRateLimiter:
    """At most `limit` updates per user in any `window` seconds."""

    def __init__(
        self,
        limit: int = DEFAULT_LIMIT,
        window: float = DEFAULT_WINDOW,
        max_users: int = MAX_TRACKED_USERS,
    ) -> None:
        self.limit = limit
        self.window = window
        self.max_users = max_users
        self._hits: OrderedDict[Hashable, deque[float]] = OrderedDict()
        self._told: set[Hashable] = set()

    def hit(self, user: Hashable, now: float | None = None) -> Verdict:
        """Count one update from `user` and say whether to handle it."""
        if self.limit <= 0:  # 0 disables the limit
            return Verdict.ALLOW
        now = time.monotonic() if now is None else now
        hits = self._hits.get(user)
        if hits is None:
            hits = self._hits[user] = deque()
            if len(self._hits) > self.max_users:
                old, _ = self._hits.popitem(last=False)
                self._told.discard(old)
        else:
            self._hits.move_to_end(user)
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) < self.limit:
            hits.append(now)
            self._told.discard(user)
            return Verdict.ALLOW
        # Refused updates are not counted: the user gets back in as soon as the window
        # has room, however much they kept typing meanwhile.
        if user in self._told:
            return Verdict.DROP
        self._told.add(user)
        return Verdict.NOTIFY

    def __len__(self) -> int:
        return len(self._hits)

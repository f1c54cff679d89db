"""Hot reload of the FAQ: a holder with one atomic swap, and a poller that notices edits.

Pure (no telegram). A reload builds and validates a whole new engine first and only then
replaces the reference in one assignment; on any error the old engine keeps serving. A
question in flight read `holder.current` once at its start, so a swap never changes it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.engine import Engine
from bot.core.i18n import Locales
from bot.core.kb import Entry, FaqError, Problem, load_kb
from bot.core.render import Renderer

log = logging.getLogger(__name__)

# Seconds between two looks at faq/, and how long an edit must stay still before a reload
# (an editor may write a file in several steps; reloading half a file only makes noise).
DEFAULT_POLL_SECONDS = 2.0
DEFAULT_SETTLE_SECONDS = 0.3


def fingerprint(directory: Path) -> str:
    """A digest of every *.yaml file's name and bytes: it changes whenever the FAQ does."""
    h = hashlib.sha256()
    for path in sorted(directory.glob("*.yaml")):
        h.update(path.name.encode())
        try:
            h.update(path.read_bytes())
        except OSError:  # deleted between glob and read: the next look settles it
            h.update(b"\0missing")
    return h.hexdigest()


@dataclass(frozen=True)
class Loaded:
    """One validated FAQ generation: the engine and the renderer for its knowledge base."""

    engine: Engine
    renderer: Renderer
    version: int
    fingerprint: str
    _related: dict[str, tuple[Entry, ...]] = field(default_factory=dict, compare=False,
                                                   repr=False)

    def related(self, entry_id: str) -> tuple[Entry, ...]:
        """`engine.related`, memoized: within one FAQ generation it never changes, and it
        costs a full ranking (about 1 ms) that every answer would otherwise repeat."""
        found = self._related.get(entry_id)
        if found is None:
            found = self._related[entry_id] = self.engine.related(entry_id)
        return found


@dataclass(frozen=True)
class ReloadResult:
    """What a reload did: `ok` with the new version, or the error and the version kept."""

    ok: bool
    version: int
    entries: int
    error: str | None = None
    problems: tuple[Problem, ...] = field(default=())


class EngineHolder:
    """The current engine generation, replaced only by a fully validated one."""

    def __init__(
        self,
        faq_dir: Path,
        locales: Locales,
        *,
        today: dt.date | None = None,
    ) -> None:
        self.faq_dir = Path(faq_dir)
        self.locales = locales
        self._today = today
        self._lock = threading.Lock()  # one reload at a time (/reload and the poller)
        # The digest of the last FAQ a load was tried on, valid or not: the poller
        # compares against it, so a broken edit is reported once and the fix reloads.
        self.attempted = ""
        # The first load raises: a bot with no valid FAQ must not start.
        self._current = self._build(version=1)

    @property
    def current(self) -> Loaded:
        return self._current

    def _build(self, version: int) -> Loaded:
        fp = fingerprint(self.faq_dir)
        self.attempted = fp
        engine = Engine(load_kb(self.faq_dir), today=self._today)
        return Loaded(engine, Renderer(engine.kb, self.locales), version, fp)

    def reload(self) -> ReloadResult:
        """Load faq/ again; swap it in only if it is entirely valid."""
        with self._lock:
            old = self._current
            try:
                new = self._build(version=old.version + 1)
            except FaqError as exc:
                log.warning("FAQ reload failed, keeping version %d: %s", old.version, exc)
                return ReloadResult(False, old.version, len(old.engine.kb.entries),
                                    str(exc), exc.problems)
            except Exception as exc:  # a bug must not take the served FAQ down with it
                log.exception("FAQ reload crashed, keeping version %d", old.version)
                return ReloadResult(False, old.version, len(old.engine.kb.entries),
                                    f"{type(exc).__name__}: {exc}")
            self._current = new  # the swap: one reference assignment
            log.info("FAQ reloaded: version %d, %d entries", new.version,
                     len(new.engine.kb.entries))
            return ReloadResult(True, new.version, len(new.engine.kb.entries))


OnReload = Callable[[ReloadResult], Awaitable[None]]


class FaqPoller:
    """Watches faq/ by content digest and reloads the holder after an edit settles."""

    def __init__(
        self,
        holder: EngineHolder,
        on_reload: OnReload | None = None,
        *,
        interval: float = DEFAULT_POLL_SECONDS,
        settle: float = DEFAULT_SETTLE_SECONDS,
    ) -> None:
        self.holder = holder
        self.on_reload = on_reload
        self.interval = interval
        self.settle = settle

    async def check(self) -> ReloadResult | None:
        """Reload if faq/ changed since the last look; None when it did not."""
        fp = await asyncio.to_thread(fingerprint, self.holder.faq_dir)
        if fp == self.holder.attempted:
            return None
        while True:  # wait until the files stop changing
            await asyncio.sleep(self.settle)
            again = await asyncio.to_thread(fingerprint, self.holder.faq_dir)
            if again == fp:
                break
            fp = again
        # Loading and indexing take a while: keep the event loop answering meanwhile.
        result = await asyncio.to_thread(self.holder.reload)
        if self.on_reload is not None:
            try:
                await self.on_reload(result)
            except Exception:
                log.exception("FAQ reload notification failed")
        return result

    async def run(self) -> None:
        """Poll until cancelled."""
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
            except Exception:  # never let the watcher die on a transient filesystem error
                log.exception("FAQ poll failed")

"""All configuration, read from the environment in one place.

The variable names are part of the interface (the deployment and other tools use them);
each is documented in README.md and .env.example.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

# The checkout's root: defaults resolve here so `python -m bot` works from any directory.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RETENTION_DAYS = 180


def _default_path(relative: str) -> Path:
    # Prefer ./faq (the working directory) when it exists, as a deployment would lay it out;
    # otherwise the checkout's own copy.
    here = Path.cwd() / relative
    return here if here.exists() else PROJECT_ROOT / relative


class SettingsError(ValueError):
    """A variable is set but malformed; the message names it."""


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw.rstrip("d"))
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw.rstrip("s"))
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, got {raw!r}") from None


def _hours(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw.rstrip("h"))
    except ValueError:
        raise SettingsError(f"{name} must be a number of hours, got {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be more than 0 hours, got {raw!r}")
    return value


def _ids(env: Mapping[str, str], name: str) -> frozenset[int]:
    raw = env.get(name, "")
    try:
        return frozenset(int(p) for p in raw.replace(" ", "").split(",") if p)
    except ValueError:
        raise SettingsError(f"{name} must be comma-separated Telegram user ids") from None


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise SettingsError(f"{name} must be 1 or 0, got {raw!r}")
def _chat_id(env: Mapping[str, str], name: str) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a Telegram chat id like -1001234567890, "
                            f"got {raw!r}") from None


def _proxy(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    if not raw.startswith(("http://", "https://")):
        raise SettingsError(f"{name} must be an http:// or https:// proxy URL "
                            "(for a SOCKS proxy, put an HTTP proxy in front of it)")
    return raw


def _console_url(env: Mapping[str, str]) -> str:
    raw = (env.get("BOT_CONSOLE_URL") or "").strip().rstrip("/")
    if not raw:
        host = env.get("BOT_CONSOLE_LISTEN") or "127.0.0.1"
        return f"http://{host}:{_int(env, 'BOT_CONSOLE_PORT', 8080)}"
    if not raw.startswith(("http://", "https://")):
        raise SettingsError(f"BOT_CONSOLE_URL must start with http:// or https://, got {raw!r}")
    return raw


@dataclass(frozen=True)
class Settings:
    faq_dir: Path
    locales_dir: Path
    db_path: Path
    hmac_secret: str | None
    retention_days: int
    telegram_token: str | None = field(default=None, repr=False)  # never printed
    telegram_api_base_url: str | None = None
    staff_ids: frozenset[int] = frozenset()
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: str | None = field(default=None, repr=False)
    log_level: str = "INFO"
    # PTB's and aiosqlite's DEBUG lines (raw updates: user ids, names, unmasked text) are
    # written only when this is set as well as BOT_LOG_LEVEL=DEBUG.
    wire_log: bool = False
    user_rate_limit: int = 20  # messages per user per minute in Telegram; 0 = no limit
    faq_poll_seconds: float = 2.0  # how often the bot looks for edits in faq/
    telegram_max_rate: float = 30.0  # messages/s the bot sends at most (Telegram's limit); 0 = off
    # An HTTP(S) proxy for the Bot API; HTTPS_PROXY & co. are honoured too when this is unset.
    proxy_url: str | None = field(default=None, repr=False)  # may carry a password
    # Human handoff (bot/tg/handoff_*.py): off unless the staff group's chat id is set.
    handoff_chat_id: int | None = None
    handoff_thread_id: int | None = None  # a forum topic in that group
    handoff_hours: str = ""  # e.g. "Mon-Fri 09:30-13:30,16:00-19:30" (bot/core/office_hours)
    handoff_tz: str = "Asia/Shanghai"
    handoff_idle_hours: float = 48.0  # open tickets with no activity this long are closed
    # The staff console (python -m bot console): where it listens, its public base URL
    # (used in sign-in links), and the key of those links (else derived from the HMAC secret).
    console_listen: str = "127.0.0.1"
    console_port: int = 8080
    console_url: str = "http://127.0.0.1:8080"
    console_secret: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            faq_dir=Path(env.get("BOT_FAQ_DIR") or _default_path("faq")),
            locales_dir=Path(env.get("BOT_LOCALES_DIR") or _default_path("locales")),
            db_path=Path(env.get("BOT_DB_PATH") or "data/queries.db"),
            hmac_secret=env.get("BOT_HMAC_SECRET") or None,
            retention_days=_int(env, "BOT_RETENTION_DAYS", DEFAULT_RETENTION_DAYS),
            telegram_token=env.get("TELEGRAM_BOT_TOKEN") or None,
            telegram_api_base_url=env.get("TELEGRAM_API_BASE_URL") or None,
            staff_ids=_ids(env, "BOT_STAFF_IDS"),
            webhook_url=env.get("BOT_WEBHOOK_URL") or None,
            webhook_listen=env.get("BOT_WEBHOOK_LISTEN") or "127.0.0.1",
            webhook_port=_int(env, "BOT_WEBHOOK_PORT", 8443),
            webhook_secret=env.get("BOT_WEBHOOK_SECRET") or None,
            log_level=(env.get("BOT_LOG_LEVEL") or "INFO").upper(),
            wire_log=_flag(env, "BOT_WIRE_LOG"),
            user_rate_limit=_int(env, "BOT_USER_RATE_LIMIT", 20),
            faq_poll_seconds=_float(env, "BOT_FAQ_POLL_SECONDS", 2.0),
            telegram_max_rate=_float(env, "BOT_TELEGRAM_MAX_RATE", 30.0),
            proxy_url=_proxy(env, "BOT_PROXY_URL"),
            handoff_chat_id=_chat_id(env, "BOT_HANDOFF_CHAT_ID"),
            handoff_thread_id=_chat_id(env, "BOT_HANDOFF_THREAD_ID"),
            handoff_hours=(env.get("BOT_HANDOFF_HOURS") or "").strip(),
            handoff_tz=(env.get("BOT_HANDOFF_TZ") or "").strip() or "Asia/Shanghai",
            handoff_idle_hours=_hours(env, "BOT_HANDOFF_IDLE_HOURS", 48.0),
            console_listen=env.get("BOT_CONSOLE_LISTEN") or "127.0.0.1",
            console_port=_int(env, "BOT_CONSOLE_PORT", 8080),
            console_url=_console_url(env),
            console_secret=env.get("BOT_CONSOLE_SECRET") or None,
        )

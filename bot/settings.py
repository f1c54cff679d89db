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


def _ids(env: Mapping[str, str], name: str) -> frozenset[int]:
    raw = env.get(name, "")
    try:
        return frozenset(int(p) for p in raw.replace(" ", "").split(",") if p)
    except ValueError:
        raise SettingsError(f"{name} must be comma-separated Telegram user ids") from None


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
    user_rate_limit: int = 20  # messages per user per minute in Telegram; 0 = no limit
    faq_poll_seconds: float = 2.0  # how often the bot looks for edits in faq/
    telegram_max_rate: float = 30.0  # messages/s the bot sends at most (Telegram's limit); 0 = off
    # An HTTP(S) proxy for the Bot API; HTTPS_PROXY & co. are honoured too when this is unset.
    proxy_url: str | None = field(default=None, repr=False)  # may carry a password
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
            user_rate_limit=_int(env, "BOT_USER_RATE_LIMIT", 20),
            faq_poll_seconds=_float(env, "BOT_FAQ_POLL_SECONDS", 2.0),
            telegram_max_rate=_float(env, "BOT_TELEGRAM_MAX_RATE", 30.0),
            proxy_url=_proxy(env, "BOT_PROXY_URL"),
            console_listen=env.get("BOT_CONSOLE_LISTEN") or "127.0.0.1",
            console_port=_int(env, "BOT_CONSOLE_PORT", 8080),
            console_url=_console_url(env),
            console_secret=env.get("BOT_CONSOLE_SECRET") or None,
        )

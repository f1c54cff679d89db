"""One-time sign-in links to the staff console, shared by the console (which checks them)
and the Telegram `/console` command and `python -m bot console --login-link` (which make
them). Pure apart from `console_key`, which may read the HMAC secret file.

A token is `<staff id>.<expiry, unix seconds>.<nonce>.<signature>`: HMAC-SHA256 under a
key of its own, valid for ten minutes. The signature proves who issued it and for whom;
*single use* is enforced by the console recording the nonce in the database when the
link is used (bot.store.console.use_nonce), so a link cannot start two sessions.

The key is BOT_CONSOLE_SECRET when set, else derived from the query log's HMAC secret
(BOT_HMAC_SECRET or the generated secret file next to the database, which the bot and the
console share): nothing new to configure, and the two purposes never share a key.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from bot.store.privacy import MIN_SECRET_CHARS, resolve_secret

LINK_LIFETIME = dt.timedelta(minutes=10)
SIGNIN_PATH = "/signin/"
_LABEL = b"yibao-bot console sign-in v1"
_TOKEN = re.compile(r"^(\d{1,20})\.(\d{1,12})\.([A-Za-z0-9_-]{16,64})\.([A-Za-z0-9_-]{43})$")


class SigninError(ValueError):
    """A link that is malformed, forged or expired (the message says which, for logs)."""


@dataclass(frozen=True)
class Ticket:
    staff_id: int
    nonce: str
    expires: dt.datetime


def console_key(console_secret: str | None, hmac_secret: str | None,
                db_path: str | Path) -> bytes:
    """The key sign-in links are signed with (see the module doc)."""
    if console_secret:
        if len(console_secret) < MIN_SECRET_CHARS:
            raise SigninError(f"BOT_CONSOLE_SECRET must be at least {MIN_SECRET_CHARS} "
                              "characters")
        base = console_secret
    else:
        base = resolve_secret(hmac_secret, db_path).value
    return hmac.new(base.encode("utf-8"), _LABEL, hashlib.sha256).digest()


def _sign(key: bytes, staff_id: int, expires: int, nonce: str) -> str:
    mac = hmac.new(key, f"{staff_id}|{expires}|{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def make_token(key: bytes, staff_id: int, now: dt.datetime | None = None,
               nonce: str | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    expires = int((now + LINK_LIFETIME).timestamp())
    nonce = nonce or secrets.token_urlsafe(18)
    return f"{staff_id}.{expires}.{nonce}.{_sign(key, staff_id, expires, nonce)}"


def verify_token(key: bytes, token: str, now: dt.datetime | None = None) -> Ticket:
    """The ticket a genuine, unexpired token carries; SigninError otherwise.
    (Whether it was used before is the database's to say.)"""
    m = _TOKEN.match(token or "")
    if m is None:
        raise SigninError("malformed sign-in token")
    staff_id, expires, nonce, sig = int(m[1]), int(m[2]), m[3], m[4]
    if not hmac.compare_digest(sig, _sign(key, staff_id, expires, nonce)):
        raise SigninError("bad signature")
    now = now or dt.datetime.now(dt.UTC)
    if now.timestamp() > expires:
        raise SigninError("expired")
    return Ticket(staff_id, nonce, dt.datetime.fromtimestamp(expires, dt.UTC))


def login_link(base_url: str, key: bytes, staff_id: int,
               now: dt.datetime | None = None) -> str:
    """The one-time link for a staff member: BOT_CONSOLE_URL + /signin/<token>."""
    return base_url.rstrip("/") + SIGNIN_PATH + make_token(key, staff_id, now)

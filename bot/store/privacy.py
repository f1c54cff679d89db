"""Privacy of the query log: personal numbers masked, users pseudonymous, the secret kept safe.

Pure except for `resolve_secret`, which reads (or creates, once) the secret file. Nothing
here knows about SQLite or Telegram; the store calls these before anything reaches disk.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bot.core.normalize import MAX_MATCH_CHARS

# Masking lives in bot.store.masking; the rest of the program imports it from here.
from bot.store.masking import MASK_CARD as MASK_CARD
from bot.store.masking import MASK_ID as MASK_ID
from bot.store.masking import MASK_PHONE as MASK_PHONE
from bot.store.masking import MASKS as MASKS
from bot.store.masking import mask as mask
from bot.store.masking import straddles

log = logging.getLogger(__name__)

# Stored question text is cut to this many characters (Telegram allows 4096). The matcher
# reads only the first 512, so staff lose nothing they could act on.
MAX_TEXT_CHARS = 1000
TRUNCATION_MARK = "…"
# Length of the stored user reference (hex of HMAC-SHA256): 128 bits, collisions negligible.
USER_REF_HEX = 32
MIN_SECRET_CHARS = 16
SECRET_FILE_SUFFIX = ".hmac-secret"
_SURROGATE = re.compile("[\ud800-\udfff]")

def clean(text: str) -> str:
    """`text` made storable: lone surrogates (unencodable in UTF-8) become U+FFFD."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


def truncate(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """At most `limit` characters; a cut text ends with … so staff can tell."""
    if len(text) <= limit:
        return text
    return text[: limit - len(TRUNCATION_MARK)] + TRUNCATION_MARK


def private_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """What the log stores of a user's text: masked first (so no number is cut in half
    and escapes), then truncated, and made valid UTF-8."""
    return truncate(mask(clean(text)), limit)


# The end of a cut normalized text: digits and the spaces normalization left between them.
_TRAILING_DIGITS = re.compile(r"\d[\d ]*$")


def private_normalized(normalized: str, text: str) -> str:
    """What the log stores of the engine's normalized form of `text`.

    The engine normalizes only the first MAX_MATCH_CHARS characters, so a number typed
    across that point reaches us cut: its first digits alone are no personal number any
    more. Whether one was cut is decided on the whole raw text; its stub is then masked.
    """
    out = private_text(normalized)
    if len(text) > MAX_MATCH_CHARS:
        cut = straddles(clean(text), MAX_MATCH_CHARS)
        if cut is not None:
            out = _TRAILING_DIGITS.sub(cut, out)
    return out


def user_ref(secret: str, user_id: int | str) -> str:
    """A pseudonymous, stable reference to a platform user: HMAC-SHA256 under `secret`.

    Without the secret the reference cannot be linked back to the id, even by trying
    every possible Telegram id (which a plain hash would allow).
    """
    digest = hmac.new(secret.encode("utf-8"), str(user_id).encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()[:USER_REF_HEX]


def secret_check(secret: str) -> str:
    """A value stored in the database to notice a changed secret (reveals nothing of it)."""
    return user_ref(secret, "yibao-bot secret check")[:16]


# --------------------------------------------------------------------------- the secret


class SecretError(ValueError):
    """The HMAC secret is unusable; the message says what to do."""


@dataclass(frozen=True)
class Secret:
    value: str = ""
    source: Literal["env", "file", "generated"] = "env"
    path: Path | None = None

    def __repr__(self) -> str:  # never print the secret itself
        return f"Secret(source={self.source!r}, path={self.path!r})"


def secret_path(db_path: str | Path) -> Path:
    """Where a generated secret is kept: next to the database, e.g. queries.db.hmac-secret."""
    p = Path(db_path)
    return p.with_name(p.name + SECRET_FILE_SUFFIX)


def resolve_secret(env_value: str | None, db_path: str | Path) -> Secret:
    """The HMAC secret: BOT_HMAC_SECRET if set, else the secret file next to the database,
    created (mode 0600) on first run. Raises SecretError for a short or unreadable secret."""
    if env_value:
        if len(env_value) < MIN_SECRET_CHARS:
            raise SecretError(
                f"BOT_HMAC_SECRET must be at least {MIN_SECRET_CHARS} characters "
                "(e.g. the output of: python -c 'import secrets; print(secrets.token_hex(32))')"
            )
        return Secret(env_value, "env")
    path = secret_path(db_path)
    try:
        return _read_secret_file(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return _read_secret_file(path)
    except OSError as exc:
        raise SecretError(f"cannot create the HMAC secret file {path}: {exc}") from exc
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(value + "\n")
        f.flush()
        os.fsync(f.fileno())
    log.warning(
        "BOT_HMAC_SECRET is not set: generated a new secret in %s (mode 0600). Keep it with "
        "the database; without it user references cannot be linked across restarts.",
        path,
    )
    return Secret(value, "generated", path)


def _read_secret_file(path: Path) -> Secret:
    try:
        mode = path.stat().st_mode
        value = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretError(f"cannot read the HMAC secret file {path}: {exc}") from exc
    if len(value) < MIN_SECRET_CHARS:
        raise SecretError(f"the HMAC secret file {path} is empty or too short")
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        # Readable by others means pseudonyms can be reversed; tighten it and say so.
        os.chmod(path, 0o600)
        log.warning("HMAC secret file %s was accessible to other users; set its mode to 0600",
                    path)
    return Secret(value, "file", path)

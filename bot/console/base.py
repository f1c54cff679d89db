"""What every page of the console shares: its state (`Console`), the page renderer
(Jinja2, autoescaped), redirects, and the security headers middleware."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from aiohttp import web

from bot.core.i18n import Locales
from bot.core.reload import EngineHolder
from bot.settings import Settings
from bot.store.querystore import QueryStore

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
IDLE = dt.timedelta(minutes=30)
REPORT_TTL = 120.0  # seconds
SESSION_COOKIE = "yb_console"
LANG_COOKIE = "yb_console_lang"
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Console:
    """Everything the pages use; one per process."""

    settings: Settings
    store: QueryStore
    holder: EngineHolder
    locales: Locales
    key: bytes  # of the sign-in links (bot.staff.signin.console_key)
    idle: dt.timedelta = IDLE
    # One FAQ edit at a time in this process; other writers are caught by the file hash.
    edit_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    cache: dict[Any, Any] = field(default_factory=dict)  # per FAQ version: health checks
    # Expensive per-period reads (clustering the unanswered questions, the hours), kept for
    # REPORT_TTL: staff move between pages and periods; a minute-old figure is fine.
    reports: dict[Any, tuple[float, Any]] = field(default_factory=dict)

    async def cached(self, key: Any, make: Callable[[], Awaitable[Any]]) -> Any:
        now = time.monotonic()
        hit = self.reports.get(key)
        if hit is not None and now - hit[0] < REPORT_TTL:
            return hit[1]
        value = await make()
        for k in [k for k, (t, _) in self.reports.items() if now - t >= REPORT_TTL]:
            del self.reports[k]
        self.reports[key] = (now, value)
        return value

    @property
    def secure(self) -> bool:
        return self.settings.console_url.startswith("https://")


CONSOLE: web.AppKey[Console] = web.AppKey("console", Console)


def _request_key(name: str) -> Any:
    # Typed request keys where aiohttp has them (3.12+), plain strings before.
    maker = getattr(web, "RequestKey", None)
    return maker(name, object) if maker else name


SESSION = _request_key("console_session")  # the bot.store.console.Session of the request
NAV = _request_key("console_nav")  # which menu item the page is

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,  # every value is HTML-escaped unless a template says otherwise
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def console_of(request: web.Request) -> Console:
    return request.app[CONSOLE]


def lang_of(request: web.Request) -> str:
    c = console_of(request)
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in c.locales.languages:
        return str(chosen)
    header = request.headers.get("Accept-Language", "")
    return c.locales.resolve(header.split(",")[0].strip() or None)


def render(request: web.Request, template: str, status: int = 200,
           **values: Any) -> web.Response:
    """A page in the staff member's language; `t(key, **kw)` looks up console.<key>."""
    c = console_of(request)
    lang = lang_of(request)

    def t(key: str, /, **kw: Any) -> str:
        return c.locales.t(lang, f"console.{key}", **kw)

    def url(path: str, **params: Any) -> str:
        query = urlencode([(k, v) for k, v in params.items() if v not in (None, "")])
        return path + ("?" + query if query else "")

    session = request.get(SESSION)
    html = _env.get_template(template).render(
        t=t, url=url, lang=lang, languages=c.locales.languages, path=request.path_qs,
        csrf=session.csrf if session else "", staff_id=session.staff_id if session else None,
        nav=request.get(NAV, ""), **values)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def redirect(location: str) -> web.Response:
    """303 See Other: after a POST, the browser GETs the next page."""
    return web.Response(status=303, headers={"Location": location})


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
        if exc.status in (403, 404, 405) and not (exc.text or "").startswith("<"):
            response = render(request, "error.html", status=exc.status, code=exc.status)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    # The sign-in token is in the URL: never send it on as a Referer.
    response.headers["Referrer-Policy"] = "no-referrer"
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
    return response

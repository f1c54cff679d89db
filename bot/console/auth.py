"""Sign-in with a one-time link, server-side sessions, CSRF, sign-out, the language switch.

- GET /signin/<token> shows a button and uses nothing: link previews (Telegram fetches
  links it shows) must not burn the link. POST /signin uses it: the signature and expiry
  are checked (bot.staff.signin), the nonce is recorded as used in the database (a second
  use is refused), and a session starts.
- The session cookie is random; the database keeps only its SHA-256. HttpOnly,
  SameSite=Strict, Secure when BOT_CONSOLE_URL is https; it ends after IDLE without a
  request, at sign-out, or at the next request once its staff id left BOT_STAFF_IDS.
- Every POST but the sign-in itself carries the session's CSRF token, else 403.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets

from aiohttp import web

from bot.console.base import (
    LANG_COOKIE,
    SESSION,
    SESSION_COOKIE,
    Handler,
    console_of,
    redirect,
    render,
)
from bot.staff.signin import SigninError, verify_token

log = logging.getLogger(__name__)

PUBLIC = ("/signin", "/static/", "/lang/")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def routes(app: web.Application) -> None:
    app.router.add_get("/signin/{token}", signin_page)
    app.router.add_post("/signin", signin)
    app.router.add_post("/signout", signout)
    app.router.add_get("/lang/{code}", set_lang)


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(PUBLIC):
        return await handler(request)
    c = console_of(request)
    cookie = request.cookies.get(SESSION_COOKIE, "")
    session = await c.store.session(_hash(cookie), c.idle) if cookie else None
    if session is not None and session.staff_id not in c.settings.staff_ids:
        log.warning("console: staff id removed from BOT_STAFF_IDS; its session ends")
        await c.store.end_session(_hash(cookie))
        session = None
    if session is None:
        response = render(request, "signin.html", status=401, token=None, error=None)
        if cookie:
            response.del_cookie(SESSION_COOKIE, path="/")
        return response
    request[SESSION] = session
    if request.method == "POST":
        form = await request.post()
        sent = str(form.get("csrf", ""))
        if not sent or not hmac.compare_digest(sent, session.csrf):
            raise web.HTTPForbidden(text="CSRF token missing or wrong")
    return await handler(request)


async def signin_page(request: web.Request) -> web.Response:
    return render(request, "signin.html", token=request.match_info["token"], error=None)


async def signin(request: web.Request) -> web.StreamResponse:
    c = console_of(request)
    token = str((await request.post()).get("token", ""))
    try:
        ticket = verify_token(c.key, token)
    except SigninError as exc:
        log.warning("console: sign-in refused (%s)", exc)
        return render(request, "signin.html", status=403, token=None, error="link_invalid")
    if ticket.staff_id not in c.settings.staff_ids:
        log.warning("console: sign-in refused (not in BOT_STAFF_IDS)")
        return render(request, "signin.html", status=403, token=None, error="link_invalid")
    if not await c.store.use_nonce(ticket.nonce, ticket.staff_id, ticket.expires):
        log.warning("console: sign-in refused (link used before)")
        return render(request, "signin.html", status=403, token=None, error="link_used")
    cookie = secrets.token_urlsafe(32)
    await c.store.create_session(_hash(cookie), ticket.staff_id, secrets.token_urlsafe(32))
    log.info("console: staff %s signed in", ticket.staff_id)
    response = redirect("/")
    response.set_cookie(SESSION_COOKIE, cookie, path="/", httponly=True, samesite="Strict",
                        secure=c.secure)
    return response


async def signout(request: web.Request) -> web.StreamResponse:
    c = console_of(request)
    await c.store.end_session(_hash(request.cookies.get(SESSION_COOKIE, "")))
    response = render(request, "signin.html", token=None, error="signed_out")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


async def set_lang(request: web.Request) -> web.StreamResponse:
    code = request.match_info["code"]
    nxt = request.query.get("next", "/")
    if not nxt.startswith("/") or nxt.startswith("//") or "\\" in nxt:
        nxt = "/"
    response = redirect(nxt)
    if code in console_of(request).locales.languages:
        response.set_cookie(LANG_COOKIE, code, path="/", httponly=True, samesite="Strict",
                            max_age=365 * 86400)
    return response

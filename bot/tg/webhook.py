"""The webhook server: Telegram POSTs each update here; it goes to the bot's update queue.

PTB's own webhook server (tornado) reads a request's whole body before it looks at the
secret token, so anyone who finds the URL can make the bot buffer a 90 MB POST. This one
(aiohttp.web, PTB's documented way of running a custom webhook server: put the update on
`application.update_queue`) decides on the headers first:

- no or wrong `X-Telegram-Bot-Api-Secret-Token` -> 403, body never read;
- `Content-Length` over MAX_BODY -> 413, body never read; a body without a length is read
  only up to MAX_BODY (Telegram's updates are a few kB);
- a body that is not JSON, or JSON that is not an update -> 400;
- otherwise the update is queued and Telegram gets 200 at once.

A refused request's connection is closed rather than drained, so an unread body costs
nothing.
"""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web
from telegram import Update
from telegram.ext import Application

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's updates are small (a message is at most 4096 characters): 1 MB is generous.
MAX_BODY = 1024 * 1024
# Requests in flight when the server stops get this long to finish.
SHUTDOWN_SECONDS = 5.0


def _refuse(status: int) -> web.Response:
    response = web.Response(status=status)
    response.force_close()  # do not read an unread body to keep the connection alive
    return response


class WebhookServer:
    """Receives updates for `app` on http://listen:port/path, checking `secret`."""

    def __init__(self, app: Application, *, listen: str, port: int, path: str, secret: str,
                 max_body: int = MAX_BODY) -> None:
        self.app, self.listen, self.port, self.max_body = app, listen, port, max_body
        self.path = "/" + path.strip("/")
        self._secret = secret.encode()
        self._runner: web.AppRunner | None = None

    @property
    def running(self) -> bool:
        return self._runner is not None

    async def start(self) -> None:
        """Listen (raises OSError when the address is taken)."""
        web_app = web.Application(client_max_size=self.max_body + 1)
        web_app.router.add_post(self.path, self.receive)
        # No access log (it is noise; nothing in it helps), and no lingering: a refused
        # request's unread body is never read just to keep the connection open.
        runner = web.AppRunner(web_app, access_log=None, lingering_time=0,
                               shutdown_timeout=SHUTDOWN_SECONDS)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.listen, self.port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        log.info("webhook server listening on %s:%s%s", self.listen, self.port, self.path)

    async def stop(self) -> None:
        """Stop listening; requests in flight finish first (idempotent)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def receive(self, request: web.Request) -> web.Response:
        """One POST from Telegram: check it, queue the update, answer 200."""
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, self._secret):  # constant time: no guessing by timing
            log.warning("webhook: refused a request without the right secret token")
            return _refuse(403)
        size = request.content_length
        if size is not None and size > self.max_body:
            log.warning("webhook: refused a %d-byte body", size)
            return _refuse(413)
        try:
            body = await request.read()  # stops at client_max_size when there is no length
        except web.HTTPRequestEntityTooLarge:
            log.warning("webhook: refused a body over %d bytes", self.max_body)
            return _refuse(413)
        try:
            update = Update.de_json(json.loads(body), self.app.bot)
        except Exception as exc:  # any malformed JSON or structure is the sender's fault
            log.warning("webhook: refused a body that is not an update (%s)", type(exc).__name__)
            return web.Response(status=400)
        await self.app.update_queue.put(update)
        return web.Response(status=200)

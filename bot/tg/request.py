"""A PTB request backend on aiohttp: the HTTP client the bot talks to the Bot API with.

PTB's default backend (httpx) costs about 2 ms of CPU per Bot API call here (its pool
bookkeeping scans every connection on each request); aiohttp's C-accelerated client does
the same call for a fraction of that, which is what lets one core answer hundreds of
messages a second. Behaviour follows PTB's HTTPXRequest: the same four timeouts,
timeouts become `TimedOut`, other transport errors `NetworkError`; status codes are
interpreted by PTB itself. Only PTB's public API is used (`BaseRequest`, `RequestData`).

Proxies: `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` from the environment are honoured
(`trust_env`), and an explicit `proxy` (BOT_PROXY_URL) wins over them; many deployments in
mainland China reach Telegram only through one. aiohttp speaks HTTP proxies (also for
https:// targets, by CONNECT); a SOCKS proxy needs a local HTTP front.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """One aiohttp session with a bounded pool of keep-alive connections."""

    __slots__ = ("_connect", "_media_write", "_pool", "_proxy", "_read", "_session", "_size",
                 "_write")

    def __init__(
        self,
        connection_pool_size: int = 16,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 10.0,
        media_write_timeout: float | None = 20.0,
        proxy: str | None = None,
    ) -> None:
        self._size = connection_pool_size
        self._read, self._write, self._connect = read_timeout, write_timeout, connect_timeout
        self._pool, self._media_write = pool_timeout, media_write_timeout
        self._proxy = proxy
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        """Open the session (idempotent)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._size),
                headers={"User-Agent": self.USER_AGENT},
                trust_env=True,  # HTTPS_PROXY & co.; an explicit proxy is passed per request
            )

    async def shutdown(self) -> None:
        """Close the session and its connections (idempotent)."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _timeout(self, read: object, write: object, connect: object, pool: object,
                 files: bool) -> aiohttp.ClientTimeout:
        """PTB's four timeouts as aiohttp's. `connect` covers waiting for a pooled connection
        plus connecting, `sock_read` each read of the reply. aiohttp has no write timeout of
        its own, so sending is bounded through `total`: waiting + connecting + writing +
        reading, when all four are finite (a stalled upload cannot hang a handler)."""
        pool_s, connect_s = _pick(pool, self._pool), _pick(connect, self._connect)
        read_s = _pick(read, self._read)
        write_s = _pick(write, self._media_write if files else self._write)
        parts = (pool_s, connect_s, write_s, read_s)
        return aiohttp.ClientTimeout(
            total=None if None in parts else sum(p for p in parts if p is not None),
            connect=None if pool_s is None or connect_s is None else pool_s + connect_s,
            sock_connect=connect_s,
            sock_read=read_s,
        )

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See `BaseRequest.do_request`."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        data: Any = None
        files = bool(request_data and request_data.contains_files)
        if request_data is not None:
            data = _form(request_data) if files else request_data.json_parameters
        timeout = self._timeout(read_timeout, write_timeout, connect_timeout, pool_timeout, files)
        try:
            async with self._session.request(method, url, data=data, timeout=timeout,
                                             proxy=self._proxy) as resp:
                return resp.status, await resp.read()
        except TimeoutError as err:  # aiohttp's timeouts are TimeoutErrors
            raise TimedOut from err
        except aiohttp.ClientError as err:
            # The class name helps when the message is empty; never the URL (it has the token).
            raise NetworkError(f"aiohttp.{type(err).__name__}") from err


def _pick(value: object, default: float | None) -> float | None:
    """A timeout PTB passed, or ours when it passed its "not given" marker."""
    if value is BaseRequest.DEFAULT_NONE:
        return default
    if value is not None and not isinstance(value, int | float):
        raise TypeError(f"a timeout must be a number or None, not {type(value).__name__}")
    return None if value is None else float(value)


def _form(request_data: RequestData) -> aiohttp.FormData:
    """Multipart form for a request that uploads files (the bot itself never does)."""
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form

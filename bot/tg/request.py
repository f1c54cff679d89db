"""A PTB request backend on aiohttp: the HTTP client the bot talks to the Bot API with.

PTB's default backend (httpx) costs about 2 ms of CPU per Bot API call here (its pool
bookkeeping scans every connection on each request); aiohttp's C-accelerated client does
the same call for a fraction of that, which is what lets one core answer hundreds of
messages a second. Behaviour follows PTB's HTTPXRequest: same timeouts semantics,
timeouts become `TimedOut`, other transport errors `NetworkError`; status codes are
interpreted by PTB itself.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """One aiohttp session with a bounded pool of keep-alive connections."""

    __slots__ = ("_connect", "_pool", "_read", "_session", "_size")

    def __init__(
        self,
        connection_pool_size: int = 16,
        read_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 10.0,
    ) -> None:
        self._size = connection_pool_size
        self._read, self._connect, self._pool = read_timeout, connect_timeout, pool_timeout
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
            )

    async def shutdown(self) -> None:
        """Close the session and its connections (idempotent)."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _timeout(self, read: ODVInput[float], connect: ODVInput[float],
                 pool: ODVInput[float]) -> aiohttp.ClientTimeout:
        """PTB's timeouts as aiohttp's. aiohttp has no write timeout; `connect` covers
        waiting for a pooled connection plus connecting, `sock_read` the reply."""

        def pick(value: ODVInput[float], default: float | None) -> float | None:
            return default if isinstance(value, DefaultValue) else value

        pool_s, connect_s = pick(pool, self._pool), pick(connect, self._connect)
        return aiohttp.ClientTimeout(
            total=None,
            connect=None if pool_s is None or connect_s is None else pool_s + connect_s,
            sock_connect=connect_s,
            sock_read=pick(read, self._read),
        )

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See `BaseRequest.do_request`."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        data: Any = None
        files = bool(request_data and request_data.contains_files)
        if request_data is not None:
            data = _form(request_data) if files else request_data.json_parameters
        timeout = self._timeout(read_timeout, connect_timeout, pool_timeout)
        try:
            async with self._session.request(method, url, data=data, timeout=timeout) as resp:
                return resp.status, await resp.read()
        except TimeoutError as err:  # aiohttp's timeouts are TimeoutErrors
            raise TimedOut from err
        except aiohttp.ClientError as err:
            # The class name helps when the message is empty; never the URL (it has the token).
            raise NetworkError(f"aiohttp.{type(err).__name__}") from err


def _form(request_data: RequestData) -> aiohttp.FormData:
    """Multipart form for a request that uploads files (the bot itself never does)."""
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.console.app import Console, create_app, open_console
from tests.console.helpers import seed, settings_for
from tests.helpers import TODAY


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[Console]:
    settings = settings_for(tmp_path)
    await seed(settings)
    c = await open_console(settings, today=TODAY)
    yield c
    await c.store.close()


@pytest.fixture
async def server(console: Console) -> AsyncIterator[TestServer]:
    srv = TestServer(create_app(console), host="127.0.0.1")
    await srv.start_server()
    yield srv
    await srv.close()


@pytest.fixture
async def client(server: TestServer) -> AsyncIterator[TestClient]:
    c = TestClient(server)
    await c.start_server()
    yield c
    await c.close()


@pytest.fixture
async def client2(server: TestServer) -> AsyncIterator[TestClient]:
    c = TestClient(server)
    await c.start_server()
    yield c
    await c.close()

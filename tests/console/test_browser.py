"""The console in a real browser: Debian's headless Chromium driven by Selenium.

Signs in through a one-time link, reads the overview of a seeded log, adds phrasings
through the UI (then checks the YAML on disk and that the engine routes the question),
dismisses a group, searches, downloads the CSV and signs out. With
CONSOLE_SCREENSHOTS=docs it also saves a screenshot of every page into docs/ (that is
how docs/console-*.png are made).
"""

from __future__ import annotations

import asyncio
import csv
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bot.console.app import Console, create_app, open_console
from bot.core.engine import Engine
from bot.store.reports import EXPORT_COLUMNS
from tests.console.helpers import TOTAL, seed, settings_for, token_for
from tests.helpers import ROOT, TODAY

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
                       reason="chromium and chromedriver are not installed (Debian: apt-get "
                              "install chromium chromium-driver fonts-noto-cjk)"),
]
webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


class Served:
    """The console on 127.0.0.1 in a thread of its own (Selenium blocks the test's thread)."""

    def __init__(self, settings: object) -> None:
        self.settings = settings
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.console: Console | None = None
        self.url = ""

    def _run(self) -> None:
        from aiohttp import web

        async def main() -> None:
            self.console = await open_console(self.settings, today=TODAY)  # type: ignore[arg-type]
            self.runner = web.AppRunner(create_app(self.console))
            await self.runner.setup()
            site = web.TCPSite(self.runner, "127.0.0.1", 0)
            await site.start()
            self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}"
            self.ready.set()

        self.loop.run_until_complete(main())
        self.loop.run_forever()

    def __enter__(self) -> Served:
        self.thread.start()
        assert self.ready.wait(30), "the console did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            await self.runner.cleanup()
            assert self.console is not None
            await self.console.store.close()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,900", "--lang=zh-CN"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=webdriver.ChromeService(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                           {"behavior": "allow", "downloadPath": str(tmp_path / "downloads")})
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def _shot(driver: object, name: str, tmp: Path) -> None:
    where = os.environ.get("CONSOLE_SCREENSHOTS")
    folder = ROOT / where if where else tmp
    height = driver.execute_script("return document.documentElement.scrollHeight")  # type: ignore[attr-defined]
    driver.set_window_size(1280, min(max(int(height), 700), 2600))  # type: ignore[attr-defined]
    driver.save_screenshot(str(folder / f"console-{name}.png"))  # type: ignore[attr-defined]
    driver.set_window_size(1280, 900)  # type: ignore[attr-defined]


def _go(driver: object, element: object) -> None:
    """Click what loads a new page, and wait until it has: reading right after a click
    could otherwise still see the old page (a flaky count of rows). The old page is
    marked, and the new one is the loaded page without the mark. While the page is
    being swapped chromedriver may answer any command with an error (an inspector
    error, not only a stale element): that is the swap in progress, so wait on."""
    driver.execute_script("document.documentElement.dataset.old = '1'")  # type: ignore[attr-defined]
    element.click()  # type: ignore[attr-defined]
    WebDriverWait(driver, 10, ignored_exceptions=(WebDriverException,)).until(  # type: ignore[arg-type]
        lambda d: d.execute_script(
            "return document.readyState === 'complete'"
            " && document.documentElement.dataset.old === undefined"
        )
    )


def _text(driver: object, css: str) -> str:
    return str(driver.find_element(By.CSS_SELECTOR, css).text)  # type: ignore[attr-defined]


def test_the_staff_loop_in_a_browser(browser: object, tmp_path: Path) -> None:
    d = browser
    settings = settings_for(tmp_path)
    counts = asyncio.run(seed(settings))
    with Served(settings) as served:
        assert served.console is not None
        # Sign in through a one-time link.
        d.get(f"{served.url}/signin/{token_for(served.console)}")  # type: ignore[attr-defined]
        _go(d, d.find_element(By.ID, "signin-button"))
        assert d.execute_script("return document.characterSet") == "UTF-8"  # type: ignore[attr-defined]

        # The overview's numbers are the seeded log's.
        assert _text(d, "#total") == str(TOTAL)
        answered = counts["answer"]
        assert _text(d, "#answered-pct") == f"{round(100 * answered / TOTAL, 1)}%"
        assert _text(d, "#not-answered") == str(counts["fallback"])
        assert _text(d, "#votes") == f"{counts['helpful']} / {counts['unhelpful']}"
        cells = d.find_elements(By.CSS_SELECTOR, "#per-day tbody tr")  # type: ignore[attr-defined]
        assert sum(int(r.find_elements(By.TAG_NAME, "td")[1].text) for r in cells) == answered
        assert d.find_elements(By.CSS_SELECTOR, "svg title")  # type: ignore[attr-defined]
        _shot(d, "overview", tmp_path)

        # Add the no-card questions as a phrasing of ps-no-card-settlement, through the UI.
        _go(d, d.find_element(By.ID, "nav-unanswered"))
        _shot(d, "unanswered", tmp_path)
        group = next(g for g in d.find_elements(By.CSS_SELECTOR, "article.group")  # type: ignore[attr-defined]
                     if "看病不带卡" in g.text)
        group.find_element(By.NAME, "entry_other").send_keys("ps-no-card-settlement")
        _go(d, group.find_element(By.CSS_SELECTOR, "button.preview"))
        assert "看病不带卡行不行" in _text(d, "#diff")
        assert d.find_element(By.ID, "valid")  # type: ignore[attr-defined]
        _shot(d, "preview", tmp_path)
        _go(d, d.find_element(By.ID, "apply"))
        assert "ps-no-card-settlement" in _text(d, "#applied")
        faq = yaml.safe_load((settings.faq_dir / "payment_services.yaml").read_text("utf-8"))
        [entry] = [e for e in faq["entries"] if e["id"] == "ps-no-card-settlement"]
        assert "看病不带卡行不行" in entry["questions"]["zh"]
        result = Engine.from_dir(settings.faq_dir, today=TODAY).ask("看病不带卡行不行")
        assert (result.status, result.entry_id) == ("answer", "ps-no-card-settlement")

        # Dismiss the pets group: it moves to the dismissed list, with who.
        group = next(g for g in d.find_elements(By.CSS_SELECTOR, "article.group")  # type: ignore[attr-defined]
                     if "宠物看病" in g.text)
        _go(d, group.find_element(By.CSS_SELECTOR, "button.dismiss-button"))
        assert "宠物看病" in _text(d, "#dismissed")
        assert all("宠物看病" not in g.text for g in d.find_elements(  # type: ignore[attr-defined]
            By.CSS_SELECTOR, "article.group"))

        # Search, then download the CSV of that search (filtered on the status the engine
        # gave the no-card questions, whichever it is: not answered either way).
        engine = Engine.from_dir(ROOT / "faq", today=TODAY)
        status_of = {q: engine.ask(q).status for q in ("看病不带卡行不行", "看病没带卡行不行")}
        unanswered = status_of["看病不带卡行不行"]
        assert unanswered != "answer" and status_of["看病没带卡行不行"] != "answer"
        # Seeded 4 and 2 times (helpers.SEED).
        expected = 4 + (2 if status_of["看病没带卡行不行"] == unanswered else 0)
        _go(d, d.find_element(By.ID, "nav-questions"))
        d.find_element(By.ID, "q").send_keys("带卡行不行")  # type: ignore[attr-defined]
        Select(d.find_element(By.ID, "status")).select_by_value(unanswered)  # type: ignore[attr-defined]
        _go(d, d.find_element(By.ID, "search"))
        rows = d.find_elements(By.CSS_SELECTOR, "#results tbody tr")  # type: ignore[attr-defined]
        assert len(rows) == expected and all("带卡行不行" in r.text for r in rows)
        _shot(d, "questions", tmp_path)
        d.find_element(By.ID, "csv").click()  # type: ignore[attr-defined]
        path = tmp_path / "downloads" / "questions.csv"
        for _ in range(100):
            if path.exists():
                break
            time.sleep(0.1)
        raw = path.read_text(encoding="utf-8")
        assert raw.startswith("\ufeff")
        table = list(csv.reader(raw[1:].splitlines()))
        assert tuple(table[0]) == EXPORT_COLUMNS and len(table) == expected + 1
        assert {r[EXPORT_COLUMNS.index("status")] for r in table[1:]} == {unanswered}

        # The other pages.
        _go(d, d.find_element(By.ID, "nav-feedback"))
        _shot(d, "feedback", tmp_path)
        d.get(f"{served.url}/entry/ps-no-card-settlement")  # type: ignore[attr-defined]
        assert "看病不带卡行不行" in _text(d, "#phrasings-zh")
        _shot(d, "entry", tmp_path)
        _go(d, d.find_element(By.ID, "nav-health"))
        assert "ps-no-card-settlement" in _text(d, "#changes")
        _shot(d, "health", tmp_path)

        # Sign out: the sign-in page, and the pages are closed.
        _go(d, d.find_element(By.ID, "signout"))
        assert d.find_element(By.ID, "signin-error")  # type: ignore[attr-defined]
        d.get(served.url + "/")  # type: ignore[attr-defined]
        assert d.find_element(By.ID, "signin-help")  # type: ignore[attr-defined]

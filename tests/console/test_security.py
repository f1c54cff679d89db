"""The console's security: sign-in, sessions, CSRF, escaping, paths, concurrent edits.
Driven over HTTP on 127.0.0.1 with aiohttp's test client."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import re
from pathlib import Path

import yaml
from aiohttp.test_utils import TestClient

from bot.console.app import Console
from bot.console.base import SESSION_COOKIE
from tests.console.helpers import OTHER_STAFF, STAFF, XSS, csrf_of, sign_in, token_for

PAGES = ["/", "/?days=7", "/?days=90", "/unanswered", "/feedback", "/questions",
         "/questions?q=script", "/entry/xp-inpatient", "/health"]


async def test_no_session_gets_the_sign_in_page(client: TestClient) -> None:
    for path in [*PAGES, "/questions.csv"]:
        r = await client.get(path, allow_redirects=False)
        assert r.status == 401, path
        html = await r.text()
        assert 'id="signin-help"' in html and "/console" in html
        assert "csrf" not in html


async def test_a_link_signs_in_once(client: TestClient, client2: TestClient,
                                    console: Console) -> None:
    token = token_for(console)
    # Opening the link (as a link preview would) uses nothing.
    r = await client.get(f"/signin/{token}")
    assert r.status == 200 and 'id="signin-button"' in await r.text()
    r = await client.post("/signin", data={"token": token}, allow_redirects=False)
    assert r.status == 303
    set_cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie
    assert "Secure" not in set_cookie  # http base URL here; https below
    assert (await client.get("/")).status == 200
    # The same link a second time, from another browser: refused.
    r = await client2.post("/signin", data={"token": token}, allow_redirects=False)
    assert r.status == 403 and 'id="signin-error"' in await r.text()
    assert (await client2.get("/", allow_redirects=False)).status == 401


async def test_forged_and_expired_links_are_refused(client: TestClient,
                                                    console: Console) -> None:
    good = token_for(console)
    staff, exp, nonce, sig = good.split(".")
    forged = [
        f"{OTHER_STAFF}.{exp}.{nonce}.{sig}",  # someone else's id
        f"{staff}.{int(exp) + 3600}.{nonce}.{sig}",  # longer life
        f"{staff}.{exp}.{nonce}.{'A' * 43}",  # made-up signature
        "garbage", "",
        token_for(dataclasses.replace(console, key=b"another key of 32 bytes........."))]
    old = token_for(console, now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=11))
    for token in [*forged, old]:
        r = await client.post("/signin", data={"token": token}, allow_redirects=False)
        assert r.status == 403, token
        assert SESSION_COOKIE not in r.cookies
    # A genuine link for an id not in BOT_STAFF_IDS.
    r = await client.post("/signin", data={"token": token_for(console, 999)})
    assert r.status == 403


async def test_secure_cookie_behind_https(client: TestClient, console: Console) -> None:
    console.settings = dataclasses.replace(console.settings,
                                           console_url="https://console.example.org")
    r = await client.post("/signin", data={"token": token_for(console)},
                          allow_redirects=False)
    assert "Secure" in r.headers["Set-Cookie"]


async def test_sign_out_ends_the_session(client: TestClient, console: Console) -> None:
    await sign_in(client, console)
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/"))[SESSION_COOKIE]
    csrf = csrf_of(await (await client.get("/")).text())
    r = await client.post("/signout", data={"csrf": csrf})
    assert r.status == 200
    assert (await client.get("/", allow_redirects=False)).status == 401
    # The old cookie, replayed, is dead server-side.
    client.session.cookie_jar.update_cookies({SESSION_COOKIE: cookie.value})
    assert (await client.get("/", allow_redirects=False)).status == 401


async def test_removed_staff_lose_access_at_the_next_request(client: TestClient,
                                                             console: Console) -> None:
    await sign_in(client, console)
    assert (await client.get("/")).status == 200
    console.settings = dataclasses.replace(console.settings, staff_ids=frozenset({OTHER_STAFF}))
    assert (await client.get("/", allow_redirects=False)).status == 401


async def test_idle_sessions_expire(client: TestClient, console: Console) -> None:
    await sign_in(client, console)
    console.idle = dt.timedelta(0)
    await asyncio.sleep(0.01)
    assert (await client.get("/", allow_redirects=False)).status == 401


async def test_every_form_needs_the_csrf_token(client: TestClient, console: Console) -> None:
    await sign_in(client, console)
    html = await (await client.get("/unanswered")).text()
    forms = re.findall(r'<form method="post".*?</form>', html, re.S)
    assert forms and all('name="csrf"' in f for f in forms)
    key = re.search(r'name="group" value="([0-9a-f]+)"', html)
    assert key
    for data in ({"group": key[1]}, {"group": key[1], "csrf": "wrong"}):
        for path in ("/unanswered/dismiss", "/unanswered/preview", "/unanswered/apply",
                     "/signout"):
            r = await client.post(path, data=data, allow_redirects=False)
            assert r.status == 403, (path, data)
    assert await console.store.dismissed() == {}
    assert (await client.get("/")).status == 200  # still signed in


async def test_a_logged_script_is_text_on_every_page(client: TestClient,
                                                     console: Console) -> None:
    await sign_in(client, console)
    for path in [*PAGES, "/questions?q=%3Cscript"]:
        html = await (await client.get(path)).text()
        assert "<script" not in html.lower(), path
    html = await (await client.get("/questions?q=%3Cscript")).text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    html = await (await client.get("/unanswered")).text()
    assert "&lt;script&gt;" in html
    assert XSS not in html
    r = await client.get("/")
    assert "script-src" not in r.headers["Content-Security-Policy"]  # no script allowed at all
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"


async def test_unknown_entries_and_paths_are_404(client: TestClient, console: Console) -> None:
    await sign_in(client, console)
    for path in ("/entry/no-such-entry", "/entry/..%2F..%2Fetc%2Fpasswd", "/entry/%2E%2E%2Fsecret",
                 "/entry/../../etc/passwd", "/static/../settings.py", "/nope"):
        r = await client.get(path, allow_redirects=False)
        assert r.status == 404, path
        assert "root:" not in await r.text()


async def test_masked_phrasings_are_never_offered_nor_written(client: TestClient,
                                                              console: Console) -> None:
    await sign_in(client, console)
    html = await (await client.get("/unanswered")).text()
    assert "[PHONE]" in html  # shown as an example…
    assert 'value="我的电话[PHONE]怎么报销"' not in html  # …never as a phrasing to add
    group = _group_of(html, "[PHONE]")
    r = await client.post("/unanswered/preview", data={
        "csrf": csrf_of(html), "group": group, "entry": "xp-inpatient",
        "phrasing": "我的电话[PHONE]怎么报销"})
    assert 'id="nothing-new"' in await r.text()


def _group_of(html: str, example: str) -> str:
    for m in re.finditer(r'<article class="group" id="group-([0-9a-f]+)">(.*?)</article>',
                         html, re.S):
        if example in m[2]:
            return m[1]
    raise AssertionError(f"no group with {example}")


async def _preview(client: TestClient, html: str, group: str, entry: str,
                   phrasing: str) -> str:
    r = await client.post("/unanswered/preview", data={
        "csrf": csrf_of(html), "group": group, "entry": entry, "phrasing": phrasing})
    assert r.status == 200
    return await r.text()


async def _apply(client: TestClient, preview: str) -> tuple[int, str]:
    form = re.search(r'<form method="post" action="/unanswered/apply">(.*?)</form>', preview,
                     re.S)
    assert form, preview
    data = list(re.findall(r'name="([a-z]+)" value="([^"]*)"', form[1]))
    r = await client.post("/unanswered/apply", data=data, allow_redirects=False)
    return r.status, await r.text()


async def test_two_staff_editing_at_once_lose_nothing(client: TestClient, client2: TestClient,
                                                      console: Console) -> None:
    await sign_in(client, console, STAFF)
    await sign_in(client2, console, OTHER_STAFF)
    html1 = await (await client.get("/unanswered")).text()
    html2 = await (await client2.get("/unanswered")).text()
    no_card = _group_of(html1, "看病不带卡")
    pets = _group_of(html2, "宠物看病")
    # Both preview an edit of the same file (cross_province.yaml) before either applies.
    p1 = await _preview(client, html1, no_card, "xp-card-needed", "看病不带卡行不行")
    p2 = await _preview(client2, html2, pets, "xp-outpatient", "宠物看病能报销吗")
    assert 'id="valid"' in p1 and 'id="valid"' in p2
    assert "+        - 看病不带卡行不行" in p1.replace("&#43;", "+")
    status, _ = await _apply(client, p1)
    assert status == 303
    status, body = await _apply(client2, p2)
    assert status == 409 and 'id="conflict"' in body
    # The second previews again on top of the first edit, and applies.
    form = re.search(r'action="/unanswered/preview">(.*?)</form>', body, re.S)
    assert form
    r = await client2.post("/unanswered/preview",
                           data=list(re.findall(r'name="([a-z]+)" value="([^"]*)"', form[1])))
    status, _ = await _apply(client2, await r.text())
    assert status == 303
    faq = yaml.safe_load(Path(console.holder.faq_dir, "cross_province.yaml").read_text("utf-8"))
    questions = {e["id"]: e["questions"]["zh"] for e in faq["entries"]}
    assert "看病不带卡行不行" in questions["xp-card-needed"]
    assert "宠物看病能报销吗" in questions["xp-outpatient"]
    changes = await console.store.faq_changes()
    assert [(who, entry) for _, who, entry, _, _ in changes] == [
        (OTHER_STAFF, "xp-outpatient"), (STAFF, "xp-card-needed")]
    health = await (await client.get("/health")).text()
    assert "xp-outpatient" in health and "宠物看病能报销吗" in health

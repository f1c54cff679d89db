"""Unanswered: the groups of `review unanswered`, and the two things staff do with one.

"Add as phrasings of entry X": preview (the YAML diff, the whole FAQ validated like
`check-faq`, near-duplicate warnings) -> apply (written atomically by bot.core.faq_edit,
comments kept; the running bot's poller sees the file change and reloads; recorded in the
FAQ change log). Only phrasings `clusters.phrasings` offers are accepted, so nothing with a
masked number is ever written. The preview carries the file's SHA-256: when another edit
landed in between, apply refuses with a conflict (409) and the staff member previews again
on top of it — neither edit is lost.

"Dismiss": the group is hidden from the list, with who and when recorded.
"""

from __future__ import annotations

import asyncio
import difflib
import hashlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from bot.console.base import NAV, SESSION, Console, console_of, lang_of, redirect, render
from bot.console.common import Chosen, chosen_period
from bot.core import check, faq_edit
from bot.core.kb import FaqError, KnowledgeBase, Problem, load_kb
from bot.staff import clusters
from bot.store.privacy import MASKS

LIMIT = 30
NEAREST = 3


def routes(app: web.Application) -> None:
    app.router.add_get("/unanswered", page)
    app.router.add_post("/unanswered/preview", preview)
    app.router.add_post("/unanswered/apply", apply)
    app.router.add_post("/unanswered/dismiss", dismiss)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def report_of(c: Console, chosen: Chosen) -> clusters.UnansweredReport:
    """The unanswered groups of the period (cached briefly, see Console.cached)."""
    loaded = c.holder.current
    key = ("unanswered", chosen.period.bounds(), loaded.version)
    report: clusters.UnansweredReport = await c.cached(key, lambda: clusters.unanswered(
        c.store, chosen.period, limit=0, normalizer=loaded.engine.normalizer))
    return report


async def _report(request: web.Request, chosen: Chosen) -> clusters.UnansweredReport:
    return await report_of(console_of(request), chosen)


def _nearest(request: web.Request, group: clusters.Group) -> list[str]:
    """The entries the engine offered for the group, then its best-ranked ones."""
    engine = console_of(request).holder.current.engine
    out = [e for e in group.offered if e in engine.kb.by_id]
    for s in engine.rank(group.examples[0])[2][:NEAREST + 2]:
        if s.entry_id not in out:
            out.append(s.entry_id)
    return out[:NEAREST + 1]


async def page(request: web.Request) -> web.Response:
    c = console_of(request)
    request[NAV] = "unanswered"
    lang = lang_of(request)
    chosen = chosen_period(request.query)
    report = await _report(request, chosen)
    dismissed = await c.store.dismissed()
    groups = [g for g in report.groups if g.key not in dismissed][:LIMIT]
    kb = c.holder.current.engine.kb
    rows = [(g, _nearest(request, g), clusters.phrasings(g, normalizer=c.holder.current.engine
                                                          .normalizer)) for g in groups]
    return render(request, "unanswered.html", chosen=chosen, report=report, rows=rows,
                  dismissed=list(dismissed.items())[:50], kb=kb, lang_=lang,
                  applied=request.query.get("applied", ""), count=request.query.get("n", ""))


@dataclass(frozen=True)
class Plan:
    group: clusters.Group
    entry_id: str
    path: Path
    digest: str
    phrasings: dict[str, list[str]]
    diff: str
    problems: tuple[Problem, ...]
    warnings: tuple[check.Overlap, ...]


async def _plan(request: web.Request) -> tuple[Chosen, Plan]:
    """Re-find the group, keep only the phrasings it offers, diff and validate the edit."""
    c = console_of(request)
    form = await request.post()
    chosen = chosen_period(form)  # type: ignore[arg-type]
    report = await _report(request, chosen)
    group = clusters.find_group(report, str(form.get("group", "")))
    entry_id = str(form.get("entry_other", "") or form.get("entry", "")).strip()
    kb = c.holder.current.engine.kb
    if group is None or entry_id not in kb.by_id:
        raise web.HTTPNotFound()
    norm = c.holder.current.engine.normalizer
    existing = [q for qs in kb.entry(entry_id).questions.values() for q in qs]
    offered = clusters.phrasings(group, limit=50, existing=existing, normalizer=norm)
    wanted = {str(p) for p in form.getall("phrasing", [])}
    adds = {lang: [p for p in ps if p in wanted and not any(m in p for m in MASKS)]
            for lang, ps in offered.items()}
    adds = {k: v for k, v in adds.items() if v}
    faq_dir = c.holder.faq_dir
    try:
        path = faq_edit.find_entry_file(faq_dir, entry_id)
    except faq_edit.EditError as exc:
        raise web.HTTPNotFound() from exc
    digest = _digest(path)
    old, new, added = faq_edit.plan(path, entry_id, adds, norm)
    diff = "".join(difflib.unified_diff(
        old.splitlines(True), new.splitlines(True), f"a/{path.name}", f"b/{path.name}"))
    problems, warnings = await asyncio.to_thread(_validate, faq_dir, path.name, new, added)
    return chosen, Plan(group, entry_id, path, digest, {k: list(v) for k, v in added.items()},
                        diff, problems, warnings)


def _validate(faq_dir: Path, name: str, text: str, added: dict[str, tuple[str, ...]]
              ) -> tuple[tuple[Problem, ...], tuple[check.Overlap, ...]]:
    """check-faq on a copy of the FAQ with the edit: problems, and near-duplicate pairs
    that involve a new phrasing."""
    with tempfile.TemporaryDirectory(prefix="console-check-") as tmp:
        copy = Path(tmp) / "faq"
        shutil.copytree(faq_dir, copy)
        (copy / name).write_text(text, encoding="utf-8")
        try:
            kb: KnowledgeBase = load_kb(copy)
        except FaqError as exc:
            return exc.problems, ()
    new = {p for ps in added.values() for p in ps}
    return (), tuple(o for o in check.overlaps(kb) if o.phrasing_a in new or o.phrasing_b in new)


async def preview(request: web.Request) -> web.Response:
    request[NAV] = "unanswered"
    try:
        chosen, plan = await _plan(request)
    except faq_edit.EditError as exc:
        return render(request, "edit_result.html", status=400, ok=False, error=str(exc),
                      problems=exc.problems, conflict=False, plan=None, chosen=None)
    return render(request, "preview.html", chosen=chosen, plan=plan)


async def apply(request: web.Request) -> web.Response:
    c = console_of(request)
    request[NAV] = "unanswered"
    session = request[SESSION]
    form = await request.post()
    try:
        chosen, plan = await _plan(request)
    except faq_edit.EditError as exc:
        return render(request, "edit_result.html", status=400, ok=False, error=str(exc),
                      problems=exc.problems, conflict=False, plan=None, chosen=None)
    async with c.edit_lock:
        if str(form.get("digest", "")) != _digest(plan.path):
            return render(request, "edit_result.html", status=409, ok=False, error="",
                          problems=(), conflict=True, plan=plan, chosen=chosen)
        if plan.problems or not plan.phrasings:
            return render(request, "edit_result.html", status=400, ok=False, error="",
                          problems=plan.problems, conflict=False, plan=plan, chosen=chosen)
        try:
            result = await asyncio.to_thread(faq_edit.apply, c.holder.faq_dir, plan.entry_id,
                                             plan.phrasings,
                                             normalize=c.holder.current.engine.normalizer)
        except faq_edit.EditError as exc:
            conflict = "changed while editing" in str(exc)
            return render(request, "edit_result.html", status=409 if conflict else 400,
                          ok=False, error=str(exc), problems=exc.problems, conflict=conflict,
                          plan=plan, chosen=chosen)
        n = sum(len(v) for v in result.added.values())
        if n:
            await c.store.record_faq_change(session.staff_id, plan.entry_id, result.file.name,
                                            result.diff)
        # The console's own copy; the bot's poller sees the file change by itself.
        await asyncio.to_thread(c.holder.reload)
    query = "&".join(f"{k}={v}" for k, v in chosen.params.items())
    return redirect(f"/unanswered?applied={plan.entry_id}&n={n}&{query}")


async def dismiss(request: web.Request) -> web.Response:
    c = console_of(request)
    form = await request.post()
    chosen = chosen_period(form)  # type: ignore[arg-type]
    group = clusters.find_group(await _report(request, chosen), str(form.get("group", "")))
    if group is None:
        raise web.HTTPNotFound()
    await c.store.dismiss(group.key, group.examples[0], request[SESSION].staff_id)
    query = "&".join(f"{k}={v}" for k, v in chosen.params.items())
    return redirect(f"/unanswered?{query}")

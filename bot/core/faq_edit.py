"""Add phrasings to an FAQ entry in place (`review suggest --apply`), keeping the file's
comments and layout.

The edit is made with ruamel.yaml's round-trip loader, checked to have only *added* lines,
validated by loading the whole FAQ from a copy in a temporary directory, and only then
written over the real file atomically (temp file + fsync + rename). Any failure leaves the
real file untouched.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from bot.core.kb import SPECIAL_FILES, FaqError, KnowledgeBase, load_kb
from bot.core.languages import LANGUAGES


class EditError(Exception):
    """The edit was refused; the message says why (and `problems` lists FAQ errors)."""

    def __init__(self, message: str, problems: Sequence[object] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


@dataclass(frozen=True)
class EditResult:
    file: Path
    entry_id: str
    added: Mapping[str, tuple[str, ...]]  # lang -> phrasings added
    diff: str


def _yaml() -> YAML:
    y = YAML()  # round-trip: comments, key order, quoting and folded scalars survive
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap long lines
    # The FAQ's layout: mappings by 2, list items "- " indented 2 inside their key.
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def _dump(data: Any) -> str:
    buf = io.StringIO()
    _yaml().dump(data, buf)
    return buf.getvalue()


def find_entry_file(faq_dir: str | Path, entry_id: str) -> Path:
    """The topic file that defines `entry_id` (read with ruamel, so an invalid FAQ elsewhere
    does not stop the search)."""
    for path in sorted(Path(faq_dir).glob("*.yaml")):
        if path.name in SPECIAL_FILES:
            continue
        try:
            data = _yaml().load(path.read_text(encoding="utf-8"))
        except Exception:  # a broken file is reported by validation, not here
            continue
        if _entry(data, entry_id) is not None:
            return path
    raise EditError(f"no entry '{entry_id}' in any topic file of {faq_dir}")


def _entry(data: Any, entry_id: str) -> CommentedMap | None:
    entries = data.get("entries") if isinstance(data, CommentedMap) else None
    if not isinstance(entries, CommentedSeq):
        return None
    for e in entries:
        if isinstance(e, CommentedMap) and str(e.get("id")) == entry_id:
            return e
    return None


def snippet(entry_id: str, phrasings: Mapping[str, Sequence[str]], file: str | None = None) -> str:
    """The YAML a staff member would paste: the entry id and the phrasings to add."""
    questions = CommentedMap()
    for lang in LANGUAGES:
        if phrasings.get(lang):
            seq = CommentedSeq(list(phrasings[lang]))
            questions[lang] = seq
    item = CommentedMap([("id", entry_id), ("questions", questions)])
    body = _dump(CommentedSeq([item]))
    where = f"# add to {file}, entry {entry_id}: append under its questions\n" if file else ""
    return where + body


Added = dict[str, tuple[str, ...]]


def plan(path: Path, entry_id: str, phrasings: Mapping[str, Sequence[str]],
         normalize: Callable[[str], str] | None = None) -> tuple[str, str, Added]:
    """(old text, new text, added phrasings) for adding `phrasings` to `entry_id` in `path`.

    Phrasings the entry already has (compared after `normalize`) are left out.
    """
    norm = normalize or (lambda s: " ".join(s.split()).lower())
    old = path.read_text(encoding="utf-8")
    data = _yaml().load(old)
    entry = _entry(data, entry_id)
    if entry is None:
        raise EditError(f"no entry '{entry_id}' in {path.name}")
    questions = entry.get("questions")
    if not isinstance(questions, CommentedMap):
        raise EditError(f"entry '{entry_id}' in {path.name} has no questions mapping")
    added: Added = {}
    for lang in LANGUAGES:
        new = [p.strip() for p in phrasings.get(lang, ()) if p and p.strip()]
        if not new:
            continue
        seq = questions.get(lang)
        if not isinstance(seq, CommentedSeq):
            raise EditError(f"entry '{entry_id}': questions.{lang} is not a list")
        have = {norm(str(q)) for q in seq}
        fresh = []
        for p in new:
            if norm(p) not in have:
                have.add(norm(p))
                fresh.append(p)
        for p in fresh:
            seq.append(p)
        if fresh:
            added[lang] = tuple(fresh)
    if not added:
        return old, old, {}
    new_text = _dump(data)
    _check_only_added(old, new_text, path.name)
    return old, new_text, added


def _check_only_added(old: str, new: str, name: str) -> None:
    """Refuse an edit that would change or drop any existing line (layout not kept)."""
    sm = difflib.SequenceMatcher(a=old.splitlines(), b=new.splitlines(), autojunk=False)
    for op, *_ in sm.get_opcodes():
        if op not in ("equal", "insert"):
            raise EditError(f"cannot add to {name} without re-formatting other lines; "
                            "add the phrasings by hand (see the snippet)")


def apply(faq_dir: str | Path, entry_id: str, phrasings: Mapping[str, Sequence[str]], *,
          validate: Callable[[Path], KnowledgeBase] = load_kb,
          normalize: Callable[[str], str] | None = None) -> EditResult:
    """Add the phrasings to the entry's file; validate the whole FAQ first; replace atomically.

    Raises EditError (with the FAQ problems) and leaves every file as it was when the edited
    FAQ does not validate, the layout would change, or the file changed meanwhile.
    """
    faq_dir = Path(faq_dir)
    path = find_entry_file(faq_dir, entry_id)
    old, new, added = plan(path, entry_id, phrasings, normalize)
    if not added:
        return EditResult(path, entry_id, {}, "")
    with tempfile.TemporaryDirectory(prefix="faq-edit-") as tmp:
        copy = Path(tmp) / "faq"
        shutil.copytree(faq_dir, copy)
        (copy / path.name).write_text(new, encoding="utf-8")
        try:
            kb = validate(copy)
        except FaqError as exc:
            raise EditError(f"the FAQ would not validate after this edit; {path.name} left "
                            "unchanged", exc.problems) from exc
        if entry_id not in kb.by_id:
            raise EditError(f"entry '{entry_id}' is missing after the edit; nothing written")
    # Someone (or an editor) saved the file since we read it: don't overwrite their work.
    if _digest(path.read_text(encoding="utf-8")) != _digest(old):
        raise EditError(f"{path.name} changed while editing; run the command again")
    _replace_atomically(path, new)
    diff = "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                        f"a/{path.name}", f"b/{path.name}"))
    return EditResult(path, entry_id, added, diff)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _replace_atomically(path: Path, text: str) -> None:
    """Write a sibling temp file, fsync it, rename it over `path`, fsync the directory."""
    mode = path.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)

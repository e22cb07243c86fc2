"""The project file (``*.latentlab``): a curator's work on one clip store, saved crash-safely.

A project is a small UTF-8 JSON document::

    {"schema": "latentlab-project", "version": 2,
     "store": {"relative": "data/clips", "absolute": "/Users/me/proj/data/clips"} | null,
     "checkpoint": {...} | null,          # null = the bundled demo store / model
     "projection": {"method": "pca", "params": {}, "seed": 0},
     "tags": {...}, "selections": {...},  # TagBook / SavedSelections .to_dict() output, kept as is
     "view": {"x_range": [a, b], "y_range": [a, b], "colour": "shape", "current": "<clip key>" | null},
     "pinned": [{"id": 1, "latent": [...], "map_pos": [x, y], "source_key": "<clip key>", "tags": [...]}]}

Version 2 added ``pinned`` (the pinned points, :func:`latentlab.core.pinned_points.pinned_records`);
a version 1 file has none and opens with an empty list. Older latentlab refuses a version 2 file
instead of dropping its pinned points on the next save.

Paths are stored twice: relative to the project's folder (when the target sits in it or near it)
and absolute. Loading tries the relative one first, so a project folder moved together with its
data keeps working; a path found under neither is listed in :attr:`Project.missing` instead of
failing the load, so the user can be told what to look for.

Saving goes through :func:`latentlab.core.atomic.write_json_atomic` (temp file, fsync, replace,
fsync of the folder): a process killed mid-save leaves the old file or the new one. A file that
cannot be read (corrupt JSON, another schema, a newer version) raises :class:`ProjectError` and is
never written by a failed load. Autosaves go to a separate file beside the project
(:func:`autosave_path`) so that they never replace what the user saved.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from latentlab.core.atomic import atomic_open
from latentlab.core.errors import UserError
from latentlab.core.projection_methods import DEFAULT_METHOD

SCHEMA = "latentlab-project"
VERSION = 2
SUFFIX = ".latentlab"
AUTOSAVE_SUFFIX = ".autosave"
#: A store or checkpoint at most this many folders above the project is saved relative to it:
#: "near" enough that moving the parent folder with both keeps the link.
MAX_UP_LEVELS = 2


class ProjectError(UserError):
    """A project file that cannot be read or written, with a message that names the file and why."""


def default_projection() -> dict:
    return {"method": DEFAULT_METHOD, "params": {}, "seed": 0}


def default_view() -> dict:
    return {"x_range": None, "y_range": None, "colour": None, "current": None}


@dataclass
class Project:
    """What a project file holds (see the module docstring for the format).

    ``store`` and ``checkpoint`` are absolute paths after :func:`load_project` (``None``: the demo
    store / the bundled demo model). ``missing`` lists, after a load, the paths that were found
    neither relative to the project nor at their absolute location.
    """

    store: str | None = None
    checkpoint: str | None = None
    projection: dict = field(default_factory=default_projection)
    tags: dict = field(default_factory=dict)
    selections: dict = field(default_factory=dict)
    view: dict = field(default_factory=default_view)
    pinned: list = field(default_factory=list)  # pinned-point records, checked against the model when shown
    path: Path | None = None
    missing: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The project's name: its file name without ``.latentlab`` ("untitled" before a save)."""
        if self.path is None:
            return "untitled"
        name = Path(self.path).name
        return name[: -len(SUFFIX)] if name.endswith(SUFFIX) and len(name) > len(SUFFIX) else name


# ------------------------------------------------------------------------------------- paths
def autosave_path(path: str | os.PathLike) -> Path:
    """Where the autosave of the project at ``path`` goes: ``name.latentlab.autosave`` beside it."""
    path = Path(path)
    return path.with_name(path.name + AUTOSAVE_SUFFIX)


def recovery_available(path: str | os.PathLike) -> bool:
    """True when an autosave of ``path`` exists and is newer than the project (or it is missing).

    A clean save or close removes the autosave, so one that is left over means a crash.
    """
    auto = autosave_path(path)
    try:
        auto_mtime = auto.stat().st_mtime_ns
    except OSError:
        return False
    try:
        return auto_mtime > Path(path).stat().st_mtime_ns
    except OSError:
        return True


def remove_autosave(path: str | os.PathLike) -> None:
    """Delete the autosave of ``path`` (after a save, or when the user discards the changes)."""
    try:
        autosave_path(path).unlink()
    except FileNotFoundError:
        pass
    except OSError:
        pass  # a stale autosave only costs an offer to recover next time


def _pack_path(target: str | None, folder: Path) -> dict | None:
    if not target:
        return None
    absolute = os.path.abspath(target)
    entry = {"absolute": absolute}
    try:
        rel = os.path.relpath(absolute, os.path.abspath(folder))
    except ValueError:  # another drive (Windows): only the absolute path can point there
        return entry
    if Path(rel).parts[: MAX_UP_LEVELS + 1].count("..") <= MAX_UP_LEVELS:
        entry["relative"] = Path(rel).as_posix()
    return entry


def _unpack_path(entry: Any, folder: Path, what: str, file: Path) -> tuple[str | None, bool]:
    """``(absolute path, found)``: the relative path first (a moved project), then the absolute."""
    if entry is None:
        return None, True
    if isinstance(entry, str):  # a hand-written file may give a plain path
        entry = {"relative": entry} if not os.path.isabs(entry) else {"absolute": entry}
    if (
        not isinstance(entry, dict)
        or not all(isinstance(v, str) for v in entry.values())
        or not (entry.get("relative") or entry.get("absolute"))
    ):
        raise ProjectError(f"{file} is damaged: its {what} entry is not a path ({entry!r})")
    candidates = []
    if entry.get("relative"):
        candidates.append(os.path.normpath(folder / entry["relative"]))
    if entry.get("absolute"):
        candidates.append(os.path.normpath(entry["absolute"]))
    for c in candidates:
        if os.path.exists(c):
            return os.path.abspath(c), True
    return os.path.abspath(candidates[-1]), False


# ------------------------------------------------------------------------------------- load / save
def project_to_dict(project: Project, path: str | os.PathLike) -> dict:
    """The JSON document for ``project`` saved at ``path`` (paths made relative to its folder)."""
    folder = Path(os.path.abspath(path)).parent
    return {
        "schema": SCHEMA,
        "version": VERSION,
        "store": _pack_path(project.store, folder),
        "checkpoint": _pack_path(project.checkpoint, folder),
        "projection": dict(project.projection),
        "tags": project.tags,
        "selections": project.selections,
        "view": dict(project.view),
        "pinned": list(project.pinned),
    }


def save_project(project: Project, path: str | os.PathLike) -> None:
    """Write ``project`` to ``path`` atomically (the old file stays whole until the new one replaces it).

    Raises :class:`ProjectError` (nothing written) if the project cannot be serialised or the
    folder cannot be written. ``project.path`` is not changed: the caller decides what it now is.
    """
    path = Path(path)
    try:  # NaN or an object JSON cannot hold: refused before anything is written
        text = json.dumps(project_to_dict(project, path), indent=2, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ProjectError(f"the project cannot be saved to {path}: {exc}") from None
    try:
        with atomic_open(path, "w", encoding="utf-8") as fh:  # keeps the old file's mode (a new one: umask's)
            fh.write(text + "\n")
    except OSError as exc:
        raise ProjectError(f"the project cannot be saved to {path}: {exc.strerror or exc}") from None


def load_project(path: str | os.PathLike) -> Project:
    """Read the project at ``path``; never writes to it.

    Raises :class:`ProjectError` naming the file and the problem when it is missing, unreadable,
    not JSON, not a latentlab project, or was written by a newer latentlab. Store or checkpoint
    paths that no longer exist are listed in ``Project.missing`` (the load itself succeeds).
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ProjectError(f"{path} does not exist") from None
    except OSError as exc:
        raise ProjectError(f"{path} cannot be read: {exc.strerror or exc}") from None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ProjectError(f"{path} is not a latentlab project: it is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ProjectError(
            f"{path} is damaged: it is not valid JSON ({exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}); the file was left as it is"
        ) from None
    except RecursionError:
        raise ProjectError(f"{path} is damaged: its JSON is nested too deeply to be a project") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        found = doc.get("schema") if isinstance(doc, dict) else type(doc).__name__
        raise ProjectError(f"{path} is not a latentlab project (schema {found!r}, expected {SCHEMA!r})")
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ProjectError(f"{path} is damaged: its version {version!r} is not a positive whole number")
    if version > VERSION:
        raise ProjectError(
            f"{path} was saved by a newer latentlab (project version {version}); this "
            f"version reads version {VERSION} and older. Update latentlab to open it; "
            "the file was left as it is"
        )
    for key in ("projection", "tags", "selections", "view"):
        if not isinstance(doc.get(key, {}), dict):
            raise ProjectError(f"{path} is damaged: {key!r} should be an object, not {type(doc[key]).__name__}")
    pinned = doc.get("pinned", [])
    if not isinstance(pinned, list) or not all(isinstance(p, dict) for p in pinned):
        raise ProjectError(f"{path} is damaged: 'pinned' should be a list of pinned points; the file was left as it is")
    folder = Path(os.path.abspath(path)).parent
    project = Project(
        path=path,
        projection={**default_projection(), **doc.get("projection", {})},
        tags=doc.get("tags", {}),
        selections=doc.get("selections", {}),
        view={**default_view(), **doc.get("view", {})},
        pinned=pinned,
    )
    _check_curation(project, path)
    for what in ("store", "checkpoint"):
        value, found = _unpack_path(doc.get(what), folder, what, path)
        setattr(project, what, value)
        if not found:
            project.missing.append(f"the {what} {value} is missing")
    return project


def _check_curation(project: Project, path: Path) -> None:
    """Refuse a project whose tags or saved selections cannot be read whole.

    The window and the CLI both load through here: a project that half-opened (one bad tag dropped)
    would lose the rest of its tags on the next save, so it is not opened at all.
    """
    from latentlab.core.tags import SavedSelections, TagBook, TagError

    no_keys = np.zeros(0, str)
    try:
        TagBook.from_dict(project.tags, no_keys)
        SavedSelections.from_dict(project.selections, no_keys, 0)
    except TagError as exc:
        raise ProjectError(
            f"{path} is damaged: {exc}; it was not opened (so nothing in it can be lost by a "
            "save) and the file was left as it is"
        ) from None


# ------------------------------------------------------------------------------------- for exports
def selection_names(selections: dict) -> dict[str, list[str]]:
    """``{name: [clip key, ...]}`` from a ``SavedSelections.to_dict`` document."""
    body = selections.get("selections", []) if isinstance(selections, dict) else []
    out = (
        {str(s.get("name")): list(s.get("clips", [])) for s in body if isinstance(s, dict)}
        if isinstance(body, list)
        else {}
    )
    for name, keys in (selections.get("orphans") or {}).items() if isinstance(selections, dict) else ():
        out.setdefault(str(name), []).extend(keys)
    return out


def tag_names(tags: dict) -> dict[str, list[str]]:
    """``{tag name: [clip key, ...]}`` from a ``TagBook.to_dict`` document (orphans included)."""
    out: dict[str, list[str]] = {}
    for t in tags.get("tags", []) if isinstance(tags, dict) else []:
        if isinstance(t, dict) and "name" in t:
            out[str(t["name"])] = list(t.get("clips", []))
    for name, keys in (tags.get("orphans") or {}).items() if isinstance(tags, dict) else ():
        out.setdefault(str(name), []).extend(keys)
    return out


def project_clip_indices(
    project: Project, keys: np.ndarray, tag: str | None = None, selection: str | None = None
) -> np.ndarray:
    """Sorted int64 indices into ``keys`` (a store's ``clip_keys()``) of a tag's or a saved selection's clips.

    With neither ``tag`` nor ``selection``: every clip. Keys of the tag that this dataset does not
    hold are skipped. An unknown name raises :class:`ProjectError` listing the names that exist.
    """
    keys = np.asarray(keys).astype(str)
    if tag is not None and selection is not None:
        raise ProjectError("give a tag or a saved selection, not both")
    if tag is None and selection is None:
        return np.arange(len(keys), dtype=np.int64)
    kind, name, known = (
        ("tag", tag, tag_names(project.tags))
        if tag is not None
        else ("saved selection", selection, selection_names(project.selections))
    )
    if name not in known:
        have = ", ".join(repr(n) for n in sorted(known)) or "none"
        raise ProjectError(f"the project has no {kind} {name!r}; it has: {have}")
    wanted = np.asarray(known[name], dtype=str)
    return np.flatnonzero(np.isin(keys, wanted)).astype(np.int64)


def missing_clip_keys(
    project: Project, keys: np.ndarray, tag: str | None = None, selection: str | None = None
) -> list[str]:
    """The keys of a tag's or saved selection's clips that ``keys`` (a store's ``clip_keys()``) lacks:
    clips whose source video changed or left the store since they were tagged (empty for all clips)."""
    if tag is None and selection is None:
        return []
    known = tag_names(project.tags) if tag is not None else selection_names(project.selections)
    have = set(np.asarray(keys).astype(str).tolist())
    return [str(k) for k in dict.fromkeys(known.get(tag if tag is not None else selection, [])) if str(k) not in have]

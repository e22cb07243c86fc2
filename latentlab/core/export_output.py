"""Where an export writes: a staging folder that becomes ``OUT`` only when every file is done.

An export writes into ``OUT.partial`` (marked by a ``.latentlab-export-partial`` file) and renames
it to ``OUT`` at the end, so an interrupted export never leaves an ``OUT`` that looks complete; the
next export to the same place removes the marked leftover; ``OUT.lock`` is held meanwhile, so a
second export into the same ``OUT`` is refused instead of taking a live ``.partial`` for a leftover.
A clip store, checkpoint or project folder is never an ``OUT``. ``OUT`` that exists and is not empty is
refused unless ``force``:

- ``OUT`` holds an earlier latentlab export (its ``export.json``): it is replaced as a whole, so no
  stale file of the earlier export survives among the new ones;
- ``OUT`` is any other folder: the new files are moved in, replacing files of the same names only;
  nothing else in it is deleted (``--force -o ~/Desktop`` must not wipe a desktop).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from latentlab.core.atomic import write_json_atomic
from latentlab.core.export_tables import ExportError
from latentlab.core.output_guard import OutputBusy, OutputRefused, output_lock, refuse_foreign_output

MARKER = ".latentlab-export-partial"
REPORT = "export.json"


class OutputExists(ExportError):
    """The output folder exists and is not empty, and overwriting was not allowed."""


@dataclass
class ExportReport:
    """What an export wrote. ``files`` are relative to ``out``, in the order they were written."""

    format: str
    out: str
    files: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        """One line for a status bar or a terminal."""
        counts = ", ".join(f"{v} {k}" for k, v in self.counts.items())
        notes = f" ({'; '.join(self.notes)})" if self.notes else ""
        return f"exported {self.format} to {self.out}: {len(self.files)} files, {counts}{notes}"


def is_nonempty_dir(path: Path) -> bool:
    return path.is_dir() and any(path.iterdir())


def check_output(out: str | os.PathLike, force: bool = False) -> Path:
    """``out`` as an absolute path, or :class:`OutputExists` / :class:`ExportError` if it cannot be used."""
    out = Path(out).expanduser().absolute()
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out} exists and is not a folder")
    try:  # a store, checkpoint or project folder is never an export's OUT, --force or not
        refuse_foreign_output(out, flag="OUT")
    except OutputRefused as exc:
        raise ExportError(str(exc)) from None
    if is_nonempty_dir(out) and not force:
        raise OutputExists(f"{out} exists and is not empty; choose another folder or allow overwriting (--force)")
    return out


@contextmanager
def staged_output(out: str | os.PathLike, force: bool = False) -> Iterator[Path]:
    """Yield a fresh staging folder; on a clean exit it becomes ``out`` (see the module docstring).

    On an exception (cancel included) the staging folder is removed and ``out`` is untouched.
    """
    out = check_output(out, force)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)  # so that the lock beside OUT can be taken
    except OSError as exc:
        raise ExportError(f"cannot write next to {out}: {exc}") from exc
    try:  # held until OUT is in place: a second export into OUT would take our .partial for a leftover
        with output_lock(out):
            with _staged(out, force) as partial:
                yield partial
    except OutputBusy as exc:
        raise ExportError(str(exc)) from None


@contextmanager
def _staged(out: Path, force: bool) -> Iterator[Path]:
    partial = out.with_name(out.name + ".partial")
    if partial.exists():
        if not (partial / MARKER).is_file():
            raise ExportError(f"{partial} exists and is not an interrupted latentlab export; move it away first")
        shutil.rmtree(partial)
    try:
        partial.mkdir(parents=True)
        (partial / MARKER).touch()
    except OSError as exc:
        raise ExportError(f"cannot write next to {out}: {exc}") from exc
    try:
        yield partial
        (partial / MARKER).unlink()
        _commit(partial, check_output(out, force))  # checked again: OUT may have appeared meanwhile
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def _commit(partial: Path, out: Path) -> None:
    if not out.exists():
        partial.rename(out)
    elif not any(out.iterdir()):
        out.rmdir()
        partial.rename(out)
    elif (out / REPORT).is_file():  # an earlier export of ours: swap it out whole
        old = out.with_name(f"{out.name}.old-{uuid.uuid4().hex[:8]}")
        out.rename(old)
        try:
            partial.rename(out)
        except OSError:
            old.rename(out)  # put the earlier export back
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:  # someone else's folder: add our files, replace same-named ones, delete nothing else
        for src in sorted(p for p in partial.rglob("*") if p.is_file()):
            dst = out / src.relative_to(partial)
            if dst.is_dir():
                raise ExportError(f"cannot write {dst}: a folder of that name is in the way")
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
        shutil.rmtree(partial, ignore_errors=True)


def estimate_bytes(fmt: str, n_clips: int, clip_bytes: int, reconstructions: bool = False) -> int:
    """About how many bytes an export of ``n_clips`` clips of ``clip_bytes`` raw bytes writes
    (videos: an mp4v clip is rarely above an eighth of its raw size; tables: a few hundred bytes a clip)."""
    if fmt in ("videos", "folders"):
        return n_clips * (clip_bytes // 8 + 1024) * (2 if reconstructions else 1)
    return n_clips * 512


def write_report(folder: Path, report: ExportReport, info: dict | None = None) -> None:
    """Write ``export.json`` (the report plus ``info``) into the staging folder; it is listed last."""
    report.files.append(REPORT)
    write_json_atomic(
        folder / REPORT, {"format": "latentlab-export", "version": 1, **(info or {}), "report": report.to_json()}
    )


def read_report(out: str | os.PathLike) -> dict:
    """The ``export.json`` of a finished export."""
    return json.loads((Path(out) / REPORT).read_text(encoding="utf-8"))

"""Guards for the folder a command writes: what it already is, whether it can be written, who holds it.

* :func:`folder_kind` tells a clip store, a checkpoint, a latent cache and a project folder apart by
  their marker files, so that no command writes its output over another kind of data
  (:func:`refuse_foreign_output`).
* :func:`check_writable` makes sure (before any slow work) that the folder can be created and written.
* :func:`output_lock` holds an OS lock beside the folder while a command writes it (the project
  lock of :mod:`latentlab.core.project_lock`, on ``OUT.lock``); a second writer is refused with a
  message that names the holder ("being written by latentlab process 1234 on host").
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from latentlab.core.errors import UserError
from latentlab.core.project_lock import ProjectLock, describe_holder

STORE, CHECKPOINT, CACHE, PROJECT = "clip store", "checkpoint", "latent cache", "project folder"
_MANIFEST_FORMATS = {"latentlab-clip-store": STORE, "latentlab-latent-cache": CACHE}  # their "format" fields


class OutputRefused(UserError):
    """The output folder is another kind of data, cannot be written, or is being written by another process."""


class OutputBusy(OutputRefused):
    """Another latentlab process holds the output folder's lock."""


def folder_kind(path: str | os.PathLike) -> str | None:
    """:data:`STORE`, :data:`CHECKPOINT`, :data:`CACHE`, :data:`PROJECT` or None for anything else."""
    path = Path(path)
    if not path.is_dir():
        return None
    manifest = path / "manifest.json"
    if manifest.is_file():
        try:
            doc = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            doc = None
        if isinstance(doc, dict) and doc.get("format") in _MANIFEST_FORMATS:
            return _MANIFEST_FORMATS[doc["format"]]
    if (path / "config.json").is_file() and (path / "model.safetensors").is_file():
        return CHECKPOINT
    try:
        if any(p.suffix == ".latentlab" and p.is_file() for p in path.iterdir()):
            return PROJECT
    except OSError:
        pass
    return None


def refuse_foreign_output(out: str | os.PathLike, *, allowed: tuple[str, ...] = (), flag: str = "-o") -> None:
    """Raise :class:`OutputRefused` if ``out`` is a store, checkpoint, cache or project folder (other
    than the ``allowed`` kinds), or lies inside a clip store, checkpoint or cache."""
    out = Path(os.path.abspath(out))
    kind = folder_kind(out)
    if kind is not None and kind not in allowed:
        raise OutputRefused(
            f"{flag} {out} is a {kind}; refusing to write into it (--force does not change this): choose another folder"
        )
    for parent in out.parents:
        kind = folder_kind(parent)
        if kind in (STORE, CHECKPOINT, CACHE):
            raise OutputRefused(
                f"{flag} {out} lies inside the {kind} {parent}; refusing to write there: choose a folder outside it"
            )


def check_writable(out: str | os.PathLike, *, flag: str = "-o") -> None:
    """Create ``out`` (a folder) if needed and prove it can be written, before any slow work.

    Raises :class:`OutputRefused` for a path that is a file; ``OSError`` (permission denied, read-only
    file system, no space) otherwise, which the CLI prints as one line.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputRefused(f"{flag} {out} is a file, not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".latentlab-probe-", dir=out)
    except OSError as exc:
        raise OutputRefused(f"{flag} {out} cannot be written: {exc.strerror or exc}") from None
    try:
        os.write(fd, b"0" * 4096)  # a full disk usually refuses even this
    except OSError as exc:
        raise OutputRefused(f"{flag} {out} cannot be written: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
        os.unlink(probe)


@contextmanager
def output_lock(out: str | os.PathLike) -> Iterator[None]:
    """Hold ``OUT.lock`` beside ``out`` for the block; :class:`OutputBusy` names the holder if it is taken.

    Where the lock cannot be created (a read-only parent, say) the block runs unguarded: the write
    itself then fails with its own message.
    """
    path = Path(os.path.abspath(out))
    lock = ProjectLock()
    if not lock.acquire(path):
        raise OutputBusy(
            f"{path} is being written by {describe_holder(lock.holder, 'another latentlab process')}; "
            "wait for it to finish or choose another output"
        )
    try:
        yield
    finally:
        lock.release()

"""File names read from our own files (manifests, cache indexes, checkpoint configs) are untrusted.

A store or a cache is shared like any folder: whoever edits its manifest must not be able to make
latentlab read, memory-map, truncate or delete a file elsewhere. :func:`child_file` accepts only a
bare name of the expected pattern that resolves to a file directly inside its folder.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from latentlab.core.errors import UserError


class UnsafeFileName(UserError):
    """A file name from a manifest or config that could point outside its folder."""


def child_file(folder: str | os.PathLike, name: object, pattern: str, what: str) -> Path:
    """``folder / name`` if ``name`` is a bare file name matching ``pattern`` (a regular expression,
    matched whole) that stays inside ``folder`` (symbolic links included); else :class:`UnsafeFileName`.

    ``what`` names the field for the message (e.g. "the manifest's data_file").
    """
    folder = Path(folder)
    if (
        not isinstance(name, str)
        or not re.fullmatch(pattern, name)
        or name in (".", "..")
        or "/" in name
        or "\\" in name
        or "\x00" in name
    ):
        raise UnsafeFileName(
            f"{folder}: {what} is {name!r:.80}, not a file name of the form {pattern!r} "
            "inside the folder; refused (the file was edited or damaged)"
        )
    path = folder / name
    try:
        inside = path.resolve().parent == folder.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        inside = False
    if not inside:
        raise UnsafeFileName(f"{folder}: {what} {name!r} leads outside the folder (a symbolic link?); refused")
    return path

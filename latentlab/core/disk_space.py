"""Check free disk space before writing a known amount, and refuse with the figures."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from latentlab.core.errors import UserError

#: Kept free beyond the estimate: file-system overhead, manifests, and room for the user's own work.
MARGIN_BYTES = 64 * 2**20


class NotEnoughSpace(UserError):
    """The output needs more space than its disk has free."""


def human_bytes(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1000 or unit == "PB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} PB"  # pragma: no cover


def free_bytes(path: str | os.PathLike) -> int | None:
    """Free bytes for an unprivileged writer on the disk that holds ``path`` (or its nearest existing
    parent); None when it cannot be told."""
    p = Path(os.path.abspath(path))
    while not p.exists() and p != p.parent:
        p = p.parent
    try:
        return shutil.disk_usage(p).free
    except OSError:
        return None


def require_free_space(path: str | os.PathLike, needed: int, what: str) -> None:
    """Raise :class:`NotEnoughSpace` naming both figures when ``what`` (``needed`` bytes) would not fit
    on the disk of ``path`` with :data:`MARGIN_BYTES` to spare."""
    free = free_bytes(path)
    if free is None or needed <= 0:
        return
    if needed + MARGIN_BYTES > free:
        raise NotEnoughSpace(
            f"{what} needs about {human_bytes(needed)} but the disk of {path} has only "
            f"{human_bytes(free)} free; nothing was written"
        )

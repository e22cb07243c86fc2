"""User 2-D coordinates for the ``"precomputed"`` map: read from ``.npy`` or ``.csv`` and checked.

>>> xy = load_coords("positions.csv", n=len(latents))   # (N, 2) float32
>>> proj = fit_projection(latents, "precomputed", coords=xy)
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from latentlab.core.errors import LatentSpaceError


def load_coords(path: str | os.PathLike, n: int | None = None) -> np.ndarray:
    """Read user 2-D coordinates from ``.npy`` or ``.csv`` (optionally with a header row).

    A CSV with more than two columns needs a header naming ``x`` and ``y``. ``n`` checks the row
    count against the number of clips.
    """
    path = Path(path)
    if not path.is_file():
        raise LatentSpaceError(f"{path} does not exist")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            arr = np.load(path, allow_pickle=False)
        elif suffix in (".csv", ".txt"):
            arr = _read_csv(path)
        else:
            raise LatentSpaceError(f"{path.name}: coordinates must be a .csv or .npy file")
    except LatentSpaceError:
        raise
    except (OSError, ValueError) as exc:
        raise LatentSpaceError(f"cannot read coordinates from {path.name}: {exc}") from None
    return check_coords(arr, n, source=path.name)


def _read_csv(path: Path) -> np.ndarray:
    import csv

    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = [r for r in csv.reader(fh) if r and any(c.strip() for c in r)]
    if not rows:
        raise LatentSpaceError(f"{path.name} is empty")
    header = None
    try:
        [float(c) for c in rows[0]]
    except ValueError:
        header, rows = [c.strip().lower() for c in rows[0]], rows[1:]
    cols = [0, 1]
    if header is not None and len(header) > 2:
        if "x" not in header or "y" not in header:
            raise LatentSpaceError(f"{path.name} has {len(header)} columns: name two of them 'x' and 'y'")
        cols = [header.index("x"), header.index("y")]
    try:
        return np.array([[float(r[cols[0]]), float(r[cols[1]])] for r in rows], dtype=np.float64).reshape(-1, 2)
    except (ValueError, IndexError) as exc:
        raise LatentSpaceError(f"{path.name}: every row needs two numbers ({exc})") from None


def check_coords(coords, n: int | None, source: str = "coordinates") -> np.ndarray:
    """Return ``coords`` as contiguous ``(N, 2)`` float32, or raise :class:`LatentSpaceError` saying why not."""
    if coords is None:
        raise LatentSpaceError("the 'precomputed' map needs coordinates (coords=...)")
    try:
        xy = np.asarray(coords, dtype=np.float32)
    except (TypeError, ValueError):
        raise LatentSpaceError(f"{source} must be numbers") from None
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise LatentSpaceError(f"{source} must have two columns (x, y); got shape {xy.shape}")
    if n is not None and xy.shape[0] != n:
        raise LatentSpaceError(f"{source} give {xy.shape[0]} positions for {n} clips")
    if not np.isfinite(xy).all():
        raise LatentSpaceError(f"{source} hold NaN or infinite values")
    return np.ascontiguousarray(xy)


__all__ = ["load_coords", "check_coords"]

"""Input checks shared by the latent-space modules: shapes, dtypes and NaN, turned into clear errors."""

from __future__ import annotations

import numpy as np

from latentlab.core.errors import LatentSpaceError


def as_latents(latents, *, name: str = "latents", allow_empty: bool = True) -> np.ndarray:
    """Return ``latents`` as a C-contiguous float32 ``(N, D)`` array, or raise :class:`LatentSpaceError`.

    A 1-D array is read as one latent. NaN or infinite values are refused, naming the first clips.
    """
    try:
        arr = np.asarray(latents, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise LatentSpaceError(f"{name} must be an array of numbers: {exc}") from None
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise LatentSpaceError(f"{name} must be a table of shape (clips, dimensions); got shape {arr.shape}")
    if arr.shape[1] == 0:
        raise LatentSpaceError(f"{name} have no dimensions (shape {arr.shape})")
    if arr.shape[0] == 0 and not allow_empty:
        raise LatentSpaceError(f"there are no {name}")
    bad = ~np.isfinite(arr).all(axis=1)
    if bad.any():
        rows = np.flatnonzero(bad)
        shown = ", ".join(str(int(r)) for r in rows[:5]) + (" ..." if rows.size > 5 else "")
        raise LatentSpaceError(
            f"{rows.size} of {arr.shape[0]} {name} hold NaN or infinite values (rows {shown}); "
            "the model or the clips that produced them need checking"
        )
    return np.ascontiguousarray(arr)


def as_points(points, *, name: str = "map points") -> np.ndarray:
    """Return 2-D map points as a float64 ``(Q, 2)`` array (one point may be given as ``(2,)``)."""
    try:
        arr = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise LatentSpaceError(f"{name} must be numbers: {exc}") from None
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise LatentSpaceError(f"{name} must have shape (Q, 2); got {np.shape(points)}")
    if not np.isfinite(arr).all():
        raise LatentSpaceError(f"{name} hold NaN or infinite values")
    return arr


def check_index(index, n: int, *, what: str = "clip") -> int:
    """Return ``index`` as an int in ``[0, n)`` or raise :class:`LatentSpaceError`."""
    try:
        i = int(index)
    except (TypeError, ValueError):
        raise LatentSpaceError(f"{what} index must be a whole number, got {index!r}") from None
    if not 0 <= i < n:
        raise LatentSpaceError(f"{what} {i} does not exist: there are {n} {what}s")
    return i

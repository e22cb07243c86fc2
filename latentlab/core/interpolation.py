"""Paths through latent space: lerp, slerp, multi-point paths and single-dimension traversals.

All functions take and return float32 numpy arrays and raise only :class:`LatentSpaceError`.

``slerp`` here interpolates the *direction* along the great circle and the *norm* linearly, so the
norm profile of the path is exactly the straight line between ``|z0|`` and ``|z1|``. With a Gaussian
prior most latents have a norm near ``sqrt(D)``; a straight line (lerp) between two of them dips to
about ``sqrt(D / 2)`` in the middle, where the decoder has seen few latents, while slerp keeps the
norm where the data is.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from latentlab.core.arrays import as_latents, check_index
from latentlab.core.errors import LatentSpaceError

#: Ways to walk between latents: straight lines, or great circles (for latents near the prior's shell).
INTERPOLATION_METHODS = ("lerp", "slerp")

_EPS = 1e-12


def _endpoints(z0, z1) -> tuple[np.ndarray, np.ndarray]:
    a = as_latents(z0, name="start latent", allow_empty=False)
    b = as_latents(z1, name="end latent", allow_empty=False)
    if a.shape != b.shape or a.shape[0] != 1:
        raise LatentSpaceError(f"start and end must be single latents of the same size; got {a.shape} and {b.shape}")
    return a[0].astype(np.float64), b[0].astype(np.float64)


def _steps(n) -> np.ndarray:
    try:
        n = int(n)
    except (TypeError, ValueError):
        raise LatentSpaceError(f"the number of steps must be a whole number, got {n!r}") from None
    if n < 1:
        raise LatentSpaceError(f"a path needs at least 1 step, got {n}")
    return np.linspace(0.0, 1.0, n) if n > 1 else np.zeros(1)


def lerp(z0, z1, n: int) -> np.ndarray:
    """``n`` evenly spaced latents on the straight line from ``z0`` to ``z1`` (both ends included).

    Returns
    -------
    ndarray
        ``(n, D)`` float32.
    """
    a, b = _endpoints(z0, z1)
    t = _steps(n)[:, None]
    return ((1.0 - t) * a + t * b).astype(np.float32)


def _slerp_t(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na < _EPS or nb < _EPS:  # a direction is undefined at the origin: the straight line is the limit
        return (1.0 - t)[:, None] * a + t[:, None] * b
    ua, ub = a / na, b / nb
    cos = float(np.clip(ua @ ub, -1.0, 1.0))
    omega = np.arccos(cos)
    if omega < 1e-6:  # same direction: only the norm changes
        u = np.repeat(ua[None], t.size, 0)
    else:
        if np.pi - omega < 1e-6:
            # Opposite directions: every great circle joins them. Go through the axis least aligned
            # with ua, made orthogonal to it, so the choice is deterministic.
            axis = np.zeros_like(ua)
            axis[np.argmin(np.abs(ua))] = 1.0
            perp = axis - (axis @ ua) * ua
            perp /= np.linalg.norm(perp)
            ang = t * np.pi
            u = np.cos(ang)[:, None] * ua + np.sin(ang)[:, None] * perp
        else:
            s = np.sin(omega)
            u = (np.sin((1.0 - t) * omega) / s)[:, None] * ua + (np.sin(t * omega) / s)[:, None] * ub
    norms = (1.0 - t) * na + t * nb
    return u * norms[:, None]


def slerp(z0, z1, n: int) -> np.ndarray:
    """``n`` latents from ``z0`` to ``z1`` along the great circle, the norm changing linearly.

    Opposite endpoints go through a deterministic perpendicular direction; an endpoint at the
    origin gives the straight line (the limit of slerp there).

    Returns
    -------
    ndarray
        ``(n, D)`` float32.
    """
    a, b = _endpoints(z0, z1)
    return _slerp_t(a, b, _steps(n)).astype(np.float32)


def path(points, n: int, method: str = "lerp") -> np.ndarray:
    """``n`` latents along a path through ``points`` ``(K, D)``, evenly spaced by length.

    Each leg between consecutive points gets a share of the ``n`` samples in proportion to its
    length (straight-line length for both methods), so the path moves at constant speed. One point
    gives ``n`` copies of it.

    Parameters
    ----------
    points
        ``(K, D)`` waypoints, ``K >= 1``.
    n
        Number of output latents (the first and last waypoints are included).
    method
        ``"lerp"`` or ``"slerp"``.
    """
    if method not in INTERPOLATION_METHODS:
        raise LatentSpaceError(f"path method must be 'lerp' or 'slerp', not {method!r}")
    pts = as_latents(points, name="path points", allow_empty=False).astype(np.float64)
    t = _steps(n)
    if pts.shape[0] == 1:
        return np.repeat(pts, t.size, 0).astype(np.float32)
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)  # (K-1,)
    total = seg.sum()
    if total < _EPS:
        return np.repeat(pts[:1], t.size, 0).astype(np.float32)
    cum = np.concatenate([[0.0], np.cumsum(seg)]) / total  # (K,) arc position of each waypoint
    leg = np.clip(np.searchsorted(cum, t, side="right") - 1, 0, len(seg) - 1)
    out = np.empty((t.size, pts.shape[1]))
    for k in np.unique(leg):
        sel = leg == k
        width = cum[k + 1] - cum[k]
        local = np.zeros(sel.sum()) if width < _EPS else (t[sel] - cum[k]) / width
        if method == "lerp":
            out[sel] = (1.0 - local)[:, None] * pts[k] + local[:, None] * pts[k + 1]
        else:
            out[sel] = _slerp_t(pts[k], pts[k + 1], local)
    return out.astype(np.float32)


def traversal(z, dim: int, values: Sequence[float]) -> np.ndarray:
    """Copies of ``z`` with dimension ``dim`` set to each of ``values``: ``(len(values), D)`` float32."""
    base = as_latents(z, name="latent", allow_empty=False)
    if base.shape[0] != 1:
        raise LatentSpaceError(f"traversal takes one latent, got {base.shape[0]}")
    d = check_index(dim, base.shape[1], what="dimension")
    vals = np.asarray(values, dtype=np.float64).ravel()
    if not np.isfinite(vals).all():
        raise LatentSpaceError("traversal values hold NaN or infinite numbers")
    out = np.repeat(base, vals.size, 0)
    out[:, d] = vals
    return out


def traversal_range(
    dim: int,
    mode: str = "prior",
    latents=None,
    k: float = 3.0,
    q: tuple[float, float] = (0.05, 0.95),
) -> tuple[float, float]:
    """The ``(lo, hi)`` range to sweep dimension ``dim`` over.

    Parameters
    ----------
    mode
        ``"prior"``: ``+-k`` standard deviations of the N(0, 1) prior (needs no latents);
        ``"minmax"``: the data's minimum and maximum; ``"quantile"``: the data's ``q`` quantiles.
    latents
        ``(N, D)`` latents of the clips, needed by ``"minmax"`` and ``"quantile"``.
    """
    if mode == "prior":
        if not np.isfinite(k) or k <= 0:
            raise LatentSpaceError(f"k must be a positive number of standard deviations, got {k}")
        if int(dim) < 0:
            raise LatentSpaceError(f"dimension {dim} does not exist")
        return (-float(k), float(k))
    if mode not in ("minmax", "quantile"):
        raise LatentSpaceError(f"traversal range mode must be 'prior', 'minmax' or 'quantile', not {mode!r}")
    if latents is None:
        raise LatentSpaceError(f"the {mode!r} range needs the clips' latents")
    lat = as_latents(latents, allow_empty=False)
    col = lat[:, check_index(dim, lat.shape[1], what="dimension")].astype(np.float64)
    if mode == "minmax":
        return (float(col.min()), float(col.max()))
    lo_q, hi_q = float(q[0]), float(q[1])
    if not 0.0 <= lo_q <= hi_q <= 1.0:
        raise LatentSpaceError(f"quantiles must satisfy 0 <= lo <= hi <= 1, got {q}")
    lo, hi = np.quantile(col, [lo_q, hi_q])
    return (float(lo), float(hi))

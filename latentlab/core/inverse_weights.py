"""Neighbour weights for the local inverse methods of :mod:`latentlab.core.inverse`.

Each ``*_weights(inv, p, dist, idx)`` takes the inverse (for its coordinates, latents, bandwidth, ridge
and correction cap), the query points ``p (Q, 2)`` and their ``k`` nearest clips in the map
(``dist``, ``idx`` ``(Q, k)``) and returns ``(Q, k)`` weights that blend the neighbours' latents;
:func:`one_weights` is the same for one query on Python floats, :func:`ilamp` returns latents directly.
"""

from __future__ import annotations

import math

import numpy as np


def idw_weights(inv, p, dist, idx):
    w = 1.0 / np.maximum(dist, 1e-12) ** 2  # (Q, k)
    exact = dist[:, 0] <= 1e-12  # on top of a clip: that clip, not a blend
    w[exact] = 0.0
    w[exact, 0] = 1.0
    return w / w.sum(axis=1, keepdims=True)


def snap_weights(inv, p, dist, idx):
    w = np.zeros(dist.shape)
    w[:, 0] = 1.0
    return w


def local_linear_weights(inv, p, dist, idx):
    """Neighbour weights whose blend equals the intercept of a weighted ridge fit ``z ~ a + B x``.

    With normalised weights ``w`` (1/d times a Gaussian), neighbour offsets ``x_i`` (query at 0), their weighted
    mean ``m`` and scatter ``S`` (+ ridge), the fitted value at the query is
    ``sum_i w_i (1 - m^T S^-1 (x_i - m)) z_i``: a (Q, k) weight computation, one blend over D.
    """
    h = np.maximum(dist[:, -1:], 1e-12)  # per-query bandwidth: adapts to the local density
    # 1/d makes the fit pass through a clip the cursor is on (weights -> that clip alone, m -> 0);
    # the Gaussian taper fades the farther neighbours out. Both chosen by held-out error.
    r = np.maximum(dist / h, 1e-9)
    w = np.exp(-0.5 * (r / inv.bandwidth) ** 2) / r  # (Q, k)
    w /= w.sum(axis=1, keepdims=True)
    x = (inv.coords[idx] - p[:, None, :]) / h[:, :, None]  # (Q, k, 2), unitless so the ridge is too
    m = np.einsum("qk,qkc->qc", w, x)
    xc = x - m[:, None, :]
    sxx = np.einsum("qk,qk->q", w, xc[..., 0] ** 2) + inv.ridge
    syy = np.einsum("qk,qk->q", w, xc[..., 1] ** 2) + inv.ridge
    sxy = np.einsum("qk,qk->q", w, xc[..., 0] * xc[..., 1])
    det = sxx * syy - sxy**2
    # g = S^-1 m (closed-form 2x2 inverse)
    gx = (syy * m[:, 0] - sxy * m[:, 1]) / det
    gy = (sxx * m[:, 1] - sxy * m[:, 0]) / det
    corr = xc[..., 0] * gx[:, None] + xc[..., 1] * gy[:, None]  # (Q, k)
    # Far outside its neighbours a near-singular local fit would extrapolate wildly: cap the
    # correction so that no neighbour's weight moves by more than MAX_CORRECTION times itself.
    scale = np.minimum(1.0, inv.max_correction / np.maximum(np.abs(corr).max(axis=1, keepdims=True), 1e-12))
    return w * (1.0 - scale * corr)


def one_weights(inv, p, d: list, ix) -> np.ndarray:
    """:func:`idw_weights` / :func:`local_linear_weights` / snap for one query, on Python floats."""
    k = len(d)
    if inv.method == "snap" or d[0] <= 1e-12:
        w = [0.0] * k
        w[0] = 1.0
        return np.array(w)
    if inv.method == "idw":
        w = [1.0 / (di * di) for di in d]
        s = sum(w)
        return np.array([wi / s for wi in w])
    h = max(d[-1], 1e-12)
    bw = inv.bandwidth
    w = []
    for di in d:
        r = max(di / h, 1e-9)
        w.append(math.exp(-0.5 * (r / bw) ** 2) / r)
    s = sum(w)
    w = [wi / s for wi in w]
    px, py = float(p[0]), float(p[1])
    xy = inv.coords[ix].tolist()
    xs = [(x - px) / h for x, _ in xy]
    ys = [(y - py) / h for _, y in xy]
    mx = sum(wi * x for wi, x in zip(w, xs))
    my = sum(wi * y for wi, y in zip(w, ys))
    xc = [x - mx for x in xs]
    yc = [y - my for y in ys]
    sxx = sum(wi * x * x for wi, x in zip(w, xc)) + inv.ridge
    syy = sum(wi * y * y for wi, y in zip(w, yc)) + inv.ridge
    sxy = sum(wi * x * y for wi, x, y in zip(w, xc, yc))
    det = sxx * syy - sxy * sxy
    gx, gy = (syy * mx - sxy * my) / det, (sxx * my - sxy * mx) / det
    corr = [x * gx + y * gy for x, y in zip(xc, yc)]
    scale = min(1.0, inv.max_correction / max(max(abs(c) for c in corr), 1e-12))
    return np.array([wi * (1.0 - scale * c) for wi, c in zip(w, corr)])


def ilamp(inv, p, dist, idx):
    w = idw_weights(inv, p, dist, idx)  # (Q, k), normalised
    exact = dist[:, 0] <= 1e-12
    xs, ys = inv.coords[idx], inv.latents[idx]  # (Q, k, 2), (Q, k, D)
    xt = np.einsum("qk,qkc->qc", w, xs)
    yt = np.einsum("qk,qkd->qd", w, ys)
    sw = np.sqrt(w)[:, :, None]
    a = sw * (xs - xt[:, None, :])
    b = sw * (ys - yt[:, None, :])
    u, _, vt = np.linalg.svd(np.einsum("qkc,qkd->qcd", a, b), full_matrices=False)  # (Q,2,2), (Q,2,D)
    m = u @ vt  # (Q, 2, D): the orthogonal map of Amorim et al.
    z = np.einsum("qc,qcd->qd", p - xt, m) + yt
    z[exact] = inv.latents[idx[exact, 0]]
    return z


WEIGHTS = {"local-linear": local_linear_weights, "idw": idw_weights, "snap": snap_weights}

"""Dragging a clip's point on the map: the latent under the ghost, and what the decoder renders of it. No Qt.

The rule (:func:`dragged_latent`): a drag that starts on clip ``i`` at map position ``p0`` and is now at
``p`` decodes ::

    z = mu_i + inverse(p) - inverse(p0)

with both inversions anchored at clip ``i``. At the press (``p == p0``) the difference is exactly zero, so
the first frame decoded is the clip's own latent ``mu_i`` bit for bit; as the mouse moves, the latent moves
by what the map's inverse says that stretch of the map is worth. (``inverse(p)`` alone would not start at
``mu_i``: the inverse blends neighbours and drops the part of ``mu_i`` the map does not show.)
"""

from __future__ import annotations

import time

import numpy as np

from latentlab.app.probe import ProbeResult
from latentlab.core.protocols import ClipDecoder, InverseMap


def dragged_latent(mu_i: np.ndarray, z_press: np.ndarray, z_now: np.ndarray) -> np.ndarray:
    """``mu_i + (z_now - z_press)`` as float32 ``(D,)``; exactly ``mu_i`` when ``z_now`` equals ``z_press``."""
    mu = np.asarray(mu_i, np.float32)
    delta = np.asarray(z_now, np.float32) - np.asarray(z_press, np.float32)
    return (mu + delta).astype(np.float32)


def drag_latent(inverse: InverseMap, mu_i: np.ndarray, clip: int, start: tuple[float, float], x: float, y: float):
    """``(z, res)``: the latent under the ghost at ``(x, y)`` for a drag of clip ``clip`` that started at
    ``start``, and the inverse's answer at ``(x, y)`` (reliability, nearest clip).

    Each point is inverted on its own, as the probe does: the single-point path answers from the
    inverse's tabulated grid once it is built (~0.03 ms), where a batch would fit every point afresh.
    """
    here = inverse.invert(np.array([[x, y]], np.float64), anchor=clip)
    if (float(x), float(y)) == (float(start[0]), float(start[1])):
        return np.asarray(mu_i, np.float32).copy(), here
    pressed = inverse.invert(np.array([start], np.float64), anchor=clip)
    return dragged_latent(mu_i, pressed.z[0], here.z[0]), here


def render_latent(codec: ClipDecoder, z: np.ndarray, pos: tuple[float, float], res=None) -> ProbeResult:
    """Decode latent ``z (D,)`` (on the worker thread) into a :class:`ProbeResult` shown at map ``pos``;
    ``res`` (the inverse's answer for ``pos``) gives its reliability and nearest clip."""
    z = np.asarray(z, np.float32).reshape(1, -1)
    t0 = time.perf_counter()
    frames = codec.decode(z)[0]
    decode_ms = 1000 * (time.perf_counter() - t0)
    reliability, nearest, distance = 1.0, -1, 0.0
    if res is not None:
        reliability = float(np.ravel(res.reliability)[0])
        nearest, distance = int(np.ravel(res.nearest)[0]), float(np.ravel(res.map_distance)[0])
    return ProbeResult(
        pos=(float(pos[0]), float(pos[1])),
        z=z[0],
        frames=frames,
        reliability=reliability,
        nearest=nearest,
        map_distance=distance,
        decode_ms=decode_ms,
    )


def render_drag(
    inverse: InverseMap, codec: ClipDecoder, mu_i: np.ndarray, clip: int, start: tuple[float, float], x: float, y: float
) -> ProbeResult:
    """Decode the latent under the ghost at ``(x, y)`` (see the module docstring), on the worker thread."""
    z, res = drag_latent(inverse, mu_i, clip, start, x, y)
    return render_latent(codec, z, (x, y), res)


def render_pinned(inverse: InverseMap, codec: ClipDecoder, z: np.ndarray, pos: tuple[float, float]) -> ProbeResult:
    """Decode a pinned point's latent ``z`` (on the worker thread), with the inverse's reliability at ``pos``."""
    res = inverse.invert(np.array([pos], np.float64))
    return render_latent(codec, z, pos, res)

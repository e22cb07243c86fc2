"""The probe's render: a map position -> its latent (the map's inverse) -> the decoded clip. No Qt here.

:func:`render_probe` runs on the decode worker for every probe move (latest wins); the panel shows
its :class:`ProbeResult`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from latentlab.core.protocols import ClipDecoder, InverseMap


@dataclass(frozen=True)
class ProbeResult:
    """What the model decodes at one probe position.

    Attributes
    ----------
    pos
        The map position ``(x, y)`` asked for.
    z
        Its latent ``(D,)`` float32.
    frames
        The decoded clip ``(T, H, W, C)`` uint8.
    reliability
        How well the inverse knows this spot, in [0, 1].
    nearest, map_distance
        The nearest real clip on the map and its distance in map units.
    decode_ms
        What the decode alone took.
    """

    pos: tuple[float, float]
    z: np.ndarray
    frames: np.ndarray
    reliability: float
    nearest: int
    map_distance: float
    decode_ms: float


def render_probe(inverse: InverseMap, codec: ClipDecoder, x: float, y: float, anchor: int | None = None) -> ProbeResult:
    """Invert ``(x, y)`` to a latent and decode it (runs on the worker thread)."""
    res = inverse.invert(np.array([[x, y]], np.float64), anchor=anchor)
    z = np.asarray(res.z[:1], np.float32)  # (1, D)
    t0 = time.perf_counter()
    frames = codec.decode(z)[0]  # (T, H, W, C) uint8
    decode_ms = 1000 * (time.perf_counter() - t0)
    return ProbeResult(
        pos=(x, y),
        z=z[0],
        frames=frames,
        reliability=float(np.ravel(res.reliability)[0]),
        nearest=int(np.ravel(res.nearest)[0]),
        map_distance=float(np.ravel(res.map_distance)[0]),
        decode_ms=decode_ms,
    )

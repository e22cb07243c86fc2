"""The decoded grid's render: lattice points -> their latents (the map's inverse) -> one frame each. No Qt here.

:func:`render_grid` runs on the decode worker each time the view settles (latest wins); the map's
decoded-grid layer draws its :class:`GridTiles`. The ``k*k`` latents are decoded as one batch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from latentlab.core.protocols import ClipDecoder, InverseMap
from latentlab.core.view_lattice import Lattice


def shown_frame(clips: np.ndarray) -> np.ndarray:
    """The frame a tile shows of each clip ``(B, T, H, W, C)``: the middle one, ``(B, H, W, C)``."""
    return clips[:, clips.shape[1] // 2]


@dataclass(frozen=True)
class GridTiles:
    """What the model decodes at every point of a lattice.

    Attributes
    ----------
    lattice
        The lattice asked for (its points and tile size).
    z
        ``(k*k, D)`` float32 latents, one per lattice point.
    frames
        ``(k*k, H, W, C)`` uint8, the shown frame of each decoded clip.
    reliability
        ``(k*k,)`` how well the inverse knows each point, in [0, 1].
    decode_ms
        What the batched decode alone took.
    """

    lattice: Lattice
    z: np.ndarray
    frames: np.ndarray
    reliability: np.ndarray
    decode_ms: float


def render_grid(inverse: InverseMap, codec: ClipDecoder, lattice: Lattice) -> GridTiles:
    """Invert every lattice point and decode them all in one batch (runs on the worker thread)."""
    res = inverse.invert(np.asarray(lattice.points, np.float64))
    z = np.ascontiguousarray(res.z, np.float32)  # (k*k, D)
    t0 = time.perf_counter()
    clips = codec.decode(z)  # (k*k, T, H, W, C) uint8
    decode_ms = 1000 * (time.perf_counter() - t0)
    frames = np.ascontiguousarray(shown_frame(np.asarray(clips)))
    return GridTiles(lattice, z, frames, np.asarray(res.reliability, np.float32).ravel(), decode_ms)

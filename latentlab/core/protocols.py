"""The seams between layers, as ``typing.Protocol``: what a view, a job or the project code may use of
a map, its inverse, a clip store and a model. Pure typing: nothing here imports numpy's heavy users.

* :class:`MapProjection`: a fitted 2-D map (:class:`latentlab.core.projection.Projection`).
* :class:`InverseMap`: map point -> latent (:class:`latentlab.core.inverse.InverseProjection`).
* :class:`ClipSource`: the clips behind a dataset (:class:`latentlab.media.clip_store.ClipStore`).
* :class:`ClipDecoder`: latent -> clip, the part of a
  :class:`~latentlab.core.codec_protocol.LatentCodec` the live views use.
* :class:`NeighbourIndex`: nearest neighbours in latent space (:class:`latentlab.core.neighbours.LatentIndex`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:  # scipy behind these: typing only
    from scipy.spatial import cKDTree

    from latentlab.core.inverse import InverseResult

Progress = Callable[[float, str], None]  # (fraction in [0, 1], what is being done)
Cancel = Callable[[], bool]  # True once the user asked to stop


class MapProjection(Protocol):
    """A fitted map of ``N`` latents: ``coords (N, 2)``, the method that made it and a note on it."""

    method: str
    coords: np.ndarray  # (N, 2)
    message: str | None

    def transform(self, new_latents: np.ndarray) -> np.ndarray:
        """Map positions ``(M, 2)`` of latents ``(M, D)`` (out-of-sample)."""
        ...

    def save(self, folder: str | Path, name: str | None = None) -> Path: ...


class InverseMap(Protocol):
    """Map point -> latent for one :class:`MapProjection`."""

    @property
    def map_tree(self) -> cKDTree:
        """KD-tree over the map coordinates, built once with the inverse."""
        ...

    def invert(self, points: np.ndarray, anchor: int | None = None) -> InverseResult:
        """Latents ``z (Q, D)`` for map ``points (Q, 2)``, with reliability and nearest clip."""
        ...

    def build_raster(self, progress: Callable | None = None, cancelled: Cancel | None = None) -> bool:
        """Tabulate the inverse on a grid (off the GUI thread); False when cancelled or not applicable."""
        ...


class ClipSource(Protocol):
    """The clips of a dataset: a clip store or anything shaped like one."""

    path: Path
    fingerprint: str
    sources: list[dict]
    table: Any  # per-clip columns: table["fps"], table["source_id"], ...
    geometry: Any  # .frames, .height, .width, .channels

    def clip_keys(self) -> Sequence[str]: ...

    def read(self, indices: Any) -> np.ndarray:
        """Clips ``(B, T, H, W, C)`` uint8."""
        ...

    def factors(self) -> dict[str, np.ndarray]: ...


class ClipDecoder(Protocol):
    """Latents ``z (B, D)`` to clips ``(B, T, H, W, C)`` uint8 on ``device``."""

    device: str

    def decode(self, z: np.ndarray) -> np.ndarray: ...


class NeighbourIndex(Protocol):
    """Nearest neighbours among the dataset's latents."""

    def knn(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]: ...

    def radius(self, query: np.ndarray, r: float) -> list[tuple[np.ndarray, np.ndarray]]: ...

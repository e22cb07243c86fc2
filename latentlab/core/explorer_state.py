"""The explorer's evented state: dataset, projection, selection, probe, colour field, interpolation.

Pure Python (psygnal): every view of the explorer takes one :class:`ExplorerState` and listens to its
signals, so that a selection made on the map, in the neighbour strip or from a test is drawn by every
view alike (napari's ``Dims`` / ``QtDims`` pattern). Only the GUI thread changes the state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from psygnal import Signal

from latentlab.core.codec_protocol import LatentCodec
from latentlab.core.frame_rate import FALLBACK_FPS
from latentlab.core.interpolation import INTERPOLATION_METHODS
from latentlab.core.protocols import ClipSource, InverseMap, MapProjection, NeighbourIndex

SELECT_MODES = ("replace", "add", "remove", "toggle")


@dataclass(frozen=True)
class ClipField:
    """One per-clip value that the map can colour by.

    ``values`` has one entry per clip; ``categories`` names the integer codes of a categorical field
    (source video, shape, cluster, tag) and is ``None`` for a continuous field (error, KL, factor).
    ``colours`` optionally gives each category its own ``"#rrggbb"`` (tags); else the map's palette.
    ``missing_label`` names the clips with no category (code -1 or NaN) in the legend.
    """

    name: str
    values: np.ndarray  # (N,)
    categories: tuple[str, ...] | None = None
    colours: tuple[str, ...] | None = None
    missing_label: str = "n/a"

    @property
    def categorical(self) -> bool:
        return self.categories is not None


@dataclass
class Dataset:
    """Everything the explorer shows about one store + model pair.

    ``codec`` is a :class:`~latentlab.core.codec_protocol.LatentCodec` (``decode(z (B,D)) -> (B,T,H,W,C)
    uint8``, ``reconstruct``, ``latent_dim``, ``frames``...), or None while the model loads.
    ``read_clips(indices) -> (B,T,H,W,C) uint8`` reads clips from the store. ``index`` answers
    ``knn(query, k)``. None of them is called on the GUI
    thread by the views: they hand them to workers.
    """

    name: str
    mu: np.ndarray  # (N, D) float32
    logvar: np.ndarray  # (N, D) float32
    codec: LatentCodec | None
    read_clips: Callable[[np.ndarray], np.ndarray]
    index: NeighbourIndex | None = None
    fields: dict[str, ClipField] = field(default_factory=dict)
    fps: float = FALLBACK_FPS
    store: ClipSource | None = None
    message: str = ""  # what the map caption adds about the model (a foreign model's latent and reduction)
    cache_dir: Path | None = None  # folder for derived per-dataset results (k-means clusters), or None
    model_fingerprint: str | None = None  # the model's weights hash: with the store's, it keys the saved maps
    _keys: Any = field(default=None, repr=False, compare=False)

    def clip_keys(self) -> np.ndarray:
        """Stable keys of the clips, ``(N,)`` str: the store's ``clip_keys()``, or ``#<index>`` without
        a store. Computed once per dataset (~0.1 s per 100 k clips): tags, projects and exports share it."""
        if self._keys is None:
            store = self.store
            keys = (
                store.clip_keys()
                if store is not None and hasattr(store, "clip_keys")
                else [f"#{i}" for i in range(self.n_clips)]
            )
            self._keys = np.asarray(keys, dtype=str)
        return self._keys

    @property
    def n_clips(self) -> int:
        return int(self.mu.shape[0])

    @property
    def latent_dim(self) -> int:
        return int(self.mu.shape[1])

    def kl_per_clip(self) -> np.ndarray:
        """KL(q(z|x) || N(0, I)) of every clip, in nats, ``(N,)``."""
        return 0.5 * np.sum(self.mu**2 + np.exp(self.logvar) - 1.0 - self.logvar, axis=1)

    def kl_per_dim(self) -> np.ndarray:
        """Mean KL of each latent dimension over the clips, ``(D,)``: which dimensions carry information."""
        return 0.5 * np.mean(self.mu**2 + np.exp(self.logvar) - 1.0 - self.logvar, axis=0)


class ExplorerState:
    """The shared, evented state of one explorer window."""

    dataset_changed = Signal(object)  # Dataset | None
    codec_changed = Signal(object)  # the dataset's model arrived (loaded after the map) or changed
    projection_changed = Signal(object)  # Projection (has .coords (N, 2))
    layout_preview = Signal(object)  # (N, 2) coords of a projection still being fitted
    selection_changed = Signal(object)  # (K,) int64 sorted clip indices
    current_changed = Signal(int)  # the clip shown in the player, -1 for none
    probe_moved = Signal(float, float)
    colour_field_changed = Signal(str)
    field_added = Signal(str)  # a per-clip field was added or replaced (the colour choices follow)
    shown_changed = Signal(object)  # (K,) int64 clips the map shows undimmed, or None for all
    interpolation_changed = Signal(object)  # (a, b, method) with a/b clip index or -1
    path_changed = Signal(object)  # (n, 2) map coordinates of the interpolation path, or None

    def __init__(self) -> None:
        self.dataset: Dataset | None = None
        self.projection: MapProjection | None = None
        self.inverse: InverseMap | None = None
        self.selection = np.zeros(0, np.int64)
        self.current = -1
        self.probe: tuple[float, float] | None = None
        self.colour_field = ""
        self.interp_a = -1
        self.interp_b = -1
        self.interp_method = "slerp"
        self.interp_generated: dict[str, tuple[str, np.ndarray]] = {}  # "a"/"b": (name, latent) of a pinned end
        self.path_xy: np.ndarray | None = None
        self.shown: np.ndarray | None = None

    # ------------------------------------------------------------------------------- dataset
    def set_dataset(self, dataset: Dataset | None) -> None:
        """Show a new dataset; resets the selection, projection, probe and interpolation."""
        self.dataset = dataset
        self.projection = self.inverse = None
        self.selection = np.zeros(0, np.int64)
        self.current = -1
        self.probe = None
        self.interp_a = self.interp_b = -1
        self.interp_generated = {}
        self.shown = None
        if dataset is not None and self.colour_field not in dataset.fields:
            self.colour_field = next(iter(dataset.fields), "")
        self.dataset_changed.emit(dataset)

    def set_codec(self, codec: LatentCodec) -> None:
        """Give the dataset its model (the map can be shown before the model has loaded)."""
        if self.dataset is not None:
            self.dataset.codec = codec
            self.codec_changed.emit(codec)

    def set_projection(self, projection: MapProjection, inverse: InverseMap | None = None) -> None:
        """Install a fitted projection (``.coords (N, 2)``) and its inverse (``.invert``)."""
        coords = np.asarray(projection.coords)
        if self.dataset is not None and coords.shape != (self.dataset.n_clips, 2):
            raise ValueError(f"projection has coords of shape {coords.shape}, expected ({self.dataset.n_clips}, 2)")
        self.projection, self.inverse = projection, inverse
        self.projection_changed.emit(projection)

    def preview_layout(self, coords: np.ndarray) -> None:
        """Show intermediate coordinates of a projection being fitted (animates the map)."""
        self.layout_preview.emit(np.asarray(coords, np.float32))

    @property
    def coords(self) -> np.ndarray | None:
        return None if self.projection is None else np.asarray(self.projection.coords)

    # ------------------------------------------------------------------------------ selection
    def select(self, indices, mode: str = "replace") -> None:
        """Change the selection: ``replace`` it, ``add`` to it, ``remove`` from it or ``toggle``."""
        if mode not in SELECT_MODES:
            raise ValueError(f"selection mode must be one of {SELECT_MODES}, got {mode!r}")
        idx = np.unique(np.asarray(indices, np.int64).ravel())
        n = self.dataset.n_clips if self.dataset is not None else 0
        if idx.size and (idx[0] < 0 or idx[-1] >= n):
            raise IndexError(f"clip index out of range for {n} clips")
        if mode == "replace":
            new = idx
        elif mode == "add":
            new = np.union1d(self.selection, idx)
        elif mode == "remove":
            new = np.setdiff1d(self.selection, idx)
        else:
            new = np.setxor1d(self.selection, idx)
        new = new.astype(np.int64)
        changed = not np.array_equal(new, self.selection)
        self.selection = new
        if changed:
            self.selection_changed.emit(new)
        # The player follows the last clip the user picked, if it is still selected.
        if idx.size == 1 and mode != "remove" and idx[0] in new:
            self.set_current(int(idx[0]))
        elif self.current not in new and new.size:
            self.set_current(int(new[-1]))

    def set_current(self, index: int) -> None:
        """Show clip ``index`` in the player (``-1`` for none)."""
        index = int(index)
        if index != self.current:
            self.current = index
            self.current_changed.emit(index)

    # ---------------------------------------------------------------------- probe and colour
    def move_probe(self, x: float, y: float) -> None:
        """Put the probe at map position ``(x, y)``."""
        self.probe = (float(x), float(y))
        self.probe_moved.emit(float(x), float(y))

    def set_colour_field(self, name: str) -> None:
        if self.dataset is not None and name not in self.dataset.fields:
            raise KeyError(f"no per-clip field {name!r}; known: {sorted(self.dataset.fields)}")
        if name != self.colour_field:
            self.colour_field = name
            self.colour_field_changed.emit(name)

    def add_field(self, clip_field: ClipField) -> None:
        """Add (or replace) a per-clip field, e.g. reconstruction error once it has been computed."""
        if self.dataset is None:
            return
        self.dataset.fields[clip_field.name] = clip_field
        self.field_added.emit(clip_field.name)
        if self.colour_field == clip_field.name:
            self.colour_field_changed.emit(clip_field.name)

    def set_shown(self, indices) -> None:
        """Show only clips ``indices`` on the map (the others dimmed, still pickable); ``None`` shows all."""
        self.shown = None if indices is None else np.asarray(indices, np.int64)
        self.shown_changed.emit(self.shown)

    # --------------------------------------------------------------------------- interpolation
    def set_interpolation(self, a: int | None = None, b: int | None = None, method: str | None = None) -> None:
        """Set the interpolation end clips ``a``, ``b`` and/or the ``method`` (lerp or slerp)."""
        if method is not None and method not in INTERPOLATION_METHODS:
            raise ValueError(f"interpolation method must be one of {INTERPOLATION_METHODS}, got {method!r}")
        self.interp_a = self.interp_a if a is None else int(a)
        self.interp_b = self.interp_b if b is None else int(b)
        for end, given in (("a", a), ("b", b)):
            if given is not None:  # a clip for this end replaces a generated one
                self.interp_generated.pop(end, None)
        self.interp_method = method or self.interp_method
        self.interpolation_changed.emit((self.interp_a, self.interp_b, self.interp_method))

    def set_generated_end(self, end: str, name: str, z) -> None:
        """Make interpolation end ``end`` (``"a"`` or ``"b"``) the generated latent ``z (D,)`` called ``name``
        (a pinned point) instead of a clip; :meth:`set_interpolation` with a clip for that end replaces it."""
        if end not in ("a", "b"):
            raise ValueError(f"interpolation end must be 'a' or 'b', got {end!r}")
        z = np.asarray(z, np.float32).reshape(-1)
        if self.dataset is not None and z.shape != (self.dataset.latent_dim,):
            raise ValueError(f"a latent of {z.size} values for a model of {self.dataset.latent_dim}")
        self.interp_generated[end] = (str(name), z)
        setattr(self, f"interp_{end}", -1)
        self.interpolation_changed.emit((self.interp_a, self.interp_b, self.interp_method))

    def interpolation_end(self, end: str) -> tuple[str, np.ndarray] | None:
        """``(name, latent)`` of interpolation end ``end``: a clip's mean (``"clip 12"``) or a generated
        latent (a pinned point); ``None`` while that end is not set."""
        if end in self.interp_generated:
            return self.interp_generated[end]
        i, ds = (self.interp_a if end == "a" else self.interp_b), self.dataset
        if ds is None or not 0 <= i < ds.n_clips:
            return None
        return f"clip {i}", ds.mu[i]

    def set_path(self, path_xy: np.ndarray | None) -> None:
        """Draw the interpolation path ``(n, 2)`` on the map (``None`` hides it)."""
        self.path_xy = None if path_xy is None else np.asarray(path_xy, np.float32)
        self.path_changed.emit(self.path_xy)

"""PosteriorCloud: S samples of the current clip's posterior (or of the prior) as a cloud on the map
and as a grid of decodes, with a slider for the scale of eps.

Posterior: ``z = mu + sigma * (scale * eps)``; prior: ``z = scale * eps``, ``eps ~ N(0, I)``, seeded
(:mod:`latentlab.core.teaching`). The map positions come from the projection's out-of-sample
``transform`` (exact for PCA, neighbour placement for t-SNE/UMAP) and the decodes from the codec,
both on the decode worker ("teach_cloud", latest wins; a result is drawn only if it answers the
newest request). The cloud is a separate scatter item on the map's view box, removed when the
clip changes, when the panel is switched off, or when the source changes.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from latentlab.core import teaching
from latentlab.core.explorer_state import ExplorerState
from latentlab.core.frame_rate import FALLBACK_FPS
from latentlab.gui.errors import guarded, listen
from latentlab.gui.widgets.frame_view import FrameView
from latentlab.gui.workers import DecodeWorker

CHANNEL = "teach_cloud"
SOURCES = ("posterior of the clip", "prior N(0, I)")
GRID = 4  # GRID x GRID decodes
SCALE_STEPS = 100  # slider ticks per decade of eps scale (logarithmic: trained posteriors can be very narrow)
SCALE_DECADES = (-2, 2)  # 0.01 .. 100; the slider's 0 is scale 0 (the cloud collapses onto mu)
COLOURS = {"posterior": (120, 205, 255, 170), "prior": (255, 130, 200, 150)}


def cloud_latents(mu, logvar, source: str, n: int, scale: float, seed: int, dim: int) -> np.ndarray:
    """The samples the panel draws: ``(n, D)`` float32 (``mu``/``logvar`` unused for the prior)."""
    if source == "prior":
        return teaching.prior_samples(dim, n, scale, seed)
    return teaching.posterior_samples(mu, logvar, n, scale, seed)


class PosteriorCloud(QWidget):
    """Samples of q(z|x) or p(z) on ``map_widget`` (a LatentMap) and as decodes;
    ``cloud_shown(z (S, D), xy (S, 2))`` when a cloud is drawn."""

    cloud_shown = Signal(object, object)

    def __init__(self, state: ExplorerState, worker: DecodeWorker, map_widget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state, self.worker, self.map = state, worker, map_widget
        self.active = False
        self.z: np.ndarray | None = None  # (S, D) of the cloud on screen
        self._token = None
        self.item = pg.ScatterPlotItem(size=6, pen=None, pxMode=True)
        self.item.setZValue(95)  # above the clips, below the path, cursor and probe (100+)
        self.item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.map.view.addItem(self.item, ignoreBounds=True)
        self.source = QComboBox()
        self.source.addItems(SOURCES)
        self.count = QSpinBox()
        self.count.setRange(1, 2000)
        self.count.setValue(200)
        self.count.setPrefix("S = ")
        self.scale = QSlider(Qt.Orientation.Horizontal)
        self.scale.setRange(0, (SCALE_DECADES[1] - SCALE_DECADES[0]) * SCALE_STEPS)
        self.set_eps_scale(1.0)
        self.scale_label = QLabel()
        self.scale_label.setObjectName("numbers")
        self.seed = QSpinBox()
        self.seed.setRange(0, 1_000_000)
        self.seed.setPrefix("seed ")
        self.resample = QPushButton("Resample")
        self.on_map = QCheckBox("show on the map")
        self.on_map.setChecked(True)
        self.stats = QLabel()
        self.stats.setObjectName("numbers")
        self.stats.setWordWrap(True)
        self.scale.setToolTip(
            "ε scale, logarithmic from 0.01 to 100 (far left: 0). A trained VAE's posteriors are "
            "often so narrow that the cloud is a dot on the map at scale 1"
        )
        self.views = [FrameView(min_size=40, animate=True) for _ in range(GRID * GRID)]
        for v in self.views:  # share the height that is left instead of asking 160 px each (see teach.py)
            v.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        row1 = QHBoxLayout()
        for w in (self.source, self.count, self.seed, self.resample):
            row1.addWidget(w)
        row2 = QHBoxLayout()
        row2.addWidget(QLabel("ε scale"))
        row2.addWidget(self.scale, 1)
        row2.addWidget(self.scale_label)
        row2.addWidget(self.on_map)
        grid = QGridLayout()
        grid.setSpacing(2)
        for k, v in enumerate(self.views):
            grid.addWidget(v, k // GRID, k % GRID)
        lay = QVBoxLayout(self)
        lay.addLayout(row1)
        lay.addLayout(row2)
        lay.addWidget(self.stats)
        lay.addLayout(grid, 1)
        for signal in (
            self.source.currentIndexChanged,
            self.count.valueChanged,
            self.seed.valueChanged,
            self.scale.valueChanged,
            self.on_map.toggled,
        ):
            signal.connect(guarded(lambda *_: self.refresh()))
        self.resample.clicked.connect(guarded(lambda: self.seed.setValue(self.seed.value() + 1)))
        self.channel = worker.channel(CHANNEL)
        self.channel.ready.connect(self._on_result)
        listen(self, state.dataset_changed, lambda *_: self.refresh())
        listen(self, state.projection_changed, lambda *_: self.refresh())
        listen(self, state.codec_changed, lambda *_: self.refresh())
        listen(self, state.current_changed, self._on_current_changed)
        self._show_scale()

    # ------------------------------------------------------------------------------ inputs
    @property
    def source_name(self) -> str:
        return "prior" if self.source.currentIndex() == 1 else "posterior"

    @property
    def eps_scale(self) -> float:
        v = self.scale.value()
        return 0.0 if v == 0 else float(10.0 ** (SCALE_DECADES[0] + v / SCALE_STEPS))

    def set_eps_scale(self, scale: float) -> None:
        """Move the slider to the position nearest ``scale`` (0, or 0.01 .. 100 on a log scale)."""
        v = 0 if scale <= 0 else int(round((np.log10(scale) - SCALE_DECADES[0]) * SCALE_STEPS))
        self.scale.setValue(max(0 if scale <= 0 else 1, min(v, self.scale.maximum())))

    def _show_scale(self) -> None:
        self.scale_label.setText(f"{self.eps_scale:.3g}")

    def set_active(self, active: bool) -> None:
        """Draw only while the teaching dock is open; closing it removes the cloud."""
        self.active = bool(active)
        self.refresh()

    def _on_current_changed(self, _index: int) -> None:
        if self.source_name == "posterior":
            self.clear()  # the cloud belonged to the previous clip: never show it beside the new one
        self.refresh()

    def clear(self) -> None:
        """Remove the cloud from the map (the grid keeps its last decodes)."""
        self.item.setData([], [])
        self.z = None

    # ------------------------------------------------------------------------------ work
    def refresh(self) -> None:
        """Draw new samples for the current settings and ask the worker to place and decode them."""
        self._show_scale()
        ds, i = self.state.dataset, self.state.current
        self._token = None
        if not self.active or ds is None or ds.n_clips == 0:
            self.clear()
            return
        prior = self.source_name == "prior"
        if not prior and not 0 <= i < ds.n_clips:
            self.clear()
            self.stats.setText("Select a clip to sample its posterior.")
            return
        mu, logvar = ds.mu[i] if not prior else None, ds.logvar[i] if not prior else None
        z = cloud_latents(
            mu, logvar, self.source_name, self.count.value(), self.eps_scale, self.seed.value(), ds.latent_dim
        )
        self.stats.setText(self._stats_text(z, mu, logvar))
        projection = self.state.projection if self.on_map.isChecked() else None
        if projection is None:
            self.clear()
        codec, token = ds.codec, object()
        self._token = token

        def work():
            xy = None if projection is None else projection.transform(z)  # (S, 2); t-SNE: neighbour placement
            frames = None if codec is None else codec.decode(z[: GRID * GRID])  # (k, T, H, W, C)
            return token, z, xy, frames

        self.channel.request(work)

    def _stats_text(self, z: np.ndarray, mu, logvar) -> str:
        """Sample statistics against what they estimate: the teaching point of the slider."""
        s = self.eps_scale
        if mu is None:
            norms = np.linalg.norm(z, axis=1)
            return (
                f"{len(z)} prior samples z = {s:.2f}·ε: sample std {z.std(0).mean():.3f} (expected {s:.2f}); "
                f"‖z‖ median {np.median(norms):.2f}, √D·{s:.2f} = {teaching.typical_norm(z.shape[1]) * s:.2f}"
            )
        sigma = np.exp(0.5 * np.asarray(logvar, np.float64))
        err = np.abs(z.mean(0) - mu).max() if len(z) else 0.0
        ratio = (z.std(0) / sigma).mean() if len(z) > 1 else 0.0
        return (
            f"{len(z)} samples z = μ + σ ⊙ ({s:.2f}·ε): max |mean − μ| = {err:.3f}, "
            f"sample std / σ = {ratio:.3f} (expected {s:.2f}); mean σ of this clip {sigma.mean():.3f}"
        )

    @guarded
    def _on_result(self, rid: int, result) -> None:
        if rid != self.channel.latest:  # a newer request is on its way
            return
        token, z, xy, frames = result
        if token is not self._token:
            return
        if xy is not None:
            self.item.setData(pos=np.asarray(xy, np.float64), brush=pg.mkBrush(*COLOURS[self.source_name]))
            self.z = z
            self.cloud_shown.emit(z, xy)
        if frames is not None:
            fps = self.state.dataset.fps if self.state.dataset is not None else FALLBACK_FPS
            for k, v in enumerate(self.views):
                v.set_fps(fps)
                v.set_frames(frames[k] if k < len(frames) else None, tag=(rid, k))

"""LatentSliders: one slider per latent dimension, ordered by how much information it carries (KL).

The sliders start from the current clip's mean latent; moving one decodes the new latent live on
the worker ("sliders" channel, latest wins). Buttons draw a prior sample z ~ N(0, I), a posterior
sample z = mu + sigma * eps of the current clip, or reset to its mu.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSlider, QVBoxLayout, QWidget

from latentlab.core.explorer_state import ExplorerState
from latentlab.gui.errors import guarded, listen
from latentlab.gui.widgets.frame_view import FrameView
from latentlab.gui.workers import DecodeWorker


@dataclass(frozen=True)
class DecodedLatent:
    """What the "sliders" channel returns: the latent ``z (D,)`` and its clip ``(T, H, W, C)`` uint8."""

    z: np.ndarray
    frames: np.ndarray


STEPS_PER_UNIT = 100  # slider ticks per unit of z
Z_RANGE = 4.0


class LatentSliders(QWidget):
    """Edit a latent dimension by dimension; ``rendered(z, frames)`` when its decode is shown."""

    rendered = Signal(object, object)

    def __init__(
        self, state: ExplorerState, worker: DecodeWorker, parent: QWidget | None = None, seed: int | None = None
    ) -> None:
        super().__init__(parent)
        self.state, self.worker = state, worker
        self.z = np.zeros(0, np.float32)
        self.order = np.zeros(0, np.int64)  # dimensions, most informative first
        self.sliders: list[QSlider] = []  # sliders[k] edits z[order[k]]
        self._values: list[QLabel] = []
        self._rng = np.random.default_rng(seed)
        self._updating = False
        self.view = FrameView(caption="decoded from the sliders")
        self.prior = QPushButton("Prior sample")
        self.posterior = QPushButton("Posterior sample")
        self.reset = QPushButton("Reset to clip")
        buttons = QHBoxLayout()
        for b in (self.prior, self.posterior, self.reset):
            buttons.addWidget(b)
        self._rows = QWidget()
        self._grid = QGridLayout(self._rows)
        self._grid.setVerticalSpacing(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._rows)
        lay = QVBoxLayout(self)
        lay.addWidget(self.view, 1)
        lay.addLayout(buttons)
        lay.addWidget(scroll, 1)
        self.prior.clicked.connect(guarded(self.sample_prior))
        self.posterior.clicked.connect(guarded(self.sample_posterior))
        self.reset.clicked.connect(guarded(self.reset_to_clip))
        listen(self, state.dataset_changed, self._on_dataset_changed)
        listen(self, state.current_changed, lambda *_: self.reset_to_clip())
        listen(self, state.codec_changed, lambda *_: self.reset_to_clip())
        self.channel = worker.channel("sliders")
        self.channel.ready.connect(self._on_result)

    # ---------------------------------------------------------------------------- building
    def _on_dataset_changed(self, dataset) -> None:
        for w in self.sliders + self._values:
            w.deleteLater()
        while self._grid.count():
            item = self._grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.sliders, self._values = [], []
        self.view.set_frames(None)
        if dataset is None:
            self.z = np.zeros(0, np.float32)
            return
        kl = dataset.kl_per_dim()
        self.order = np.argsort(-kl, kind="stable")
        self.z = np.zeros(dataset.latent_dim, np.float32)
        for col, (text, tip) in enumerate(
            (
                ("dim", "latent dimensions, most used (highest KL) first"),
                ("", ""),
                ("z", "the value of this dimension in the decoded latent"),
                ("KL", "mean KL of this dimension over all clips, in nats: near 0 = unused by the model"),
            )
        ):
            head = QLabel(text)
            head.setToolTip(tip)
            self._grid.addWidget(head, 0, col)
        for k, d in enumerate(self.order):
            name = QLabel(f"z{d}")
            name.setToolTip(f"dimension {d}: mean KL {kl[d]:.3f} nats")
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(int(-Z_RANGE * STEPS_PER_UNIT), int(Z_RANGE * STEPS_PER_UNIT))
            value = QLabel("0.00")
            value.setObjectName("numbers")
            value.setMinimumWidth(44)
            kl_label = QLabel(f"{kl[d]:.2f}")
            kl_label.setObjectName("numbers")
            slider.valueChanged.connect(lambda v, k=k: self._on_slider(k, v))
            kl_label.setToolTip(f"dimension {d}: mean KL {kl[d]:.3f} nats")
            for col, w in enumerate((name, slider, value, kl_label)):
                self._grid.addWidget(w, k + 1, col)
            self.sliders.append(slider)
            self._values += [value]
        self._grid.setColumnStretch(1, 1)

    # ---------------------------------------------------------------------------- editing
    def set_z(self, z: np.ndarray) -> None:
        """Move every slider to ``z (D,)`` (clipped to the slider range) and decode it."""
        z = np.asarray(z, np.float32).ravel()
        if z.shape != self.z.shape:
            raise ValueError(f"z has {z.size} dimensions, the sliders {self.z.size}")
        self.z = np.clip(z, -Z_RANGE, Z_RANGE)
        self._updating = True
        try:
            for k, d in enumerate(self.order):
                self.sliders[k].setValue(int(round(float(self.z[d]) * STEPS_PER_UNIT)))
                self._values[k].setText(f"{self.z[d]:+.2f}")
        finally:
            self._updating = False
        self._request()

    def reset_to_clip(self) -> None:
        ds, i = self.state.dataset, self.state.current
        if ds is not None and self.z.size:
            self.set_z(ds.mu[i] if i >= 0 else np.zeros(ds.latent_dim, np.float32))

    def sample_prior(self) -> None:
        if self.z.size:
            self.set_z(self._rng.standard_normal(self.z.size))

    def sample_posterior(self) -> None:
        ds, i = self.state.dataset, self.state.current
        if ds is None or not self.z.size:
            return
        if i < 0:
            self.sample_prior()
            return
        eps = self._rng.standard_normal(self.z.size)
        self.set_z(ds.mu[i] + np.exp(0.5 * ds.logvar[i]) * eps)

    @guarded
    def _on_slider(self, k: int, value: int) -> None:
        if self._updating:
            return
        d = self.order[k]
        self.z = self.z.copy()
        self.z[d] = value / STEPS_PER_UNIT
        self._values[k].setText(f"{self.z[d]:+.2f}")
        self._request()

    def _request(self) -> None:
        ds = self.state.dataset
        if ds is None or ds.codec is None:
            return
        codec, z = ds.codec, self.z.copy()
        self.channel.request(lambda: DecodedLatent(z, codec.decode(z[None])[0]))

    @guarded
    def _on_result(self, rid: int, result: DecodedLatent) -> None:
        z, frames = result.z, result.frames
        if self.state.dataset is not None:
            self.view.set_fps(self.state.dataset.fps)
        self.view.set_frames(frames, tag=rid)
        self.rendered.emit(z, frames)

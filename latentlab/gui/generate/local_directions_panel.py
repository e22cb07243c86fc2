"""LocalDirectionsPanel: "what varies here": sliders along the principal directions of the clips
nearest to the probe.

When the probe settles (debounced), the worker ("local_basis" channel) inverts its map position to a
latent and analyses the latents of its :data:`LOCAL_K` nearest clips
(:func:`~latentlab.core.local_directions.probe_directions`); the panel then offers one slider per
direction, in units of the neighbours' standard deviation along it (-3..3), with the share of local
variance it explains. Moving a slider decodes ``probe_z + sum_i a_i std_i v_i`` live ("local"
channel, latest wins). Nothing is computed while the panel is hidden; it catches up when shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QSizePolicy, QSlider, QVBoxLayout, QWidget

from latentlab.core.explorer_state import ExplorerState
from latentlab.core.local_directions import LOCAL_K, LOCAL_M, LocalDirections, probe_directions
from latentlab.gui.errors import guarded, listen
from latentlab.gui.generate.latent_sliders import DecodedLatent
from latentlab.gui.widgets.frame_view import FrameView
from latentlab.gui.workers import DecodeWorker

STEPS_PER_STD = 100  # slider ticks per local standard deviation
STD_RANGE = 3.0
SETTLE_MS = 120  # the probe must rest this long before its neighbourhood is analysed


@dataclass(frozen=True)
class LocalBasis:
    """What the "local_basis" channel returns: the directions at map position ``pos`` of ``dataset``."""

    dataset: Any
    pos: tuple[float, float]
    basis: LocalDirections


def basis_at(dataset: Any, inverse: Any, x: float, y: float, k: int = LOCAL_K, m: int = LOCAL_M) -> LocalBasis:
    """The probe's latent at ``(x, y)`` (the map's inverse) and its local directions (on the worker)."""
    z = np.asarray(inverse.invert(np.array([[x, y]], np.float64)).z[0], np.float64)
    return LocalBasis(dataset, (x, y), probe_directions(dataset.index, dataset.mu, z, k, m))


class LocalDirectionsPanel(QWidget):
    """Sliders along the local principal directions at the probe.

    ``basis_changed(LocalDirections)`` when new directions are shown; ``rendered(z, frames)`` when
    the decode of the sliders' latent is shown.
    """

    basis_changed = Signal(object)
    rendered = Signal(object, object)

    def __init__(self, state: ExplorerState, worker: DecodeWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state, self.worker = state, worker
        self.basis: LocalDirections | None = None
        self._stale = False  # the probe moved while the panel was hidden
        self._updating = False
        self.view = FrameView(caption="decoded along the local directions")
        self.info = QLabel("drag the red probe on the map: its neighbourhood's directions appear here")
        self.info.setWordWrap(True)
        self.info.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.reset = QPushButton("Back to the probe")
        self.reset.setToolTip("every slider to 0: the latent at the probe")
        grid = QGridLayout()
        grid.setVerticalSpacing(1)
        heads = (
            ("direction", f"principal directions of the {LOCAL_K} clips nearest to the probe, most variance first"),
            ("", ""),
            ("σ", "the slider's position in standard deviations of the neighbours along this direction"),
            ("share", "the share of the neighbours' total variance along this direction"),
        )
        for col, (text, tip) in enumerate(heads):
            head = QLabel(text)
            head.setToolTip(tip)
            grid.addWidget(head, 0, col)
        self.sliders: list[QSlider] = []
        self._values: list[QLabel] = []
        self._shares: list[QLabel] = []
        for i in range(LOCAL_M):
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(int(-STD_RANGE * STEPS_PER_STD), int(STD_RANGE * STEPS_PER_STD))
            slider.valueChanged.connect(guarded(self._on_slider))
            value, share = QLabel("+0.00"), QLabel("")
            for label in (value, share):
                label.setObjectName("numbers")
                label.setMinimumWidth(44)
            for col, w in enumerate((QLabel(f"v{i + 1}"), slider, value, share)):
                grid.addWidget(w, i + 1, col)
            self.sliders.append(slider)
            self._values.append(value)
            self._shares.append(share)
        grid.setColumnStretch(1, 1)
        lay = QVBoxLayout(self)
        lay.addWidget(self.view, 1)
        lay.addLayout(grid)
        lay.addWidget(self.reset)
        lay.addWidget(self.info)
        self._settle = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._settle.timeout.connect(guarded(self._request_basis))
        self.reset.clicked.connect(guarded(lambda: self._set_amounts(np.zeros(LOCAL_M))))
        self.basis_channel = worker.channel("local_basis")
        self.basis_channel.ready.connect(self._on_basis)
        self.channel = worker.channel("local")
        self.channel.ready.connect(self._on_result)
        listen(self, state.probe_moved, lambda *_: self._probe_moved())
        listen(self, state.projection_changed, lambda *_: self._probe_moved())
        listen(self, state.codec_changed, lambda *_: self._probe_moved())
        listen(self, state.dataset_changed, lambda *_: self._clear())
        self._clear()

    # ---------------------------------------------------------------------------- the neighbourhood
    def _clear(self) -> None:
        self.basis = None
        self._settle.stop()
        self.view.set_frames(None)
        self._show_rows()

    def _probe_moved(self) -> None:
        if self.state.probe is None:
            return
        if not self.isVisible():
            self._stale = True
            return
        self._settle.start()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        if self._stale or (self.basis is None and self.state.probe is not None):
            self._stale = False
            self._settle.start()

    def _request_basis(self) -> None:
        ds, inverse, probe = self.state.dataset, self.state.inverse, self.state.probe
        if ds is None or inverse is None or probe is None or ds.index is None:
            return
        x, y = probe
        self.basis_channel.request(lambda: basis_at(ds, inverse, x, y))

    @guarded
    def _on_basis(self, _rid: int, result: LocalBasis) -> None:
        if result.dataset is not self.state.dataset:
            return  # analysed for the dataset shown before
        self.basis = result.basis
        self._show_rows()
        b = result.basis
        x, y = result.pos
        self.info.setText(
            f"{len(b.neighbours)} clips nearest to the probe at ({x:.3g}, {y:.3g}): "
            f"{b.m} directions explain {100 * float(b.explained.sum()):.0f} % of their variance"
        )
        self.basis_changed.emit(b)
        self._set_amounts(np.zeros(LOCAL_M))

    def _show_rows(self) -> None:
        m = self.basis.m if self.basis is not None else 0
        for i, (slider, value, share) in enumerate(zip(self.sliders, self._values, self._shares)):
            on = i < m
            slider.setEnabled(on)
            share.setText(f"{100 * self.basis.explained[i]:.0f} %" if on else "")
            tip = (
                f"direction {i + 1}: std {self.basis.std[i]:.3g} along it, "
                f"{100 * self.basis.explained[i]:.1f} % of the local variance"
                if on
                else "no spread along a further direction here"
            )
            for w in (slider, value, share):
                w.setToolTip(tip)

    # ---------------------------------------------------------------------------- editing
    def amounts(self) -> np.ndarray:
        """The sliders' positions ``(m,)`` in local standard deviations."""
        m = self.basis.m if self.basis is not None else 0
        return np.array([s.value() / STEPS_PER_STD for s in self.sliders[:m]], np.float64)

    def _set_amounts(self, amounts: np.ndarray) -> None:
        self._updating = True
        try:
            for slider, value, a in zip(self.sliders, self._values, amounts):
                slider.setValue(int(round(a * STEPS_PER_STD)))
                value.setText(f"{a:+.2f}")
        finally:
            self._updating = False
        self._request()

    def _on_slider(self, _value: int) -> None:
        if self._updating:
            return
        for slider, value in zip(self.sliders, self._values):
            value.setText(f"{slider.value() / STEPS_PER_STD:+.2f}")
        self._request()

    def _request(self) -> None:
        ds, basis = self.state.dataset, self.basis
        if ds is None or ds.codec is None or basis is None:
            return
        codec, z = ds.codec, basis.latent(self.amounts())
        self.channel.request(lambda: DecodedLatent(z, codec.decode(z[None])[0]))

    @guarded
    def _on_result(self, rid: int, result: DecodedLatent) -> None:
        if self.basis is None:
            return  # decoded for a dataset (or probe) no longer shown
        if self.state.dataset is not None:
            self.view.set_fps(self.state.dataset.fps)
        self.view.set_frames(result.frames, tag=rid)
        self.rendered.emit(result.z, result.frames)

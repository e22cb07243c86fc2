"""ProbePanel: what the model decodes at the probe's position on the map, live.

Every probe move asks the decode worker ("probe" channel, latest wins) to invert the map position to
a latent (the latent service's inverse projection) and decode it; the panel shows the decoded clip,
the reliability of the inverse at that spot and the nearest real clip beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QProgressBar, QSizePolicy, QVBoxLayout, QWidget

from latentlab.app.probe import ProbeResult, render_probe
from latentlab.core.explorer_state import ExplorerState
from latentlab.core.frame_rate import FALLBACK_FPS
from latentlab.gui.errors import guarded, listen
from latentlab.gui.widgets.frame_view import FrameView
from latentlab.gui.workers import ClipFrames, DecodeWorker


@dataclass(frozen=True)
class ProbeFrame:
    """What the "probe" channel returns: the render and the dataset it was made for."""

    dataset: Any
    result: ProbeResult


class ProbePanel(QWidget):
    """Decoded clip at the probe, its reliability and the nearest real clip.

    ``rendered(result)`` is emitted when the frame for the newest probe position is shown.
    """

    rendered = Signal(object)

    def __init__(self, state: ExplorerState, worker: DecodeWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state, self.worker = state, worker
        self.result: ProbeResult | None = None
        self.decoded = FrameView(caption="decoded at the probe")
        self.nearest = FrameView(caption="nearest real clip")
        self.reliability = QProgressBar()
        self.reliability.setRange(0, 100)
        self.reliability.setFormat("reliability %p%")
        self.info = QLabel("drag the red probe on the map")
        self.info.setObjectName("numbers")
        # One fixed line whose width never drives the layout: a label that re-wraps, or whose text
        # grows wider as the numbers change, would resize the docks, and with them the map, mid-drag
        # (each map resize re-renders 100k points: the drag benchmark's 50-90 ms stalls).
        self.info.setFixedHeight(self.info.fontMetrics().height() + 4)
        self.info.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        grid = QGridLayout()
        grid.addWidget(self.decoded, 0, 0)
        grid.addWidget(self.nearest, 0, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(grid, 1)
        lay.addWidget(self.reliability)
        lay.addWidget(self.info)
        self.nearest.clicked.connect(self._on_nearest_clicked)
        self.channel = worker.channel("probe")
        self.near_channel = worker.channel("probe_near")  # the nearest real clip comes second
        self.channel.ready.connect(self._on_result)
        self.near_channel.ready.connect(self._on_nearest)
        listen(self, state.probe_moved, self._on_probe_moved)
        listen(self, state.codec_changed, lambda *_: state.probe is not None and self._on_probe_moved(*state.probe))
        # A new map (the sample data's t-SNE replacing the first PCA map) puts other clips under the probe.
        listen(
            self, state.projection_changed, lambda *_: state.probe is not None and self._on_probe_moved(*state.probe)
        )
        listen(self, state.dataset_changed, lambda *_: self._clear())

    def _clear(self) -> None:
        self.result = None
        self.decoded.set_frames(None)
        self.nearest.set_frames(None)
        self.reliability.setValue(0)
        self.info.setText("drag the red probe on the map")

    def _on_probe_moved(self, x: float, y: float) -> None:
        ds, inverse = self.state.dataset, self.state.inverse
        if ds is None or inverse is None or ds.codec is None:
            return
        codec = ds.codec
        # No anchor: on a PCA map the probe moves the *nearest* clip's latent within the map plane,
        # so what is decoded stays close to the real clip shown beside it.
        # The result carries its dataset: one still in flight when the dataset changes is dropped.
        self.channel.request(lambda: ProbeFrame(ds, render_probe(inverse, codec, x, y)))

    @guarded
    def _on_nearest(self, _rid: int, near: ClipFrames) -> None:
        if near.dataset is self.state.dataset and self.result is not None and near.index == self.result.nearest:
            self.nearest.set_frames(near.frames, tag=near.index)

    @guarded
    def _on_result(self, rid: int, frame: ProbeFrame) -> None:
        if frame.dataset is not self.state.dataset:
            return  # a frame decoded for the dataset shown before
        r = frame.result
        previous = self.result.nearest if self.result is not None else -1
        self.result = r
        fps = self.state.dataset.fps if self.state.dataset is not None else FALLBACK_FPS
        for view in (self.decoded, self.nearest):
            view.set_fps(fps)
        self.decoded.set_frames(r.frames, tag=rid)
        if r.nearest != previous and self.state.dataset is not None:
            ds, i = self.state.dataset, r.nearest
            self.near_channel.request(lambda: ClipFrames(i, ds.read_clips(np.array([i]))[0], ds))
        self.reliability.setValue(int(round(100 * r.reliability)))
        x, y = r.pos
        codec = self.state.dataset.codec if self.state.dataset is not None else None
        device = codec.device if codec is not None else ""
        took = f" · decode {r.decode_ms:.0f} ms on {device}" if device else ""
        self.info.setText(f"({x:.3g}, {y:.3g}) · nearest clip {r.nearest}, {r.map_distance:.2g} away{took}")
        self.info.setToolTip(self.info.text())  # the whole line, should a narrow panel clip it
        self.rendered.emit(r)

    def _on_nearest_clicked(self) -> None:
        if self.result is not None:
            self.state.select([self.result.nearest])

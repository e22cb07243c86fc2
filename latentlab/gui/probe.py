"""ProbePanel: what the model decodes at the probe's position on the map, live.

Every probe move asks the decode worker ("probe" channel, latest wins) to invert the map position to
a latent (the latent service's inverse projection) and decode it; the panel shows the decoded clip,
the reliability of the inverse at that spot and the nearest real clip beside it.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QProgressBar, QSizePolicy, QVBoxLayout, QWidget

from latentlab.core.explorer_state import ExplorerState
from latentlab.gui.errors import guarded, listen
from latentlab.gui.frame_view import FrameView
from latentlab.gui.workers import DecodeWorker
from latentlab.core.frame_rate import FALLBACK_FPS


def render_probe(inverse, codec, x: float, y: float, anchor: int | None = None) -> dict:
    """Invert ``(x, y)`` to a latent and decode it (runs on the worker thread)."""
    res = inverse.invert(np.array([[x, y]], np.float64), anchor=anchor)
    z = np.asarray(res.z[:1], np.float32)  # (1, D)
    t0 = time.perf_counter()
    frames = codec.decode(z)[0]  # (T, H, W, C) uint8
    decode_ms = 1000 * (time.perf_counter() - t0)
    return dict(pos=(x, y), z=z[0], frames=frames, reliability=float(np.ravel(res.reliability)[0]), decode_ms=decode_ms,
                nearest=int(np.ravel(res.nearest)[0]), map_distance=float(np.ravel(res.map_distance)[0]))


class ProbePanel(QWidget):
    """Decoded clip at the probe, its reliability and the nearest real clip.

    ``rendered(result)`` is emitted when the frame for the newest probe position is shown.
    """

    rendered = Signal(object)

    def __init__(self, state: ExplorerState, worker: DecodeWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state, self.worker = state, worker
        self.result: dict | None = None
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
        worker.result_ready.connect(self._on_result)
        listen(self, state.probe_moved, self._on_probe_moved)
        listen(self, state.codec_changed, lambda *_: state.probe is not None and self._on_probe_moved(*state.probe))
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
        self.worker.request("probe", lambda: dict(render_probe(inverse, codec, x, y), dataset=ds))

    @guarded
    def _on_result(self, channel: str, rid: int, r) -> None:
        if channel == "probe_near":  # the nearest real clip comes second: the decoded frame goes first
            ds, i, clip = r
            if ds is self.state.dataset and self.result is not None and i == self.result["nearest"]:
                self.nearest.set_frames(clip, tag=i)
            return
        if channel != "probe" or r.get("dataset") is not self.state.dataset:
            return  # another panel's channel, or a frame decoded for the dataset shown before
        previous = self.result["nearest"] if self.result is not None else -1
        self.result = r
        fps = self.state.dataset.fps if self.state.dataset is not None else FALLBACK_FPS
        for view in (self.decoded, self.nearest):
            view.set_fps(fps)
        self.decoded.set_frames(r["frames"], tag=rid)
        if r["nearest"] != previous and self.state.dataset is not None:
            ds, i = self.state.dataset, r["nearest"]
            self.worker.request("probe_near", lambda: (ds, i, ds.read_clips(np.array([i]))[0]))
        self.reliability.setValue(int(round(100 * r["reliability"])))
        x, y = r["pos"]
        device = getattr(self.state.dataset.codec if self.state.dataset is not None else None, "device", "")
        took = f" · decode {r['decode_ms']:.0f} ms on {device}" if "decode_ms" in r and device else ""
        self.info.setText(f"({x:.3g}, {y:.3g}) · nearest clip {r['nearest']}, {r['map_distance']:.2g} away{took}")
        self.info.setToolTip(self.info.text())  # the whole line, should a narrow panel clip it
        self.rendered.emit(r)

    def _on_nearest_clicked(self) -> None:
        if self.result is not None:
            self.state.select([self.result["nearest"]])

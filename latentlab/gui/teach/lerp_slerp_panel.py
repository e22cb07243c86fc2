"""LerpSlerpPanel: why slerp beats lerp under a Gaussian prior, on the interpolation A -> B.

A plot of ``||z||`` along both paths between the posterior means of clips A and B against the
prior's typical norm sqrt(D) (almost all of N(0, I)'s mass sits in a thin shell there), and the
decodes of both paths at the same ``t`` side by side ("teach_paths" channel on the decode worker).
A and B are the explorer's interpolation end clips (Interpolate tab or the map's context menu).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSlider, QVBoxLayout, QWidget

from latentlab.core import interpolation, teaching
from latentlab.core.explorer_state import ExplorerState
from latentlab.core.frame_rate import FALLBACK_FPS
from latentlab.gui.errors import guarded, listen
from latentlab.gui.widgets.frame_view import FrameView
from latentlab.gui.widgets.panel_plot import panel_plot
from latentlab.gui.workers import DecodeWorker

CHANNEL = "teach_paths"
T_STEPS = 100
PROFILE_STEPS = T_STEPS + 1  # the profile's k-th point is the slider's k-th position
LERP_PEN = (255, 160, 60)
SLERP_PEN = (110, 200, 255)


class LerpSlerpPanel(QWidget):
    """Norm profiles and decodes of lerp and slerp between A and B; ``decoded(t, lerp, slerp)``."""

    decoded = Signal(float, object, object)

    def __init__(
        self, state: ExplorerState, worker: DecodeWorker, parent: QWidget | None = None, seed: int | None = None
    ) -> None:
        super().__init__(parent)
        self.state, self.worker = state, worker
        self.active = False
        self.profile: teaching.NormProfile | None = None
        self._ends: tuple[np.ndarray, np.ndarray] | None = None
        self._token = None
        self._data_norm: tuple[object, float] | None = None  # (dataset, median ||mu||), computed once per dataset
        self._rng = np.random.default_rng(seed)
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setTextFormat(Qt.TextFormat.RichText)
        self.random_ends = QPushButton("A, B = two random clips")
        self.plot = panel_plot("‖z‖", "t (A → B)", 150)
        self.plot.addLegend(offset=(8, 8), labelTextColor=(215, 218, 224), brush=(20, 22, 28, 200))
        self.lerp_curve = self.plot.plot([], [], pen=pg.mkPen(*LERP_PEN, width=2), name="lerp")
        self.slerp_curve = self.plot.plot([], [], pen=pg.mkPen(*SLERP_PEN, width=2), name="slerp")
        self.typical_line = pg.InfiniteLine(
            angle=0,
            pen=pg.mkPen(200, 200, 200, style=Qt.PenStyle.DashLine),
            label="√D (prior's typical norm)",
            labelOpts={"position": 0.8, "color": (200, 200, 200)},
        )
        self.data_line = pg.InfiniteLine(
            angle=0,
            pen=pg.mkPen(120, 220, 140, style=Qt.PenStyle.DotLine),
            label="median ‖μ‖ of the clips",
            labelOpts={"position": 0.45, "color": (120, 220, 140)},
        )
        self.t_line = pg.InfiniteLine(angle=90, pen=pg.mkPen(120, 120, 120))
        self.plot.addItem(self.data_line)
        self.plot.addItem(self.typical_line)
        self.plot.addItem(self.t_line)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, T_STEPS)
        self.slider.setValue(T_STEPS // 2)
        self.lerp_view = FrameView(caption="lerp")
        self.slerp_view = FrameView(caption="slerp")
        for v in (self.lerp_view, self.slerp_view):
            v.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        views = QGridLayout()
        views.addWidget(self.lerp_view, 0, 0)
        views.addWidget(self.slerp_view, 0, 1)
        top = QHBoxLayout()
        top.addWidget(self.info, 1)
        top.addWidget(self.random_ends)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.plot, 1)
        lay.addWidget(self.slider)
        lay.addLayout(views, 1)
        self.random_ends.clicked.connect(guarded(self.pick_random_ends))
        self.slider.valueChanged.connect(guarded(lambda *_: self._request_decode()))
        self.channel = worker.channel(CHANNEL)
        self.channel.ready.connect(self._on_result)
        for signal in (state.interpolation_changed, state.dataset_changed, state.codec_changed):
            listen(self, signal, lambda *_: self.refresh())

    @property
    def t(self) -> float:
        return self.slider.value() / T_STEPS

    def set_active(self, active: bool) -> None:
        self.active = bool(active)
        if self.active:
            self.refresh()

    def pick_random_ends(self) -> None:
        """Set the interpolation to two different random clips (a quick demonstration)."""
        ds = self.state.dataset
        if ds is not None and ds.n_clips >= 2:
            a, b = self._rng.choice(ds.n_clips, 2, replace=False)
            self.state.set_interpolation(a=int(a), b=int(b))

    def refresh(self) -> None:
        """Recompute the norm profiles for the current A and B, then decode at ``t``."""
        s, ds = self.state, self.state.dataset
        ok = ds is not None and 0 <= s.interp_a < ds.n_clips and 0 <= s.interp_b < ds.n_clips
        if not ok:
            self.profile, self._ends = None, None
            self.lerp_curve.setData([], [])
            self.slerp_curve.setData([], [])
            self.info.setText(
                "Pick A and B (the Interpolate tab or right-click clips on the map), or press the button."
            )
            return
        if not self.active:
            return
        z0, z1 = ds.mu[s.interp_a], ds.mu[s.interp_b]
        self._ends = (z0, z1)
        p = self.profile = teaching.norm_profile(z0, z1, PROFILE_STEPS)
        self.lerp_curve.setData(p.t, p.lerp)
        self.slerp_curve.setData(p.t, p.slerp)
        self.typical_line.setValue(p.typical)
        if self._data_norm is None or self._data_norm[0] is not ds:
            self._data_norm = (ds, float(np.median(np.linalg.norm(ds.mu, axis=1))))  # (N, D): milliseconds
        data_norm = self._data_norm[1]
        self.data_line.setValue(data_norm)
        self.plot.setYRange(0, max(p.typical, data_norm, float(p.lerp.max()), float(p.slerp.max())) * 1.1, padding=0)
        mid = len(p.t) // 2
        self.info.setText(
            f"A = clip {s.interp_a} (‖μ‖ = {p.lerp[0]:.2f}), B = clip {s.interp_b} (‖μ‖ = {p.lerp[-1]:.2f}). "
            f"N(0, I) in D = {len(z0)} puts almost all its mass near ‖z‖ = √D = {p.typical:.2f}; the clips' "
            f"means have a median norm of {data_norm:.2f}. Halfway, lerp's ‖z‖ is {p.lerp[mid]:.2f} and slerp's "
            f"{p.slerp[mid]:.2f}: the straight line sinks towards the origin, where neither the prior nor "
            f"the data put latents, so the decoder has seen few there."
        )
        self._request_decode()

    def _request_decode(self) -> None:
        t = self.t
        self.t_line.setValue(t)
        ds = self.state.dataset
        if self._ends is None or ds is None or ds.codec is None or not self.active:
            return
        z0, z1 = self._ends
        v = self.slider.value()
        zl = interpolation.lerp(z0, z1, T_STEPS + 1)[v : v + 1]  # (1, D): the point at t on each path
        zs = interpolation.slerp(z0, z1, T_STEPS + 1)[v : v + 1]
        codec, token = ds.codec, object()
        self._token = token
        self.channel.request(lambda: (token, t, codec.decode(np.concatenate([zl, zs]))))

    @guarded
    def _on_result(self, rid: int, result) -> None:
        if rid != self.channel.latest:
            return
        token, t, clips = result
        if token is not self._token:
            return
        fps = self.state.dataset.fps if self.state.dataset is not None else FALLBACK_FPS
        p = self.profile
        k = int(round(t * (len(p.t) - 1))) if p is not None else 0
        for view, clip, name, norms in (
            (self.lerp_view, clips[0], "lerp", p.lerp if p else None),
            (self.slerp_view, clips[1], "slerp", p.slerp if p else None),
        ):
            view.set_fps(fps)
            view.set_frames(clip, tag=rid)
            view.set_caption(f"{name}, t = {t:.2f}" + (f", ‖z‖ = {norms[k]:.2f}" if norms is not None else ""))
        self.decoded.emit(t, clips[0], clips[1])

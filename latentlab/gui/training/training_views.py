"""What the training panel draws: loss curves per step and the map of a sample after each epoch.

Both widgets take plain values on the GUI thread (step metrics, an
:class:`~latentlab.ml.live_training.EpochSample`) and never touch torch.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from latentlab.core.explorer_state import ClipField
from latentlab.gui.map.map_colours import colour_groups

CURVE_REFRESH_MS = 100
TERMS = {"nll": ("reconstruction NLL (nats/clip)", (99, 164, 255)), "kl": ("KL (nats/clip)", (255, 138, 101))}


class LossCurves(QWidget):
    """Reconstruction NLL and KL per step: raw (faint) and smoothed, redrawn at most every 100 ms."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.steps: list[int] = []
        self.values: dict[str, list[float]] = {k: [] for name in TERMS for k in (name, f"{name}_smooth")}
        self.plots, self.raw, self.smooth = {}, {}, {}
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        for name, (title, colour) in TERMS.items():
            plot = pg.PlotWidget(title=title, background=(8, 9, 12))
            plot.setMinimumHeight(140)
            plot.setLabel("bottom", "step")
            plot.setDownsampling(auto=True, mode="peak")  # long runs: draw what the pixels can show
            plot.setClipToView(True)
            self.plots[name] = plot
            self.raw[name] = plot.plot(pen=pg.mkPen(*colour, 70))
            self.smooth[name] = plot.plot(pen=pg.mkPen(*colour, width=2))
            lay.addWidget(plot)
        self._timer = QTimer(self, singleShot=True, interval=CURVE_REFRESH_MS)
        self._timer.timeout.connect(self.draw)

    def add(self, step: int, metrics: dict) -> None:
        """Append one step (``nll``, ``kl`` and their ``*_smooth``); the redraw follows shortly."""
        self.steps.append(int(step))
        for k in self.values:
            self.values[k].append(float(metrics.get(k, np.nan)))
        if not self._timer.isActive():
            self._timer.start()

    def keep_until(self, step: int) -> None:
        """Drop the steps after ``step`` (a run resumed from a bundle saved there replays them)."""
        keep = [i for i, s in enumerate(self.steps) if s <= step]
        self.steps = [self.steps[i] for i in keep]
        self.values = {k: [v[i] for i in keep] for k, v in self.values.items()}

    def clear(self) -> None:
        self.keep_until(-1)
        self.draw()

    def draw(self) -> None:
        x = np.asarray(self.steps, np.float64)
        for name in TERMS:
            self.raw[name].setData(x, np.asarray(self.values[name], np.float64))
            self.smooth[name].setData(x, np.asarray(self.values[f"{name}_smooth"], np.float64))


class EpochMap(QWidget):
    """The sample's latent map after the latest epoch, coloured by a field, with a caption."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.updates = 0
        self.coords: np.ndarray | None = None  # (S, 2) of the map shown
        self.plot = pg.PlotWidget(background=(8, 9, 12))
        self.plot.setAspectLocked(True)
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.plot.setMinimumHeight(180)
        self.points = pg.ScatterPlotItem(size=6, pen=None, pxMode=True)
        self.plot.addItem(self.points)
        self.legend = self.plot.addLegend(offset=(6, 6), labelTextColor=(215, 218, 224), brush=(20, 22, 28, 200))
        self._legend_field: ClipField | None = None
        self.caption = QLabel("the map of a sample of clips appears after each epoch")
        self.caption.setObjectName("numbers")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.plot, 1)
        lay.addWidget(self.caption)

    def show_sample(self, sample, clip_field: ClipField | None) -> None:
        """Draw an ``EpochSample`` (``coords (S, 2)``), coloured by ``clip_field`` over the sample."""
        coords = np.asarray(sample.coords, np.float32)
        if clip_field is not None and len(clip_field.values) != len(coords):
            clip_field = None
        groups = colour_groups(clip_field, len(coords))
        brushes = np.empty(len(coords), dtype=object)
        for group in groups:
            brushes[group.indices] = pg.mkBrush(group.colour)
        if clip_field is not self._legend_field:  # the sample and its field are fixed for a run
            self._legend_field = clip_field
            self.legend.clear()
            for group in groups if clip_field is not None else []:
                if group.in_legend:
                    self.legend.addItem(
                        pg.ScatterPlotItem(size=8, pen=None, brush=pg.mkBrush(group.colour)), group.label
                    )
        self.points.setData(pos=coords, brush=list(brushes))
        self.coords = coords
        self.plot.autoRange(padding=0.05)
        m = sample.metrics
        psnr = f" · val PSNR {m['val_psnr']:.1f} dB" if "val_psnr" in m else ""
        colour = f" · colour: {clip_field.name}" if clip_field is not None else ""
        self.caption.setText(
            f"epoch {sample.epoch}: {len(coords):,} clips (PCA, aligned to the last epoch)"
            f"{psnr} · KL {float(np.sum(sample.kl_per_dim)):.2f} nats{colour}"
        )
        self.updates += 1

    def clear(self) -> None:
        self.updates = 0
        self.coords = None
        self.points.setData(pos=np.zeros((0, 2)))
        self.legend.clear()
        self._legend_field = None

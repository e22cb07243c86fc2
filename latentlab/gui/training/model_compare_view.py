"""ModelCompareView: two models of the same clips side by side (maps, reconstructions, KL per dimension).

The window's current clip and selection (the shared :class:`ExplorerState`) are drawn in both maps,
and a click in either picks that clip everywhere; the reconstructions are decoded on the window's
decode worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from latentlab.app.model_compare import ModelSide
from latentlab.gui.errors import guarded, listen
from latentlab.gui.map.map_colours import colour_groups
from latentlab.gui.widgets.frame_view import FrameView
from latentlab.gui.workers import ClipFrames

if TYPE_CHECKING:
    from latentlab.gui.shell import WindowContext

SIDES = ("a", "b")
COLOURS = {"a": (99, 164, 255), "b": (255, 138, 101)}
MAX_SELECTION_DRAWN = 20_000


class ModelCompareView(QWidget):
    """The side-by-side window of two :class:`ModelSide` over the dataset shown in the window of ``ctx``."""

    picked = Signal(int)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.key() == Qt.Key.Key_Escape:  # a window of its own: Esc closes it, like a dialog
            self.close()
            return
        super().keyPressEvent(event)

    def __init__(self, ctx: WindowContext, a: ModelSide, b: ModelSide) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.setWindowTitle(f"Compare models — {a.name} | {b.name}  (Esc closes)")
        self._close_keys = [QShortcut(QKeySequence("Ctrl+W"), self, self.close)]
        self.state, self.worker = ctx.state, ctx.worker
        self.dataset = ctx.state.dataset
        self.sides = {"a": a, "b": b}
        self.titles, self.plots, self.points, self.marks, self.current_marks, self.recons = {}, {}, {}, {}, {}, {}
        grid = QGridLayout()
        for col, side in enumerate(SIDES):
            self.titles[side] = QLabel(self.sides[side].summary)
            self.titles[side].setStyleSheet(f"color: rgb{COLOURS[side]}")
            plot = pg.PlotWidget(background=(8, 9, 12))
            plot.setAspectLocked(True)
            plot.hideAxis("left")
            plot.hideAxis("bottom")
            plot.setMinimumSize(280, 240)
            self.plots[side] = plot
            self.points[side] = []
            self.marks[side] = pg.ScatterPlotItem(size=9, pen=pg.mkPen(255, 255, 255, 200), brush=None)
            self.current_marks[side] = pg.ScatterPlotItem(size=16, pen=pg.mkPen(255, 220, 80, width=2), brush=None)
            for item in (self.marks[side], self.current_marks[side]):
                item.setZValue(10)
                plot.addItem(item)
            grid.addWidget(self.titles[side], 0, col)
            grid.addWidget(plot, 1, col)
        self.original = FrameView(caption="clip", min_size=96)
        for side in SIDES:
            self.recons[side] = FrameView(caption=f"{self.sides[side].name}", min_size=96)
        frames = QGridLayout()
        for col, view in enumerate((self.original, self.recons["a"], self.recons["b"])):
            frames.addWidget(view, 0, col)
        self.frame_caption = QLabel("")
        self.kl_plot = pg.PlotWidget(title="KL per latent dimension (nats/clip)", background=(8, 9, 12))
        self.kl_plot.setMinimumHeight(160)
        self.kl_plot.addLegend(offset=(-8, 8), labelTextColor=(215, 218, 224), brush=(20, 22, 28, 200))
        self.kl_bars = {}
        for side, shift in zip(SIDES, (-0.2, 0.2)):
            kl = self.sides[side].kl_per_dim
            bars = pg.BarGraphItem(
                x=np.arange(len(kl)) + shift,
                height=kl,
                width=0.4,
                brush=pg.mkBrush(*COLOURS[side]),
                pen=None,
                name=self.sides[side].name,
            )
            self.kl_plot.addItem(bars)
            self.kl_bars[side] = bars
        self.kl_plot.setLabel("bottom", "latent dimension")
        dims = max(len(side.kl_per_dim) for side in self.sides.values())
        step = max(1, dims // 16)
        self.kl_plot.getAxis("bottom").setTicks([[(d, str(d)) for d in range(0, dims, step)]])
        lay = QVBoxLayout(self)
        lay.addLayout(grid, 3)
        lay.addLayout(frames, 2)
        lay.addWidget(self.frame_caption)
        lay.addWidget(self.kl_plot, 2)
        self._targets = {"compare-clip": self.original, "compare-a": self.recons["a"], "compare-b": self.recons["b"]}
        self._results = {
            name: (lambda rid, result, name=name: self._on_result(name, rid, result)) for name in self._targets
        }
        self.channels = {name: self.worker.channel(name) for name in ("compare-clip", "compare-a", "compare-b")}
        for name, channel in self.channels.items():
            channel.ready.connect(self._results[name])
        self._draw_points()
        self._draw_selection()
        self._show_current()
        self._listening = True
        for signal, slot in (
            (self.state.selection_changed, self._draw_selection),
            (self.state.current_changed, self._show_current),
            (self.state.colour_field_changed, self._draw_points),
            (self.state.codec_changed, self._on_codec_changed),
        ):
            listen(self, signal, slot)
        self.resize(1000, 900)

    # ------------------------------------------------------------------------------ drawing
    def _draw_points(self, *_args) -> None:
        n = self.dataset.n_clips
        field = self.dataset.fields.get(self.state.colour_field)
        groups = colour_groups(field, n)
        for side in SIDES:
            plot, coords = self.plots[side], np.asarray(self.sides[side].coords)
            for item in self.points[side]:
                plot.removeItem(item)
            self.points[side] = []
            for group in groups:  # one brush per group: per-point brushes are slow past 10k clips
                item = pg.ScatterPlotItem(
                    pos=coords[group.indices], data=group.indices, size=5, pen=None, brush=pg.mkBrush(group.colour)
                )
                item.sigClicked.connect(guarded(lambda _item, pts, _ev: len(pts) and self.pick(int(pts[0].data()))))
                plot.addItem(item)
                self.points[side].append(item)
            plot.autoRange(padding=0.05)

    def point_count(self, side: str) -> int:
        """Points drawn on the map of ``side`` (every clip once)."""
        return sum(len(item.data) for item in self.points[side])

    def pick(self, index: int) -> None:
        """Make ``index`` the current, selected clip (in the main window too)."""
        self.state.select([index])
        self.state.set_current(index)
        self.picked.emit(index)

    def _draw_selection(self, *_args) -> None:
        sel = self.state.selection[:MAX_SELECTION_DRAWN]
        for side in SIDES:
            self.marks[side].setData(pos=np.asarray(self.sides[side].coords)[sel])

    def _show_current(self, *_args) -> None:
        i = self.state.current
        if not 0 <= i < self.dataset.n_clips:
            for side in SIDES:
                self.current_marks[side].setData(pos=np.zeros((0, 2)))
            return
        for side in SIDES:
            self.current_marks[side].setData(pos=np.asarray(self.sides[side].coords)[[i]])
        self.frame_caption.setText(f"clip {i}: the clip, then each model's reconstruction of its posterior mean")
        ds = self.dataset
        self.channels["compare-clip"].request(lambda: ClipFrames(i, ds.read_clips(np.array([i]))[0]))
        for side in SIDES:
            codec = self.sides[side].codec
            if codec is None:
                self.recons[side].set_frames(None)
                continue
            self.channels[f"compare-{side}"].request(
                lambda c=codec: ClipFrames(i, c.reconstruct(ds.read_clips(np.array([i])))[0])
            )

    def closeEvent(self, event) -> None:
        if self._listening:  # the worker outlives this window
            self._listening = False
            for name, channel in self.channels.items():
                channel.ready.disconnect(self._results[name])
        super().closeEvent(event)

    def _on_codec_changed(self, codec) -> None:
        if self.sides["a"].codec is None:
            self.sides["a"].codec = codec
            self._show_current()

    def _on_result(self, name: str, rid: int, result: ClipFrames) -> None:
        if rid != self.channels[name].latest:
            return
        if result.index == self.state.current:
            self._targets[name].set_frames(result.frames, tag=result.index)

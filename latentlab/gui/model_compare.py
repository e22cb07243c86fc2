"""Compare two models of the same clips (e.g. beta = 1 and beta = 4): maps, reconstructions, KL per dimension.

File → "Compare with checkpoint…" loads a second checkpoint for the open store on a job (the
geometry is checked from its ``config.json`` before any weights are read; the store is encoded
through the latent cache, so a second look costs nothing) and opens a window with:

* the PCA map of each model's posterior means side by side, coloured like the main map; the
  window's current clip and selection (the shared :class:`ExplorerState`) are drawn in both, and a
  click in either picks that clip everywhere;
* the current clip and its reconstruction by each model (decoded on the window's decode worker);
* KL per latent dimension of both models as bars (how many dimensions each one uses).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QFileDialog, QGridLayout, QLabel, QVBoxLayout, QWidget

from latentlab.gui.errors import guarded, listen
from latentlab.gui.frame_view import FrameView
from latentlab.gui.map_colours import colour_groups

SIDES = ("a", "b")
COLOURS = {"a": (99, 164, 255), "b": (255, 138, 101)}
MAX_SELECTION_DRAWN = 20_000


class CompareError(Exception):
    """A checkpoint that cannot be compared with the open one, in words."""


@dataclass
class ModelSide:
    """One model's view of the store: posterior, map and what it needs to reconstruct."""

    name: str
    checkpoint: str
    mu: np.ndarray  # (N, D)
    logvar: np.ndarray  # (N, D)
    coords: np.ndarray  # (N, 2) PCA of mu
    codec: Any = None  # None while the open model is still loading
    beta: float | None = None

    @property
    def kl_per_dim(self) -> np.ndarray:
        """Mean KL of each latent dimension over the clips, ``(D,)`` nats."""
        return 0.5 * np.mean(self.mu**2 + np.exp(self.logvar) - 1.0 - self.logvar, axis=0)

    @property
    def summary(self) -> str:
        kl = self.kl_per_dim
        beta = f" · beta {self.beta:g}" if self.beta is not None else ""
        return (f"{self.name}: {self.mu.shape[1]} latents{beta} · KL {float(kl.sum()):.1f} nats/clip · "
                f"{int((kl > 0.05).sum())} dims above 0.05 nats")


def check_geometry(config: dict, store, checkpoint: str) -> None:
    """Raise :class:`CompareError` unless the checkpoint's model takes the store's clips."""
    m = config["model"]
    want = (m["frames"], m["height"], m["width"], m["channels"])
    g = store.geometry
    have = (g.frames, g.height, g.width, g.channels)
    if want != have:
        raise CompareError(
            f"{Path(checkpoint).name} takes clips of {' x '.join(map(str, want))} (frames x height x width x "
            f"channels) but the open store holds {' x '.join(map(str, have))}: compare models trained on the same clips")


def load_side(checkpoint: str, store, progress=None, cancel=None) -> ModelSide:
    """Load ``checkpoint``, encode ``store`` with it (cached) and map it (job thread)."""
    from latentlab.core.projection import fit_projection
    from latentlab.app.loading import load_codec
    from latentlab.ml.checkpoint import read_config
    from latentlab.ml.embedding import embed_store

    config = read_config(checkpoint)
    check_geometry(config, store, checkpoint)
    codec = load_codec(checkpoint, store)
    table = embed_store(codec, store, cancel=cancel,
                        progress=lambda d, t: progress and progress(0.9 * d / max(t, 1), f"encoding {d:,}/{t:,}"))
    mu, logvar = np.asarray(table.mu, np.float32), np.asarray(table.logvar, np.float32)
    return ModelSide(Path(checkpoint).name, str(checkpoint), mu, logvar, fit_projection(mu, "pca").coords,
                     codec, config["model"].get("beta"))


class ModelCompareView(QWidget):
    """The side-by-side window of two :class:`ModelSide` over the dataset of ``window``."""

    picked = Signal(int)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.key() == Qt.Key.Key_Escape:  # a window of its own: Esc closes it, like a dialog
            self.close()
            return
        super().keyPressEvent(event)

    def __init__(self, window, a: ModelSide, b: ModelSide) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.setWindowTitle(f"Compare models — {a.name} | {b.name}  (Esc closes)")
        self._close_keys = [QShortcut(QKeySequence("Ctrl+W"), self, self.close)]
        self.window_, self.state, self.worker = window, window.state, window.worker
        self.dataset = window.state.dataset
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
            bars = pg.BarGraphItem(x=np.arange(len(kl)) + shift, height=kl, width=0.4,
                                   brush=pg.mkBrush(*COLOURS[side]), pen=None, name=self.sides[side].name)
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
        self._draw_points()
        self._draw_selection()
        self._show_current()
        self.worker.result_ready.connect(self._on_result)
        self._listening = True
        for signal, slot in ((self.state.selection_changed, self._draw_selection),
                             (self.state.current_changed, self._show_current),
                             (self.state.colour_field_changed, self._draw_points),
                             (self.state.codec_changed, self._on_codec_changed)):
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
                item = pg.ScatterPlotItem(pos=coords[group.indices], data=group.indices, size=5, pen=None,
                                          brush=pg.mkBrush(group.colour))
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
        self.worker.request("compare-clip", lambda: (i, ds.read_clips(np.array([i]))[0]))
        for side in SIDES:
            codec = self.sides[side].codec
            if codec is None:
                self.recons[side].set_frames(None)
                continue
            self.worker.request(f"compare-{side}", lambda c=codec: (i, c.reconstruct(ds.read_clips(np.array([i])))[0]))

    def closeEvent(self, event) -> None:
        if self._listening:  # the worker outlives this window
            self._listening = False
            self.worker.result_ready.disconnect(self._on_result)
        super().closeEvent(event)

    def _on_codec_changed(self, codec) -> None:
        if self.sides["a"].codec is None:
            self.sides["a"].codec = codec
            self._show_current()

    def _on_result(self, channel: str, rid: int, result) -> None:
        target = {"compare-clip": self.original, "compare-a": self.recons["a"], "compare-b": self.recons["b"]}.get(channel)
        if target is None or rid != self.worker.latest(channel):
            return
        index, frames = result
        if index == self.state.current:
            target.set_frames(frames, tag=index)


class ModelCompare(QObject):
    """File → "Compare with checkpoint…": loads the second model on a job and opens the view."""

    opened = Signal(object)  # ModelCompareView
    failed = Signal(str)

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window_ = window
        self.view: ModelCompareView | None = None
        self.job = None
        self.message = ""
        listen(self, window.state.dataset_changed, self._on_dataset_changed)

    def ask(self) -> None:
        path = QFileDialog.getExistingDirectory(self.window_, "Checkpoint to compare with")
        if path:
            self.open_checkpoint(path)

    def open_checkpoint(self, checkpoint: str):
        """Compare the open model with ``checkpoint`` (a job; ``opened`` or ``failed`` follows)."""
        ds = self.window_.state.dataset
        if ds is None or ds.store is None:
            return self._fail("open a clip store with its model first; the second model is compared on the same clips")
        if self.job is not None:
            self.job.cancel()
        store, checkpoint = ds.store, str(checkpoint)
        mu, logvar, codec = ds.mu, ds.logvar, ds.codec
        ckpt_a = self.window_.checkpoint or ""
        name_a = Path(ckpt_a).name if ckpt_a else "open model"
        beta_a = getattr(codec, "config", {}).get("model", {}).get("beta") if codec is not None else None

        def run(ctx):
            from latentlab.core.projection import fit_projection

            b = load_side(checkpoint, store, lambda f, t: ctx.progress(f, text=t), ctx.is_cancelled)
            a = ModelSide(name_a, ckpt_a, mu, logvar, fit_projection(mu, "pca").coords, codec, beta_a)
            if a.beta is None and ckpt_a:
                from latentlab.ml.checkpoint import read_config

                a.beta = read_config(ckpt_a)["model"].get("beta")
            return ds, a, b

        job = self.job = self.window_.runner.submit(f"compare with {Path(checkpoint).name}", run)
        job.succeeded.connect(guarded(self._on_loaded))
        job.failed.connect(guarded(lambda msg, _tb: self._fail(msg)))
        return job

    def _fail(self, message: str) -> None:
        self.message = message
        self.window_.status.show_error(message)
        self.failed.emit(message)

    def _on_loaded(self, result) -> None:
        ds, a, b = result
        self.job = None
        if ds is not self.window_.state.dataset:
            return  # another store was opened meanwhile
        self.close_view()
        self.view = ModelCompareView(self.window_, a, b)
        self.message = ""
        self.view.show()
        self.opened.emit(self.view)

    def close_view(self) -> None:
        if self.view is not None:
            self.view.close()
            self.view.deleteLater()
            self.view = None

    def _on_dataset_changed(self, _dataset) -> None:
        self.close_view()  # its latents and maps belong to the previous dataset

    def shutdown(self) -> None:
        if self.job is not None:
            self.job.cancel()
        self.close_view()


def install(window) -> ModelCompare:
    """Add File → "Compare with checkpoint…" to ``window``."""
    compare = ModelCompare(window)
    act = QAction("Compare with c&heckpoint…", window)
    act.triggered.connect(guarded(compare.ask))
    window.file_menu.insertAction(window.file_menu_end, act)
    window.needs_data(act)
    compare.action = act
    return compare

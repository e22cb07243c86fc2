"""ClipPlayer: the current clip and its reconstruction side by side, looping, with its numbers and
its nearest neighbours in latent space as a strip of thumbnails (click one to play it).

Reading the clip, reconstructing it (torch) and finding its neighbours happen on the decode worker
("player" channel); only the finished frames come to the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from latentlab.core.explorer_state import ExplorerState
from latentlab.core.frame_rate import FALLBACK_FPS
from latentlab.core.video_paths import clip_place
from latentlab.gui.errors import guarded, listen
from latentlab.gui.widgets.frame_view import FrameView
from latentlab.gui.workers import DecodeWorker

N_NEIGHBOURS = 8
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0)
MIN_VIEW = 112  # px: a 32×32 clip at 3× with its caption (55 px at 1280×720 was too small to see)


@dataclass(frozen=True)
class ClipReport:
    """Everything the player shows about one clip: the clip and its reconstruction ``(T, H, W, C)``
    uint8, their MSE and PSNR, the clip's KL, its latent neighbours and their clips."""

    index: int
    clip: np.ndarray
    recon: np.ndarray
    mse: float
    psnr: float
    kl: float
    neighbours: np.ndarray
    thumbs: np.ndarray | None


def clip_report(dataset, index: int, k: int = N_NEIGHBOURS) -> ClipReport:
    """Everything the player shows about clip ``index`` (runs on the worker thread)."""
    clip = dataset.read_clips(np.array([index]))[0]  # (T, H, W, C) uint8
    recon = dataset.codec.reconstruct(clip[None])[0]
    err = np.mean((clip.astype(np.float32) - recon.astype(np.float32)) ** 2)
    psnr = float("inf") if err == 0 else 10 * np.log10(255.0**2 / err)
    kl = float(0.5 * np.sum(dataset.mu[index] ** 2 + np.exp(dataset.logvar[index]) - 1 - dataset.logvar[index]))
    neighbours = np.zeros(0, np.int64)
    if dataset.index is not None and dataset.n_clips > 1:
        idx, _ = dataset.index.knn(int(index), min(k + 1, dataset.n_clips))
        neighbours = np.array([j for j in np.ravel(idx) if j != index][:k], np.int64)
    thumbs = dataset.read_clips(neighbours) if neighbours.size else None
    return ClipReport(
        index=index,
        clip=clip,
        recon=recon,
        mse=float(err),
        psnr=float(psnr),
        kl=kl,
        neighbours=neighbours,
        thumbs=thumbs,
    )


class ClipPlayer(QWidget):
    """Plays ``state.current`` and its reconstruction; ``shown(index)`` once they are on screen."""

    shown = Signal(int)

    def __init__(self, state: ExplorerState, worker: DecodeWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state, self.worker = state, worker
        self.index = -1
        self.original = FrameView(caption="clip", animate=False, min_size=MIN_VIEW)
        self.recon = FrameView(caption="reconstruction", animate=False, min_size=MIN_VIEW)
        self.numbers = QLabel("select a clip on the map")
        self.numbers.setObjectName("numbers")
        self.numbers.setWordWrap(True)
        self.numbers.setMinimumHeight(2 * self.numbers.fontMetrics().height() + 4)
        self.play = QPushButton("Pause", checkable=True)
        self.scrubber = QSlider(Qt.Orientation.Horizontal)
        self.speed = QComboBox()
        self.speed.addItems([f"{s:g}×" for s in SPEEDS])
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.strip = [FrameView(min_size=40, animate=False) for _ in range(N_NEIGHBOURS)]
        for view in self.strip:
            view.setMaximumHeight(60)  # the clip and its reconstruction come first
        self._neighbours = np.zeros(0, np.int64)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._advance)

        views = QHBoxLayout()
        views.addWidget(self.original)
        views.addWidget(self.recon)
        controls = QHBoxLayout()
        controls.addWidget(self.play)
        controls.addWidget(self.scrubber, 1)
        controls.addWidget(self.speed)
        strip = QGridLayout()
        strip.setSpacing(2)
        for j, view in enumerate(self.strip):
            strip.addWidget(view, 0, j)
            view.clicked.connect(lambda j=j: self._on_neighbour_clicked(j))
        lay = QVBoxLayout(self)
        lay.addLayout(views, 1)
        lay.addLayout(controls)
        lay.addWidget(self.numbers)
        heading = QLabel("nearest neighbours in latent space")
        heading.setObjectName("heading")
        lay.addWidget(heading)
        lay.addLayout(strip)

        self.play.toggled.connect(self._on_play_toggled)
        self.scrubber.valueChanged.connect(self._on_scrub)
        self.speed.currentIndexChanged.connect(lambda *_: self._restart())
        self.channel = worker.channel("player")
        self.channel.ready.connect(self._on_result)
        self.original.clip_painted.connect(lambda tag: self.shown.emit(int(tag)))
        listen(self, state.current_changed, self._on_current_changed)
        listen(self, state.codec_changed, lambda *_: self._on_current_changed(self.state.current))
        listen(self, state.dataset_changed, lambda *_: self._clear())

    # ---------------------------------------------------------------------------- state
    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def _clear(self) -> None:
        self.index = -1
        self._timer.stop()
        for view in (self.original, self.recon, *self.strip):
            view.set_frames(None)
        self.numbers.setText("select a clip on the map")

    def _on_current_changed(self, index: int) -> None:
        ds = self.state.dataset
        if index < 0 or ds is None:
            self._clear()
            return
        if ds.codec is None:  # the model is still loading: codec_changed brings us back
            self.numbers.setText(f"clip {index} · loading the model…")
            return
        self.channel.request(lambda: clip_report(ds, index))

    @guarded
    def _on_result(self, _rid: int, r: ClipReport) -> None:
        if r.index != self.state.current:
            return
        ds = self.state.dataset
        self.index = r.index
        self.original.set_frames(r.clip, tag=self.index, keep_index=False)
        self.recon.set_frames(r.recon, tag=self.index, keep_index=False)
        self.scrubber.setRange(0, len(r.clip) - 1)
        self.scrubber.setValue(0)
        source = ""
        if ds is not None and "source" in ds.fields and ds.fields["source"].categories:
            code = int(ds.fields["source"].values[self.index])
            source = f" · {ds.fields['source'].categories[code]}"
            place = clip_place(ds.store, self.index)  # a video's clip: its file and time in it
            source = f" · {place.describe()}" if place is not None else source
        self.numbers.setText(f"clip {self.index}{source}\nMSE {r.mse:.2f} · PSNR {r.psnr:.2f} dB · KL {r.kl:.2f} nats")
        self._neighbours = r.neighbours
        for j, view in enumerate(self.strip):
            if j < len(self._neighbours):
                view.set_frames(r.thumbs[j], tag=int(self._neighbours[j]))
                view.set_index(len(r.thumbs[j]) // 2)
                view.setToolTip(f"clip {int(self._neighbours[j])}")
            else:
                view.set_frames(None)
        self._restart()

    def _on_neighbour_clicked(self, j: int) -> None:
        if j < len(self._neighbours):
            self.state.select([int(self._neighbours[j])])

    # ---------------------------------------------------------------------------- playback
    def _restart(self) -> None:
        ds = self.state.dataset
        fps = ds.fps if ds is not None and ds.fps > 0 else FALLBACK_FPS
        speed = SPEEDS[self.speed.currentIndex()]
        if self.index >= 0 and not self.play.isChecked():
            self._timer.start(max(15, int(1000 / (fps * speed))))
        else:
            self._timer.stop()

    def _on_play_toggled(self, paused: bool) -> None:
        self.play.setText("Play" if paused else "Pause")
        self._restart()

    def _advance(self) -> None:
        n = self.scrubber.maximum() + 1
        self.scrubber.setValue((self.scrubber.value() + 1) % max(n, 1))

    def _on_scrub(self, value: int) -> None:
        self.original.set_index(value)
        self.recon.set_index(value)

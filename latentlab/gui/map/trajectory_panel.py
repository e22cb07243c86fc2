"""A source video drawn as a path on the map, and the panel that scrubs along it.

:class:`PathOverlay` draws a :class:`~latentlab.core.video_paths.VideoPath` on the map: a polyline
through the map points of its clips in time order, above the points, and a marker at the time the
scrubber shows. :class:`TrajectoryPanel` holds the scrubber: it picks the source video (a combo of
the store's sources), moves the marker, and shows the video at that time (the frames of the clip
cut there, read from the store on the decode worker's "trajectory" channel, latest wins). Clicking
the frames plays that clip in the player. :mod:`latentlab.gui.map.trajectory_extension` plugs both
into the window.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from latentlab.core.explorer_state import ExplorerState
from latentlab.core.video_paths import PathPosition, VideoIndex, VideoPath, format_time
from latentlab.gui.errors import guarded
from latentlab.gui.widgets.frame_view import FrameView
from latentlab.gui.workers import ClipFrames, DecodeWorker

PATH_Z = 98  # above the points (and the selection), below the current clip's ring and the probe
PATH_COLOUR = (240, 240, 240)  # white: no colour field's palette uses it (the ring is yellow, the probe red)
MARKER_COLOUR = (255, 80, 220)
EARLY, LATE = np.array([70, 150, 255]), np.array([255, 215, 70])  # the clips' dots, blue → yellow in time
CHANNEL = "trajectory"
PROMPT = "Pick a video, or right-click a clip → Show its video."


class PathOverlay:
    """The path's polyline (its clips' dots coloured by time), its start and its time marker: items of
    the map's view box ``view``."""

    def __init__(self, view: pg.ViewBox) -> None:
        self.line = pg.PlotDataItem(
            pen=pg.mkPen(*PATH_COLOUR, 190, width=1.5),
            symbol="o",
            symbolSize=5,
            symbolPen=None,
        )
        self.start = pg.ScatterPlotItem(size=11, symbol="s", pen=pg.mkPen(*PATH_COLOUR, width=2), brush=None)
        self.marker = pg.ScatterPlotItem(
            size=15, symbol="o", pen=pg.mkPen(255, 255, 255, width=2), brush=pg.mkBrush(*MARKER_COLOUR)
        )
        for z, item in enumerate((self.line, self.start, self.marker)):
            item.setZValue(PATH_Z + z / 10)
            item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            view.addItem(item, ignoreBounds=True)

    def draw(self, points: np.ndarray) -> None:
        """The polyline through ``points (K, 2)``; its first point marked as the start."""
        points = np.asarray(points, np.float64)
        when = np.linspace(0.0, 1.0, len(points))[:, None]
        dots = [pg.mkBrush(*c) for c in np.round(EARLY + when * (LATE - EARLY)).astype(int).tolist()]
        self.line.setData(points[:, 0], points[:, 1], symbolBrush=dots)
        self.start.setData([points[0, 0]], [points[0, 1]])
        for item in (self.line, self.start, self.marker):
            item.show()

    def move_marker(self, xy: tuple[float, float]) -> None:
        self.marker.setData([xy[0]], [xy[1]])

    def hide(self) -> None:
        for item in (self.line, self.start, self.marker):
            item.hide()

    def clear(self) -> None:
        self.line.setData([], [])
        self.start.setData([], [])
        self.marker.setData([], [])

    @property
    def points(self) -> np.ndarray:
        """The polyline's vertices ``(K, 2)`` as drawn (empty when none)."""
        x, y = self.line.getData()
        return np.zeros((0, 2)) if x is None else np.column_stack([x, y])

    @property
    def marker_xy(self) -> tuple[float, float] | None:
        x, y = self.marker.getData()
        return None if not len(x) else (float(x[0]), float(y[0]))


class TrajectoryPanel(QWidget):
    """Pick a source video, scrub along its path, see it at that time.

    ``source_chosen(source id)`` when the user picks a video in the combo; ``position_changed``
    (:class:`PathPosition`) when the scrubber moves; ``shown(clip)`` once that clip's frames are on screen.
    """

    source_chosen = Signal(int)
    position_changed = Signal(object)
    shown = Signal(int)
    cleared = Signal()

    def __init__(self, state: ExplorerState, worker: DecodeWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.path: VideoPath | None = None
        self.fps = 1.0  # scrubber steps per second of video
        self.position: PathPosition | None = None
        self._frames_clip = -1  # the clip whose frames the view holds
        self.sources = QComboBox()
        self.sources.setObjectName("trajectory_sources")
        self.clear_button = QPushButton("Clear")
        self.view = FrameView(caption="", animate=False, min_size=112)
        self.view.setToolTip("Click: play this clip in the player")
        self.play = QPushButton("Play", checkable=True)
        self.scrubber = QSlider(Qt.Orientation.Horizontal)
        self.scrubber.setObjectName("trajectory_scrubber")
        self.time = QLabel("")
        self.time.setObjectName("numbers")
        self.note = QLabel(PROMPT)
        self.note.setWordWrap(True)
        self._timer = QTimer(self)
        self._timer.timeout.connect(guarded(self._advance))
        top = QHBoxLayout()
        top.addWidget(self.sources, 1)
        top.addWidget(self.clear_button)
        controls = QHBoxLayout()
        controls.addWidget(self.play)
        controls.addWidget(self.scrubber, 1)
        controls.addWidget(self.time)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.view, 1)
        lay.addLayout(controls)
        lay.addWidget(self.note)
        self.channel = worker.channel(CHANNEL)
        self.channel.ready.connect(self._on_frames)
        self.sources.activated.connect(guarded(self._on_source_activated))
        self.clear_button.clicked.connect(guarded(lambda: self.cleared.emit()))
        self.scrubber.valueChanged.connect(guarded(self._on_scrub))
        self.play.toggled.connect(guarded(self._on_play_toggled))
        self.view.clicked.connect(guarded(self._on_view_clicked))
        self.set_sources(None, PROMPT)

    # ---------------------------------------------------------------------------- content
    def set_sources(self, index: VideoIndex | None, note: str) -> None:
        """List the videos of ``index`` in the combo (none: ``note`` says why) and show no path."""
        self.sources.clear()
        if index is not None:
            for sid, name, n in index.sources():
                self.sources.addItem(f"{name} ({n:,} clips)", sid)
        self.sources.setEnabled(self.sources.count() > 0)
        self.set_path(None)
        self.note.setText(note or PROMPT)

    def set_path(self, path: VideoPath | None, t: float | None = None) -> None:
        """Scrub along ``path`` (``None``: nothing), starting at time ``t`` (its start by default)."""
        self.play.setChecked(False)
        self.path, self.position, self._frames_clip = path, None, -1
        self.view.set_frames(None)
        enabled = path is not None and len(path) > 0
        for widget in (self.scrubber, self.play, self.clear_button):
            widget.setEnabled(enabled)
        if not enabled:
            self.time.setText("")
            self.note.setText(PROMPT)
            return
        self.fps = float(np.median(path.fps))
        combo = self.sources.findData(path.source_id)
        if combo >= 0:
            self.sources.setCurrentIndex(combo)
        span = format_time(path.t1 - path.t0)
        self.note.setText(f"{path.name}: {len(path):,} clips over {span} (their dots blue → yellow in time)")
        self.scrubber.blockSignals(True)
        self.scrubber.setRange(0, max(0, int(round((path.t1 - path.t0) * self.fps)) - 1))
        self.scrubber.setPageStep(max(1, int(round(float(np.median(path.end - path.start)) * self.fps))))
        self.scrubber.setValue(self.value_at(path.t0 if t is None else t))
        self.scrubber.blockSignals(False)
        self._on_scrub(self.scrubber.value())

    def value_at(self, t: float) -> int:
        """The scrubber value of time ``t`` of the path."""
        return 0 if self.path is None else int(round((t - self.path.t0) * self.fps))

    def time_of(self, value: int) -> float:
        return (self.path.t0 if self.path is not None else 0.0) + value / self.fps

    # ---------------------------------------------------------------------------- scrubbing
    def _on_scrub(self, value: int) -> None:
        ds, coords = self.state.dataset, self.state.coords
        if self.path is None or ds is None or coords is None:
            return
        frames = int(ds.store.geometry.frames) if ds.store is not None else 1
        pos = self.position = self.path.position(self.time_of(value), coords, frames)
        self.time.setText(f"{format_time(pos.time)} / {format_time(self.path.t1)}")
        self.position_changed.emit(pos)
        if pos.clip == self._frames_clip:
            self._show_frame(pos)
            return
        clip = pos.clip
        self.channel.request(lambda: ClipFrames(clip, ds.read_clips(np.array([clip]))[0], ds))

    @guarded
    def _on_frames(self, _rid: int, result: ClipFrames) -> None:
        pos = self.position
        if result.dataset is not self.state.dataset or pos is None or result.index != pos.clip:
            return  # stale: the scrubber moved on to another clip, or the dataset changed
        self._frames_clip = result.index
        self.view.set_frames(result.frames, tag=result.index, keep_index=False)
        self._show_frame(pos)
        self.shown.emit(result.index)

    def _show_frame(self, pos: PathPosition) -> None:
        self.view.set_index(pos.frame)
        name = self.path.name if self.path is not None else ""
        self.view.set_caption(f"{name} · {format_time(pos.time)} · clip {pos.clip}")

    # ---------------------------------------------------------------------------- playing
    def _on_play_toggled(self, playing: bool) -> None:
        self.play.setText("Pause" if playing else "Play")
        if playing and self.path is not None:
            if self.scrubber.value() >= self.scrubber.maximum():
                self.scrubber.setValue(0)
            self._timer.start(max(15, int(1000 / self.fps)))
        else:
            self._timer.stop()

    def _advance(self) -> None:
        if self.scrubber.value() >= self.scrubber.maximum():
            self.play.setChecked(False)
        else:
            self.scrubber.setValue(self.scrubber.value() + 1)

    def _on_source_activated(self, row: int) -> None:
        sid = self.sources.itemData(row)
        if sid is not None:
            self.source_chosen.emit(int(sid))

    def _on_view_clicked(self) -> None:
        if self.position is not None and self.state.dataset is not None:
            self.state.select([self.position.clip])

    def stop(self) -> None:
        self.play.setChecked(False)

"""Dragging a clip's point on the latent map: a ghost follows the mouse while the decoder renders live.

In the pan tool, a left-button drag that starts on a clip's point (within the picking radius) does not
pan: a ghost marker follows the cursor and every move asks the probe panel's decode channel (latest
wins) for the latent under the ghost, :func:`~latentlab.app.point_drag.render_drag`: the clip's own
latent at the press, moved by the map inverse's change since. Releasing puts the point back (the ghost
goes; the clip never moved); Shift+release keeps the latent as a pinned point (``pinned`` signal).
Escape during the drag cancels it (``cancelled``): the ghost goes, nothing is pinned, and the rest of
that mouse drag is ignored (it does not pan). A drag that starts on empty space still pans, and a click
without movement still picks the clip.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut

from latentlab.app.point_drag import drag_latent, render_drag
from latentlab.gui.generate.probe_panel import ProbeFrame, ProbePanel

PIN_MODIFIER = Qt.KeyboardModifier.ShiftModifier
HINT = (
    "dragging clip {clip}: the probe panel decodes the latent under the ghost · "
    "release: put it back · Shift+release: pin it · Esc: cancel"
)
HINT_MS = 20000


@dataclass(frozen=True)
class PointDragEnd:
    """A drag released with Shift: the latent ``z (D,)`` at map ``pos``, dragged from ``clip``."""

    dataset: Any
    clip: int
    start: tuple[float, float]
    pos: tuple[float, float]
    z: np.ndarray


@dataclass
class _Drag:
    dataset: Any
    clip: int
    start: tuple[float, float]
    pos: tuple[float, float]


class PointDrag(QObject):
    """The drag of one map's points; ``started(clip)``, ``moved(x, y)``, then ``released(clip)`` (put
    back), ``pinned(PointDragEnd)`` (Shift+release) or ``cancelled(clip)`` (Escape)."""

    started = Signal(int)
    moved = Signal(float, float)
    released = Signal(int)
    pinned = Signal(object)
    cancelled = Signal(int)

    def __init__(self, latent_map, probe: ProbePanel, say: Callable[..., None] | None = None) -> None:
        super().__init__(latent_map)
        self.map, self.state, self.probe = latent_map, latent_map.state, probe
        self.say = say or (lambda *_a, **_k: None)
        self.drag: _Drag | None = None
        self._ignoring = False  # Escape ended the drag: the rest of the mouse drag does nothing
        # Escape belongs to the drag only while one is in progress (enabled then).
        self.escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), latent_map)
        self.escape.setContext(Qt.ShortcutContext.WindowShortcut)
        self.escape.setEnabled(False)
        self.escape.activated.connect(self.escape_pressed)
        self.ghost = pg.ScatterPlotItem(
            size=18, symbol="o", pen=pg.mkPen(255, 255, 255, 230, width=2), brush=pg.mkBrush(255, 255, 255, 50)
        )
        self.ghost.setZValue(160)
        self.ghost.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.map.view.addItem(self.ghost, ignoreBounds=True)
        self.ghost.hide()
        # A dashed tether from the clip's point, which stays where it is, to the ghost.
        self.tether = pg.PlotCurveItem(pen=pg.mkPen(255, 255, 255, 160, width=1, style=Qt.PenStyle.DashLine))
        self.tether.setZValue(159)
        self.map.view.addItem(self.tether, ignoreBounds=True)
        self.tether.hide()
        self.map.view.drag_hook = self.handle

    @property
    def active(self) -> bool:
        return self.drag is not None

    def ghost_pos(self) -> tuple[float, float] | None:
        """Where the ghost is drawn (map coordinates), or None while hidden."""
        if not self.ghost.isVisible():
            return None
        x, y = self.ghost.getData()
        return float(x[0]), float(y[0])

    # ------------------------------------------------------------------------------ the drag
    def handle(self, ev) -> bool:
        """The view box's drag hook: True when this drag is a point's (then handled here)."""
        if ev.isStart():
            self._ignoring = False
            if not self._begin(ev):
                return False
        if self._ignoring:
            ev.accept()
            self._ignoring = not ev.isFinish()
            return True
        if self.drag is None:
            return False
        ev.accept()
        p = self.map.view.mapSceneToView(ev.scenePos())
        self._move(p.x(), p.y())
        if ev.isFinish():
            self._finish(bool(ev.modifiers() & PIN_MODIFIER))
        return True

    def _begin(self, ev) -> bool:
        self.drag = None
        s = self.state
        if self.map.view.tool != "pan" or s.dataset is None or s.inverse is None or s.dataset.codec is None:
            return False
        p = self.map.view.mapSceneToView(ev.buttonDownScenePos())
        clip = self.map.pick(p.x(), p.y())
        if clip < 0:
            return False
        self.drag = _Drag(s.dataset, clip, (p.x(), p.y()), (p.x(), p.y()))
        self.escape.setEnabled(True)
        self.say(HINT.format(clip=clip), HINT_MS)
        self.started.emit(clip)
        self._request(*self.drag.start)  # the clip itself, decoded at the press
        return True

    def _move(self, x: float, y: float) -> None:
        d = self.drag
        self.ghost.setData([x], [y])
        self.ghost.show()
        if 0 <= d.clip < len(self.map.coords):
            cx, cy = map(float, self.map.coords[d.clip])
            self.tether.setData([cx, x], [cy, y])
            self.tether.show()
        self.map._set_hover(-1)  # the probe panel shows the drag: no hover thumbnail over it
        if (x, y) != d.pos:
            d.pos = (x, y)
            self._request(x, y)
            self.moved.emit(x, y)

    def _request(self, x: float, y: float) -> None:
        d, inverse = self.drag, self.state.inverse
        ds, codec, mu = d.dataset, d.dataset.codec, d.dataset.mu[d.clip]
        clip, start = d.clip, d.start
        self.probe.channel.request(lambda: ProbeFrame(ds, render_drag(inverse, codec, mu, clip, start, x, y)))

    def _finish(self, pin: bool) -> None:
        d = self.drag
        self.cancel()
        if d.dataset is not self.state.dataset or self.state.inverse is None:
            return  # another dataset or map arrived mid-drag
        if pin:
            z, _ = drag_latent(self.state.inverse, d.dataset.mu[d.clip], d.clip, d.start, *d.pos)
            self.pinned.emit(PointDragEnd(d.dataset, d.clip, d.start, d.pos, z))
        else:
            self.released.emit(d.clip)
            self.say(f"clip {d.clip} put back (Shift+release keeps the dragged latent as a pinned point)")

    def escape_pressed(self) -> None:
        """Escape mid-drag: the ghost goes, nothing is pinned (``cancelled``); the mouse drag is let be."""
        d = self.drag
        if d is None:
            return
        self.cancel()
        self._ignoring = True
        self.cancelled.emit(d.clip)

    def cancel(self) -> None:
        """Drop a drag in progress (the dataset changed)."""
        self.drag = None
        self.escape.setEnabled(False)
        self.ghost.hide()
        self.tether.hide()

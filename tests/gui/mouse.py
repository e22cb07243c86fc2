"""Real mouse events for pyqtgraph views (QTest cannot hold a button down during a move)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

LEFT = Qt.MouseButton.LeftButton
NONE = Qt.MouseButton.NoButton
NOMOD = Qt.KeyboardModifier.NoModifier


def to_viewport(latent_map, x: float, y: float) -> QPointF:
    """Viewport position of map (data) coordinates ``(x, y)``."""
    scene = latent_map.view.mapViewToScene(QPointF(x, y))
    return QPointF(latent_map.plot.mapFromScene(scene))


def send(widget, kind, pos: QPointF, button=LEFT, buttons=LEFT, modifiers=NOMOD) -> None:
    glob = QPointF(widget.mapToGlobal(QPoint(int(pos.x()), int(pos.y()))))
    ev = QMouseEvent(kind, pos, glob, button, buttons, modifiers)
    QApplication.sendEvent(widget, ev)


def click(latent_map, x: float, y: float, modifiers=NOMOD, button=LEFT) -> None:
    vp, pos = latent_map.plot.viewport(), to_viewport(latent_map, x, y)
    send(vp, QEvent.Type.MouseButtonPress, pos, button, button, modifiers)
    send(vp, QEvent.Type.MouseButtonRelease, pos, button, NONE, modifiers)


def drag(latent_map, points, modifiers=NOMOD, release: bool = True) -> None:
    """Press at ``points[0]`` (map coordinates), move through the rest, release at the last."""
    vp = latent_map.plot.viewport()
    pts = [to_viewport(latent_map, x, y) for x, y in points]
    send(vp, QEvent.Type.MouseButtonPress, pts[0], LEFT, LEFT, modifiers)
    for p in pts[1:]:
        send(vp, QEvent.Type.MouseMove, p, NONE, LEFT, modifiers)
    if release:
        send(vp, QEvent.Type.MouseButtonRelease, pts[-1], LEFT, NONE, modifiers)


def hover(latent_map, x: float, y: float) -> None:
    send(latent_map.plot.viewport(), QEvent.Type.MouseMove, to_viewport(latent_map, x, y), NONE, NONE)

"""Steps the point-drag tests share: a settled window, and mouse paths in screen pixels."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from latentlab.gui.map.point_drag_extension import PointDragExtension

SHIFT = Qt.KeyboardModifier.ShiftModifier


def settled(window, qtbot):
    """The window settled (first probe frame, inverse tabulated); a clip far from the probe marker."""
    qtbot.waitUntil(lambda: window.probe.result is not None, timeout=5000)
    qtbot.waitUntil(lambda: not [j for j in window.runner.jobs if j.name.startswith("tabulate")], timeout=10000)
    ext = next(e for e in window.context.extensions if isinstance(e, PointDragExtension))
    m, c = window.map, window.state.coords
    probe = np.array([window.map.probe.pos().x(), window.map.probe.pos().y()])
    far = int(np.argmax(np.hypot(*(c - probe).T)))
    clip = m.pick(*map(float, c[far]))  # the clip drawn on top there
    assert clip >= 0
    return ext, m, clip, tuple(map(float, c[far]))


def px_path(m, start, dx_px, dy_px, steps=6):
    """Map positions from ``start`` to ``dx_px, dy_px`` screen pixels away."""
    px = m.view.viewPixelSize()
    return [(start[0] + t * dx_px * px[0], start[1] - t * dy_px * px[1]) for t in np.linspace(0, 1, steps)]


def inward(m, start, dist_px, turn=0.0):
    """A path of ``dist_px`` screen pixels from ``start`` towards the middle of the view (turned by ``turn``
    radians): the clips far from the probe lie at the edge, and a drop must stay on screen."""
    (x0, x1), (y0, y1) = m.view.viewRange()
    px = m.view.viewPixelSize()
    d = np.array([((x0 + x1) / 2 - start[0]) / px[0], -((y0 + y1) / 2 - start[1]) / px[1]])
    a = np.arctan2(d[1], d[0]) + turn
    return px_path(m, start, dist_px * np.cos(a), dist_px * np.sin(a))

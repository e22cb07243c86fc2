"""Thumbnails as points: zoomed in, the map draws clips as their posters; the hover card shows the
poster at once and plays the clip once the mouse rests on it."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from latentlab.app.dataset import Loaded
from latentlab.core.poster_layout import POSTER_PX
from latentlab.gui.map.map_interaction import HOVER_DWELL_MS
from latentlab.gui.map.poster_extension import SETTING
from tests.gui import mouse
from tests.gui.fakes import tiny_loaded


@pytest.fixture
def window(open_window, loaded):
    """The tiny dataset with frames that tell up from down, left from right, clip from clip and frame
    from frame (the fake codec's rows are all alike)."""
    n, t, side = loaded.dataset.n_clips, 4, 12
    clips = np.zeros((n, t, side, side, 3), np.uint8)
    clips[..., 0] = (20 * np.arange(side))[:, None]  # red grows downwards
    clips[..., 1] = (20 * np.arange(side))[None, :]  # green grows to the right
    clips[..., 2] = (37 * np.arange(n)[:, None] + 50 * np.arange(t)[None, :])[:, :, None, None] % 256
    ds = dataclasses.replace(loaded.dataset, read_clips=lambda idx: clips[np.asarray(idx, int)])
    return open_window(Loaded(ds, loaded.projection, loaded.inverse))


def _ready(window, qtbot):
    qtbot.waitUntil(lambda: window.player.index == window.state.current, timeout=5000)
    return window.map, window.state


def _wheel(m, x: float, y: float, notches: int) -> None:
    """Turn the mouse wheel over map position ``(x, y)``: positive zooms in."""
    vp, pos = m.plot.viewport(), mouse.to_viewport(m, x, y)
    glob = QPointF(vp.mapToGlobal(QPoint(int(pos.x()), int(pos.y()))))
    ev = QWheelEvent(
        pos,
        glob,
        QPoint(),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(vp, ev)


def _zoom_until(m, qtbot, x: float, y: float, notches: int, done, tries: int = 40) -> None:
    for _ in range(tries):
        if done():
            return
        with qtbot.waitSignal(m.posters.drawn, timeout=5000):
            _wheel(m, x, y, notches)
    assert done(), "zooming never got there"


def _zoom_in_on(m, qtbot, i: int) -> None:
    """Wheel in over clip ``i`` until the map draws posters, and wait for all of them to be read."""
    x, y = (float(v) for v in m.coords[i])
    _zoom_until(m, qtbot, x, y, 3, lambda: m.posters.plan is not None and i in m.posters.plan.indices)
    qtbot.waitUntil(lambda: all(j in m.posters.cache for j in m.posters.plan.indices), timeout=5000)
    qtbot.waitUntil(lambda: m.posters.item.isVisible(), timeout=5000)


def _central(m, n: int) -> list[int]:
    """The ``n`` clips with posters nearest the middle of the view (clear of its edges and the legend)."""
    plan = m.posters.plan
    d = np.abs(plan.centres - [plan.width / 2, plan.height / 2]).max(1)
    return [int(plan.indices[k]) for k in np.argsort(d)[:n]]


def _screen(m) -> np.ndarray:
    """The map as drawn on screen, ``(H, W, 3)`` uint8 in viewport pixels."""
    img = m.plot.viewport().grab().toImage().convertToFormat(m.plot.viewport().grab().toImage().Format.Format_RGB888)
    w, h = img.width(), img.height()
    return np.frombuffer(img.constBits(), np.uint8).reshape(h, img.bytesPerLine())[:, : 3 * w].reshape(h, w, 3)


def test_zooming_in_draws_each_clip_as_its_poster_and_zooming_out_takes_them_away(window, qtbot):
    m, s = _ready(window, qtbot)
    i = 42
    assert m.posters.plan is None and not m.posters.item.isVisible()  # the whole map: dots and density
    _zoom_in_on(m, qtbot, i)
    plan = m.posters.plan
    assert 1 <= len(plan.indices) <= 300
    screen = _screen(m)
    for j in plan.indices[:20]:
        if j == s.current:
            continue  # framed in yellow
        centre = mouse.to_viewport(m, *s.coords[j])
        cx, cy = round(centre.x()), round(centre.y())
        if not (30 <= cx < screen.shape[1] - 30 and 30 <= cy < screen.shape[0] - 30):
            continue  # partly off screen, or under the legend
        frame = s.dataset.read_clips([j])[0][2]  # the middle of 4 frames, 12 px: drawn 4x as large
        scale = POSTER_PX // frame.shape[0]
        for dy in (-14, -2, 10):  # the middle of each 4-px block: the pixel grid may round either way
            for dx in (-14, -2, 10):
                want = frame[(POSTER_PX // 2 + dy) // scale, (POSTER_PX // 2 + dx) // scale]
                got = screen[cy + dy, cx + dx]
                assert np.abs(got.astype(int) - want).max() <= 2, (j, dx, dy, got, want)
    x, y = (float(v) for v in s.coords[i])
    _zoom_until(m, qtbot, x, y, -3, lambda: m.posters.plan is None)
    assert not m.posters.item.isVisible()


def test_hover_card_shows_the_poster_at_once_and_plays_after_the_dwell(window, qtbot):
    m, s = _ready(window, qtbot)
    _zoom_in_on(m, qtbot, 42)
    a, b = _central(m, 2)
    clip_b = s.dataset.read_clips([b])[0]
    painted = []
    m.thumb.clip_painted.connect(painted.append)
    mouse.hover(m, *s.coords[a])
    assert m.thumb.isVisible() and m.thumb.tag == ("poster", a) and m._dwell.isActive()
    qtbot.waitUntil(lambda: m._dwell.remainingTime() < HOVER_DWELL_MS // 2, timeout=5000)
    start = time.perf_counter()
    mouse.hover(m, *s.coords[b])  # on to another clip before the dwell: its poster, at once
    assert m.thumb.isVisible() and m.thumb.tag == ("poster", b) and not m.thumb.playing
    np.testing.assert_array_equal(m.thumb.frames[0], clip_b[len(clip_b) // 2])
    assert m._dwell.remainingTime() > HOVER_DWELL_MS // 2  # the wait starts again for the new clip
    qtbot.waitUntil(lambda: m.thumb.tag == b and m.thumb.playing, timeout=5000)
    assert time.perf_counter() - start >= 0.9 * HOVER_DWELL_MS / 1000  # Qt's coarse timers may be 5% early
    np.testing.assert_array_equal(m.thumb.frames, clip_b)
    assert a not in painted  # passed by: never played


def test_hovering_a_clip_never_seen_shows_its_poster_once_read_then_plays(window, qtbot):
    m, s = _ready(window, qtbot)
    i = 42
    assert i not in m.posters.cache
    mouse.hover(m, *s.coords[i])
    qtbot.waitUntil(lambda: m.thumb.tag == i and m.thumb.playing, timeout=5000)
    assert i in m.posters.cache  # the next hover shows it at once
    np.testing.assert_array_equal(m.thumb.frames, s.dataset.read_clips([i])[0])
    near = m.picker.nearest(*s.coords[i], 24)
    qtbot.waitUntil(lambda: all(j in m.posters.cache for j in near), timeout=5000)  # read for the next hovers
    j = next(int(j) for j in near[1:] if m.pick(*s.coords[j]) == j)
    mouse.hover(m, *s.coords[j])
    assert m.thumb.isVisible() and m.thumb.tag == ("poster", j)  # a neighbour's poster: at once


def test_selected_and_current_posters_are_framed(window, qtbot):
    m, s = _ready(window, qtbot)
    _zoom_in_on(m, qtbot, 42)
    j = _central(m, 1)[0]
    with qtbot.waitSignal(m.posters.drawn, timeout=5000):
        s.select([j])
    k = int(np.flatnonzero(m.posters.plan.indices == j)[0])
    cx, cy = (int(v) for v in np.floor(m.posters.plan.centres[k]))
    img = m.posters.item.image  # row 0 at the bottom of the view
    assert img[cy - POSTER_PX // 2 - 1, cx, :3].tolist() == [255, 220, 80]  # the current clip: yellow


def test_a_new_dataset_clears_the_posters(window, qtbot):
    m, s = _ready(window, qtbot)
    _zoom_in_on(m, qtbot, 42)
    assert len(m.posters.cache) > 0
    other = tiny_loaded(n=60)
    window.show_loaded(other)
    assert s.dataset is other.dataset
    assert len(m.posters.cache) == 0 and m.posters.plan is None and not m.posters.item.isVisible()


def test_view_action_turns_thumbnails_off_and_on_and_is_remembered(window, qtbot, settings):
    m, s = _ready(window, qtbot)
    action = next(a for a in window.view_menu.actions() if a.text() == "&Thumbnails when zoomed in")
    assert action.isCheckable() and action.isChecked()
    _zoom_in_on(m, qtbot, 42)
    action.trigger()
    assert m.posters.plan is None and not m.posters.item.isVisible()
    assert settings.value(SETTING, type=bool) is False
    mouse.hover(m, *s.coords[42])  # the hover card works without them
    qtbot.waitUntil(lambda: m.thumb.tag == 42 and m.thumb.playing, timeout=5000)
    action.trigger()
    assert m.posters.plan is not None and m.posters.item.isVisible()
    assert settings.value(SETTING, type=bool) is True

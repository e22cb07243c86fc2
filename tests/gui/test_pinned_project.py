"""Pinned points are the project's work: saved with it, given back on opening, edited through Edit → Undo,
and a point drag is cancelled with Escape. Through the real mouse, keys and File menu."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from latentlab.core.project import Project, load_project, save_project
from latentlab.gui.map.pinned_points import star_positions
from latentlab.gui.map.point_drag_extension import PointDragExtension
from latentlab.gui.project import project_extension
from tests.gui import mouse
from tests.gui.drag_steps import SHIFT, inward, settled
from tests.gui.fakes import fake_open_dataset  # noqa: F401  (the fixtures are in conftest.py)
from tests.gui.project_steps import load

CTRL = Qt.KeyboardModifier.ControlModifier


def _ext(w) -> PointDragExtension:
    return next(e for e in w.context.extensions if isinstance(e, PointDragExtension))


def _keys(qtbot, w, key, modifiers=Qt.KeyboardModifier.NoModifier):
    """Press ``key`` as the user does: into the active window (its shortcuts answer)."""
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=5000)
    qtbot.keyClick(w, key, modifiers)


@pytest.fixture
def files(monkeypatch):
    """The file dialogs of File → Save / Open answered with ``files["path"]``."""
    answer = {"path": ""}
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(answer["path"]), "")))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(answer["path"]), "")))
    return answer


def _pin_one(qtbot, w, turn=0.3, tag=None):
    ext, m, clip, p0 = settled(w, qtbot)
    mouse.drag(m, inward(m, p0, 70, turn=turn), modifiers=SHIFT)
    point = list(ext.points)[-1]
    if tag:
        ext.panel.tag_edit.setText(tag)
        qtbot.mouseClick(ext.panel.tag_button, Qt.MouseButton.LeftButton)
    return ext, clip, ext.points.get(point.id)


def test_pinned_points_are_saved_with_the_project_and_come_back(make_window, qtbot, folder, files):
    root, store, ckpt = folder
    w, ctl = make_window()
    load(qtbot, w, store, ckpt)
    ext, clip, point = _pin_one(qtbot, w, tag="keeper")
    assert point.tags == ("keeper",) and ctl.dirty and w.windowTitle().startswith("untitled*")
    files["path"] = root / "pins.latentlab"
    ctl.save_action.trigger()  # File → Save project (untitled: asks where)
    assert not ctl.dirty and not w.status.last_error
    (saved,) = load_project(root / "pins.latentlab").pinned
    assert saved["source_key"] == str(w.state.dataset.clip_keys()[clip]) and saved["tags"] == ["keeper"]
    assert w.close()

    w2, ctl2 = make_window()
    with qtbot.waitSignal(ctl2.opened, timeout=10000):
        ctl2.open_action.trigger()  # File → Open project…
    ext2 = _ext(w2)
    (back,) = list(ext2.points)
    assert (back.id, back.tags, back.pos, back.source) == (point.id, ("keeper",), point.pos, clip)
    np.testing.assert_array_equal(back.z, point.z)
    np.testing.assert_allclose(star_positions(ext2.layer), [point.pos])  # drawn on the map
    assert ext2.dock.isVisible() and "pinned 1 · from clip" in ext2.panel.list.item(0).text()
    assert not ctl2.dirty  # shown as saved: not an edit
    # Removing it is an unsaved change: closing asks to save.
    qtbot.mouseClick(ext2.panel.remove_button, Qt.MouseButton.LeftButton)
    assert ctl2.dirty and "*" in w2.windowTitle()
    asked = []
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(project_extension, "ask", lambda _w, _t, text, _b: asked.append(text) or "Cancel")
    w2.status.dialogs_enabled = True
    try:
        assert not w2.close() and asked == ["Save the changes to pins?"]
    finally:
        w2.status.dialogs_enabled = False
        monkeypatch.undo()
    # The next pin takes a new id (never one the file knew).
    _, _, again = _pin_one(qtbot, w2, turn=-0.4)
    assert again.id == 2


def test_an_older_project_opens_a_gone_clip_is_said_and_another_models_points_are_kept(make_window, qtbot, folder):
    root, store, ckpt = folder
    old = root / "old.latentlab"
    doc = Project(store=str(store), checkpoint=str(ckpt))
    save_project(doc, old)
    text = old.read_text().replace('"version": 2', '"version": 1').replace('"pinned": []', '"other": 0')
    old.write_text(text)  # as version 1 wrote it: no pinned points
    w, ctl = make_window()
    with qtbot.waitSignal(ctl.opened, timeout=10000):
        ctl.open_project(old)
    assert len(_ext(w).points) == 0 and not w.status.last_error
    gone = {"id": 1, "latent": [0.5] * 4, "map_pos": [0.0, 0.0], "source_key": "no such clip", "tags": []}
    save_project(Project(store=str(store), checkpoint=str(ckpt), pinned=[gone]), root / "gone.latentlab")
    with qtbot.waitSignal(ctl.opened, timeout=10000):
        ctl.open_project(root / "gone.latentlab")
    assert [p.source for p in _ext(w).points] == [-1]  # its clip left the store: the point stays
    assert "pinned 1 · from a clip not in this store" in _ext(w).panel.list.item(0).text()

    wide = {"id": 4, "latent": [0.5] * 9, "map_pos": [0.0, 0.0], "source_key": None, "tags": ["x"]}
    save_project(Project(store=str(store), checkpoint=str(ckpt), pinned=[wide]), root / "wide.latentlab")
    with qtbot.waitSignal(ctl.opened, timeout=10000):
        ctl.open_project(root / "wide.latentlab")
    ext = _ext(w)
    assert len(ext.points) == 0 and len(star_positions(ext.layer)) == 0
    msg = w.status.last_error
    assert "pinned point is not shown" in msg and "this model has 4" in msg and "\n" not in msg
    _, _, point = _pin_one(qtbot, w)
    assert point.id == 5  # after the kept one's
    assert ctl.save()
    assert [p["id"] for p in load_project(root / "wide.latentlab").pinned] == [5, 4]  # nothing lost


def test_pinned_edits_undo_and_redo_with_the_windows_shortcuts(window, qtbot):
    ext, clip, point = _pin_one(qtbot, window)
    menus = window.context.curation.menus
    assert menus.undo_action.text() == "Undo pin pinned 1" and not hasattr(ext.panel, "undo_button")
    ext.panel.tag_edit.setText("odd")
    qtbot.mouseClick(ext.panel.tag_button, Qt.MouseButton.LeftButton)
    assert ext.points.get(point.id).tags == ("odd",)
    _keys(qtbot, window, Qt.Key.Key_Z, CTRL)  # Ctrl+Z: the tag goes
    assert ext.points.get(point.id).tags == () and "tags:" not in ext.panel.list.item(0).text()
    _keys(qtbot, window, Qt.Key.Key_Z, CTRL)  # and the pin
    assert len(ext.points) == 0 and len(star_positions(ext.layer)) == 0
    _keys(qtbot, window, Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)  # Ctrl+Shift+Z: back
    assert [p.id for p in ext.points] == [point.id] and len(star_positions(ext.layer)) == 1
    assert menus.redo_action.text() == "Redo tag pinned 1 as 'odd'"


def test_escape_cancels_a_point_drag(window, qtbot):
    ext, m, clip, p0 = settled(window, qtbot)
    path = inward(m, p0, 70)
    mouse.drag(m, path, release=False)
    assert ext.drag.active and ext.drag.ghost_pos() is not None
    view_before = m.view.viewRange()
    _keys(qtbot, window, Qt.Key.Key_Escape)
    assert not ext.drag.active and ext.drag.ghost_pos() is None and not ext.drag.tether.isVisible()
    assert "cancelled" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: window.probe.result.pos == window.state.probe, timeout=5000)  # the probe's again
    assert window.probe.decoded.caption == "decoded at the probe"
    # The mouse goes on and is let go with Shift: nothing is pinned and the map does not pan.
    vp = m.plot.viewport()
    back = mouse.to_viewport(m, *path[2])
    mouse.send(vp, mouse.QEvent.Type.MouseMove, back, mouse.NONE, mouse.LEFT, SHIFT)
    mouse.send(vp, mouse.QEvent.Type.MouseButtonRelease, back, mouse.LEFT, mouse.NONE, SHIFT)
    assert len(ext.points) == 0 and ext.drag.ghost_pos() is None
    assert m.view.viewRange() == view_before
    # Escape with no drag in progress is left to others; the next drag works as before.
    assert not ext.drag.escape.isEnabled()
    mouse.drag(m, inward(m, p0, 50), modifiers=SHIFT)
    assert len(ext.points) == 1


def test_the_projects_pinned_points_go_on_when_its_data_is_opened_again(make_window, qtbot, folder, monkeypatch):
    root, store, ckpt = folder
    w, ctl = make_window()
    load(qtbot, w, store, ckpt)
    assert ctl.new_project(root / "p.latentlab")
    _, _, saved = _pin_one(qtbot, w)
    assert ctl.save()
    _, _, unsaved = _pin_one(qtbot, w, turn=-0.5)
    load(qtbot, w, store, ckpt)  # the same data again (Open recent): the unsaved pin is still there, unsaved
    ext = _ext(w)
    assert [p.id for p in ext.points] == [saved.id, unsaved.id] and ctl.dirty
    np.testing.assert_array_equal(ext.points.get(unsaved.id).z, unsaved.z)
    assert ctl.save() and [p["id"] for p in load_project(root / "p.latentlab").pinned] == [1, 2]
    _pin_one(qtbot, w, turn=0.9)
    w.status.dialogs_enabled = True
    monkeypatch.setattr(project_extension, "ask", lambda *a: "Discard")
    load(qtbot, w, store, ckpt)  # Discard: the project's saved pinned points, not the dropped one
    w.status.dialogs_enabled = False
    assert [p.id for p in _ext(w).points] == [1, 2] and not ctl.dirty

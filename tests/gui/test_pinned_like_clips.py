"""A pinned point is tagged and exported like a clip: the Tags dock tags the pinned point the probe panel shows
(one Edit → Undo step), and File → Export… writes the pinned points, marked generated, beside the clips."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from latentlab.core.export_tables import split_tags
from latentlab.core.tags import TagClips
from latentlab.gui.project.export_dialog import ExportDialog
from tests.gui import mouse
from tests.gui.drag_steps import SHIFT, inward, settled
from tests.gui.store_window import show_store
from tests.media.helpers import read_video


@pytest.fixture
def stored(window, tmp_path, codec):
    """The window showing a real 12-clip store with tags cat (clips 1, 4) and dog ü (none)."""
    store = show_store(window, tmp_path / "store", codec)
    cur = window.context.curation
    cur.undo.push(TagClips(cur.book, "cat", [1, 4]))
    return store


def _pin(window, qtbot):
    """Shift-drag a clip's point with the real mouse: one pinned point; returns (extension, point, clip)."""
    ext, m, clip, p0 = settled(window, qtbot)
    mouse.drag(m, inward(m, p0, 80, turn=0.3), modifiers=SHIFT)
    (point,) = list(ext.points)
    return ext, point, clip


def test_the_tags_dock_tags_the_pinned_point_shown_and_undo_takes_it_off(window, stored, qtbot):
    ext, point, _clip = _pin(window, qtbot)
    cur, panel = window.context.curation, window.context.curation.panel
    undo = cur.menus.undo_action
    window.state.select([2])
    window.state.move_probe(*map(float, window.state.coords[0]))  # the probe again: the dock tags clips
    assert panel.buttons["tag"].text() == "Tag selection"
    qtbot.mouseClick(ext.panel.play_button, Qt.MouseButton.LeftButton)  # played from the Pinned dock
    assert panel.buttons["tag"].text() == "Tag pinned 1" and "pinned 1 (generated) shown" in panel.hint.text()
    panel.set_current_tag("dog ü")
    qtbot.mouseClick(panel.buttons["tag"], Qt.MouseButton.LeftButton)
    assert ext.points.get(point.id).tags == ("dog ü",)
    assert cur.book.members("dog ü").size == 0  # the selected clip 2 was not tagged
    assert "tags: dog ü" in panel.hint.text() and "tags: dog ü" in ext.panel.list.item(0).text()
    names = ext.panel.tag_names  # the Pinned dock's tag field completes the same tags, with their colours
    assert [names.item(r).text() for r in range(names.rowCount())] == ["cat", "dog ü"]
    assert names.item(0).data(Qt.ItemDataRole.DecorationRole).name() == cur.book.colour("cat")
    undo.trigger()  # Edit → Undo (Ctrl+Z)
    assert ext.points.get(point.id).tags == () and "tags: none" in panel.hint.text()
    cur.menus.redo_action.trigger()
    assert ext.points.get(point.id).tags == ("dog ü",)
    qtbot.mouseClick(panel.buttons["untag"], Qt.MouseButton.LeftButton)
    assert ext.points.get(point.id).tags == ()
    # Clips selected again: the buttons tag the selection as before.
    window.state.select([5])
    assert panel.buttons["tag"].text() == "Tag selection"
    qtbot.mouseClick(panel.buttons["tag"], Qt.MouseButton.LeftButton)
    assert cur.book.members("dog ü").tolist() == [5] and ext.points.get(point.id).tags == ()
    # The star clicked on the map shows the point: the dock tags it again; removed, the dock lets go.
    mouse.click(window.map, *point.pos)
    qtbot.waitUntil(lambda: panel.buttons["tag"].text() == "Tag pinned 1", timeout=5000)
    qtbot.mouseClick(ext.panel.remove_button, Qt.MouseButton.LeftButton)
    assert cur.pinned_shown is None and panel.buttons["tag"].text() == "Tag selection"


def test_file_export_includes_the_pinned_points_marked_generated(window, stored, qtbot, tmp_path, monkeypatch):
    ext, point, clip = _pin(window, qtbot)
    qtbot.mouseClick(ext.panel.play_button, Qt.MouseButton.LeftButton)
    panel = window.context.curation.panel
    panel.set_current_tag("cat")
    qtbot.mouseClick(panel.buttons["tag"], Qt.MouseButton.LeftButton)
    out, seen = tmp_path / "out", {}

    def fake_exec(dialog):  # the user picks the tag cat, videos, the pinned points and a folder, then OK
        seen["pinned"] = (dialog.pinned.text(), dialog.pinned.isVisibleTo(dialog))
        dialog.set_scope(("tag", "cat"))
        dialog.format.setCurrentIndex(dialog.format.findData("videos"))
        dialog.pinned.setChecked(True)
        dialog.out.setText(str(out))
        dialog.accept()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ExportDialog, "exec", fake_exec)
    action = next(a for a in window.file_menu.actions() if a.text() == "&Export…")
    with qtbot.waitSignal(window.context.export.exported, timeout=20000) as blocker:
        action.trigger()
    assert seen["pinned"] == ("Include the 1 pinned point (generated)", True)
    report = blocker.args[0]
    assert report.counts["clips"] == 2 and report.counts["pinned points (generated)"] == 1
    with open(out / "pinned.csv", encoding="utf-8") as fh:
        (row,) = list(csv.DictReader(fh))
    keys = list(window.state.dataset.clip_keys())
    assert row["name"] == "pinned 1" and row["generated"] == "true" and row["source_key"] == keys[clip]
    assert split_tags(row["tags"]) == ["cat"]
    frames = read_video(out / row["file"])  # the pinned point's decoded clip
    codec = window.state.dataset.codec
    assert frames.shape[0] == codec.frames and frames.shape[1] >= codec.height
    np.testing.assert_allclose(np.load(out / "pinned" / "pinned_latents.npy")[int(row["latent_row"])], point.z)
    doc = json.loads((out / "pinned" / "pinned.json").read_text(encoding="utf-8"))
    assert doc["points"][0]["generated"] is True and doc["points"][0]["tags"] == ["cat"]
    files = json.loads((out / "export.json").read_text(encoding="utf-8"))["report"]["files"]
    assert "pinned.csv" in files and row["file"] in files and len([f for f in files if f.startswith("clips/")]) == 2


def test_the_export_dialog_offers_no_pinned_points_when_there_are_none(window, stored, monkeypatch):
    seen = {}

    def fake_exec(dialog):
        seen["visible"] = dialog.pinned.isVisibleTo(dialog)
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(ExportDialog, "exec", fake_exec)
    next(a for a in window.file_menu.actions() if a.text() == "&Export…").trigger()
    assert seen == {"visible": False}

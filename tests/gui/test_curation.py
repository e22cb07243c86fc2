"""Curation in the window: the Tags dock, undo/redo through the Edit menu, the Select menu's tools."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QInputDialog

from latentlab.core.tags import TagError
from tests.gui.fakes import tiny_loaded


@pytest.fixture
def cur(window):
    return window.context.curation


def menu_action(menu, text):
    return next(a for a in menu.actions() if a.text().replace("&", "").startswith(text))


def test_tag_the_selection_then_undo_and_redo_through_the_edit_menu(window, cur, qtbot, monkeypatch):
    panel, menus = cur.panel, cur.menus
    assert window.findChild(type(cur.dock), "dock_tags") is cur.dock
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("cats", True))
    panel.buttons["new"].click()
    assert panel.current_tag() == "cats" and panel.rows() == [("cats", cur.book.colour("cats"), 0)]
    window.state.select([4, 9, 11])
    panel.buttons["tag"].click()
    assert panel.rows()[0][2] == 3 and cur.book.members("cats").tolist() == [4, 9, 11]
    assert menus.undo_action.text() == "Undo tag 3 clips as 'cats'" and menus.undo_action.isEnabled()
    # the map is coloured by tag, in the tag's colour
    assert window.state.colour_field == "tag" and window.colour_combo.currentText() == "tag"
    tag_field = window.state.dataset.fields["tag"]
    assert tag_field.values[[4, 9, 11]].tolist() == [0, 0, 0] and tag_field.values[5] == -1
    assert sorted(g.label for g in window.map.groups) == ["cats", "untagged"]  # the legend says what grey is
    group = next(g for g in window.map.groups if g.label == "cats")
    assert group.colour.name() == cur.book.colour("cats") and group.indices.tolist() == [4, 9, 11]
    menus.undo_action.trigger()
    assert panel.rows() == [("cats", cur.book.colour("cats"), 0)]
    assert window.state.dataset.fields["tag"].values[4] == -1
    assert menus.redo_action.text() == "Redo tag 3 clips as 'cats'"
    menus.redo_action.trigger()
    assert panel.rows()[0][2] == 3 and not menus.redo_action.isEnabled()
    menus.undo_action.trigger()
    menus.undo_action.trigger()  # the tag's creation too
    assert panel.rows() == [] and menus.undo_action.text() == "Undo" and not menus.undo_action.isEnabled()
    assert menus.undo_action.shortcut().toString() == "Ctrl+Z"
    assert menus.redo_action.shortcut().toString() == "Ctrl+Shift+Z"


def test_every_tag_edit_in_the_window_is_one_undo_step(window, cur):
    panel, states = cur.panel, []
    window.state.select([1, 2, 3, 4])
    for edit in (
        lambda: cur.create_tag("a", "#112233"),
        lambda: cur.create_tag("b"),
        lambda: cur.tag_selection("a"),
        lambda: cur.tag_selection("new one"),
        lambda: cur.rename_tag("a", "alpha"),
        lambda: cur.recolour_tag("b", "#abcdef"),
        lambda: cur.untag_selection("alpha"),
        lambda: cur.delete_tag("new one"),
    ):
        states.append(panel.rows())
        edit()
        assert panel.rows() != states[-1]
    final = panel.rows()
    assert final == [("alpha", "#112233", 0), ("b", "#abcdef", 0)]
    for before in reversed(states):
        cur.menus.undo_action.trigger()
        assert panel.rows() == before
    for _ in states:
        cur.menus.redo_action.trigger()
    assert panel.rows() == final


def test_refused_edits_are_reported_and_change_nothing(window, cur, monkeypatch):
    cur.create_tag("cats")
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("cats", True))
    cur.panel.buttons["new"].click()  # a taken name: the error reaches the status bar
    assert "already a tag 'cats'" in window.status.last_error and len(cur.undo) == 1
    window.state.select([])
    assert not cur.panel.buttons["tag"].isEnabled()
    with pytest.raises(TagError, match="select some clips"):
        cur.tag_selection("cats")
    with pytest.raises(TagError, match="find near-duplicates first"):
        cur.keep_one_per_group()


def test_select_and_show_only_a_tag(window, cur):
    window.state.select([3, 5])
    cur.tag_selection("x")
    window.state.select([0])
    cur.panel.show_only.setChecked(True)
    assert window.map.shown.tolist() == [3, 5] and "showing 2 of 240" in window.map.caption.text()
    window.state.select([7])
    cur.tag_selection("x")  # the filter follows the tag's members
    assert window.map.shown.tolist() == [3, 5, 7]
    cur.panel.show_only.setChecked(False)
    assert window.map.shown is None
    cur.panel.buttons["select"].click()
    assert window.state.selection.tolist() == [3, 5, 7]


def test_grow_to_k_nearest_through_the_menu(window, cur, qtbot, monkeypatch):
    monkeypatch.setattr(QInputDialog, "getInt", lambda *a, **k: (5, True))
    window.state.select([7])
    menu_action(cur.menus.select_menu, "Grow to k nearest").trigger()
    qtbot.waitUntil(lambda: window.state.selection.size > 1, timeout=5000)
    mu = window.state.dataset.mu
    expected = np.argsort(np.linalg.norm(mu - mu[7], axis=1))[:6]
    assert sorted(window.state.selection.tolist()) == sorted(expected.tolist())


def test_grow_to_a_latent_radius(window, cur, qtbot):
    mu = window.state.dataset.mu
    window.state.select([0, 1])
    r = 0.5
    with qtbot.waitSignal(cur.grow_radius(r).succeeded, timeout=5000):
        pass
    d = np.minimum(np.linalg.norm(mu - mu[0], axis=1), np.linalg.norm(mu - mu[1], axis=1))
    assert window.state.selection.tolist() == np.flatnonzero(d <= r).tolist()


@pytest.fixture
def dup_window(window):
    """The window showing 60 clips in which clips 40..59 copy clips 0..19 (with tiny noise)."""
    from latentlab.app.dataset import Loaded, make_dataset
    from latentlab.core.inverse import make_inverse
    from latentlab.core.projection import fit_projection
    from tests.gui.fakes import tiny_latents

    codec = window.state.dataset.codec
    mu, logvar = tiny_latents(60, 6, seed=4)
    mu[40:] = mu[:20] + 1e-4
    clips = codec.decode(mu)
    ds = make_dataset("dups", mu, logvar, codec, read_clips=lambda i: clips[np.asarray(i, int)], fps=12.0)
    projection = fit_projection(mu, "pca")
    window.show_loaded(Loaded(ds, projection, make_inverse(mu, projection)))
    return window


def test_near_duplicates_and_keep_one_per_group(dup_window, cur, qtbot):
    window = dup_window
    with qtbot.waitSignal(cur.find_duplicates(0.01).succeeded, timeout=5000):
        pass
    assert window.state.selection.tolist() == list(range(40, 60))  # the later copy of each pair
    assert cur.menus.keep_action.isEnabled()
    cur.menus.keep_action.trigger()
    assert cur.book.members("duplicate").tolist() == list(range(40, 60))
    assert window.state.selection.tolist() == list(range(20))  # the clip kept of each group, not all the rest
    assert "selected the 20 clips kept, one per group" in window.statusBar().currentMessage()
    assert len(cur.undo) == 1 and cur.undo.undo_text == "tag 20 near-duplicates as 'duplicate'"
    cur.menus.undo_action.trigger()
    assert "duplicate" not in cur.book
    assert window.state.selection.tolist() == list(range(40, 60))  # Ctrl+Z gives the selection back too
    # within a selection: only the pairs inside it count
    window.state.select([0, 1, 2, 40, 41])
    with qtbot.waitSignal(cur.find_duplicates(0.01).succeeded, timeout=5000):
        pass
    assert window.state.selection.tolist() == [40, 41]
    assert (
        "2 near-duplicate groups in the 5 selected clips: 2 extra clips selected" in window.statusBar().currentMessage()
    )
    cur.keep_one_per_group()
    assert window.state.selection.tolist() == [0, 1]


def test_near_duplicates_says_when_there_are_none(dup_window, cur, qtbot):
    with qtbot.waitSignal(cur.find_duplicates(1e-9).succeeded, timeout=5000):
        pass
    assert (
        "no near-duplicates closer than 1e-09 in all clips: try a larger distance"
        in dup_window.statusBar().currentMessage()
    )
    assert not cur.menus.keep_action.isEnabled()


def test_suggestions_need_two_tags_and_say_their_scope(window, cur, qtbot):
    window.state.select([0, 4, 8])
    cur.tag_selection("zero")
    assert not cur.menus.suggest_action.isEnabled()  # one tag: every clip would get it at confidence 1
    with pytest.raises(TagError, match="two different tags"):
        cur.suggest_tags(show=False)
    window.state.select([1, 5, 9])
    cur.tag_selection("one")
    assert cur.menus.suggest_action.isEnabled()
    window.state.select(np.arange(20))
    with qtbot.waitSignal(cur.suggest_tags().succeeded, timeout=10000):
        pass
    assert cur.suggestions_dialog.windowTitle() == "Suggested tags for the untagged clips of the 20 selected clips"
    assert "suggestions for the untagged clips of the 20 selected clips" in window.statusBar().currentMessage()
    cur.suggestions_dialog.close()


def test_diverse_subset_spreads_over_the_clusters(window, cur, qtbot):
    with qtbot.waitSignal(cur.diverse_subset(4).succeeded, timeout=5000):
        pass
    chosen = window.state.selection
    assert chosen.size == 4 and sorted(chosen % 4) == [0, 1, 2, 3]  # tiny_latents: clip i is in cluster i % 4


def test_accepted_suggestions_become_one_undo_step(window, cur, qtbot):
    n = window.state.dataset.n_clips
    cluster = np.arange(n) % 4
    window.state.select(np.flatnonzero(cluster == 0)[:5])
    cur.tag_selection("zero")
    window.state.select(np.flatnonzero(cluster == 1)[:5])
    cur.tag_selection("one")
    window.state.select(np.flatnonzero(cluster <= 1))  # the scope: clusters 0 and 1
    steps = len(cur.undo)
    with qtbot.waitSignal(cur.suggest_tags().succeeded, timeout=10000):
        pass
    dialog = cur.suggestions_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    assert dialog.model.rowCount() == (cluster <= 1).sum() - 10
    dialog.accept_above(0.0)
    clips, tags = dialog.accepted_rows()
    truth = np.where(cluster[clips] == 0, "zero", "one")
    assert np.mean(np.asarray(tags) == truth) >= 0.95
    dialog.apply()
    assert len(cur.undo) == steps + 1 and cur.undo.undo_text == f"accept {clips.size} tag suggestions"
    assert sum(cur.book.counts().values()) == (cluster <= 1).sum()
    cur.menus.undo_action.trigger()
    assert cur.book.counts() == {"zero": 5, "one": 5}


def test_saved_selections_and_project_state_round_trip(window, cur, qtbot, monkeypatch):
    changes = []
    cur.state_changed.connect(lambda: changes.append(1))
    window.state.select([2, 3])
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("pair", True))
    menu_action(cur.menus.select_menu, "Save selection as").trigger()
    assert cur.selections.names() == ["pair"] and changes
    window.state.select([0])
    cur.menus.saved_menu.actions()[0].trigger()
    assert window.state.selection.tolist() == [2, 3]
    cur.tag_selection("t\tab")
    tags, selections = cur.dump_state()
    assert tags["tags"][0]["clips"] == ["#2", "#3"] and selections["selections"][0]["name"] == "pair"
    window.show_loaded(tiny_loaded())  # another dataset: empty tags and history
    assert cur.book.names() == [] and cur.selections.names() == [] and not cur.undo.can_undo
    cur.load_state(tags, selections)
    assert cur.book.members("t\tab").tolist() == [2, 3] and cur.selections.get("pair").tolist() == [2, 3]
    assert cur.panel.rows() == [("t\tab", cur.book.colour("t\tab"), 2)] and not cur.undo.can_undo
    with pytest.raises(TagError):
        cur.load_state({"tags": "nonsense"}, {})
    assert cur.book.names() == ["t\tab"]  # a bad project changes nothing


def test_ctrl_z_and_ctrl_shift_z_keys(window, cur, qtbot):
    from PySide6.QtCore import Qt

    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    window.state.select([1, 2])
    cur.create_tag("k")
    cur.tag_selection("k")
    window.map.setFocus()
    qtbot.keyClick(window.map, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert cur.book.counts() == {"k": 0}
    qtbot.keyClick(window.map, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert cur.book.counts() == {"k": 2}


def test_rename_colour_and_delete_buttons_through_their_dialogs(window, cur, monkeypatch):
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QColorDialog

    cur.create_tag("cats")
    cur.panel.set_current_tag("cats")
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("felines", True))
    cur.panel.buttons["rename"].click()
    monkeypatch.setattr(QColorDialog, "getColor", lambda *a, **k: QColor("#102030"))
    cur.panel.buttons["colour"].click()
    assert cur.panel.rows() == [("felines", "#102030", 0)]
    assert cur.menus.undo_action.text() == "Undo recolour tag 'felines'"
    cur.panel.buttons["delete"].click()
    assert cur.panel.rows() == []
    cur.menus.undo_action.trigger()
    assert cur.panel.rows() == [("felines", "#102030", 0)]
    monkeypatch.setattr(QColorDialog, "getColor", lambda *a, **k: QColor())  # cancelled: no edit
    cur.panel.buttons["colour"].click()
    assert cur.undo.undo_text == "recolour tag 'felines'" and cur.undo.redo_text == "delete tag 'felines'"


def test_diverse_subset_and_radius_through_the_menu(window, cur, qtbot, monkeypatch):
    monkeypatch.setattr(QInputDialog, "getInt", lambda *a, **k: (4, True))
    menu_action(cur.menus.select_menu, "Diverse subset").trigger()
    qtbot.waitUntil(lambda: window.state.selection.size == 4, timeout=5000)
    window.state.select([0])
    monkeypatch.setattr(QInputDialog, "getDouble", lambda *a, **k: (0.0, True))
    menu_action(cur.menus.select_menu, "Grow to latent radius").trigger()
    qtbot.waitUntil(lambda: not window.runner.jobs, timeout=5000)
    assert window.state.selection.tolist() == [0]  # radius 0: only the clip itself

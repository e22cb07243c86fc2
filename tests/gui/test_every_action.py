"""Every QAction of every menu and toolbar, triggered the way a user does (``QAction.trigger()`` and the
keyboard shortcut where there is one), with every modal dialog answered by a fixture; on a window
showing a small store and on an empty window. Any error the window reports, or any exception escaping
a slot, fails the test. Actions added later are covered without touching this file."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import QColorDialog, QDialog, QFileDialog, QInputDialog, QMessageBox, QToolBar, QWidgetAction

from latentlab.app import loading
from latentlab.core.tags import CreateTag, TagClips
from latentlab.gui import ingest_offer
from latentlab.gui.errors import hub
from latentlab.gui.training import compare_extension as model_compare
from latentlab.gui.workers import JobCancelled
from tests.gui.fakes import fake_open_dataset

QUIT = "Quit"


def all_actions(window) -> list[QAction]:
    """Leaf actions of the menu bar (sub-menus included) and of every toolbar, in menu order."""
    found: list[QAction] = []

    def walk(actions) -> None:
        for act in actions:
            if act.isSeparator() or isinstance(act, QWidgetAction):
                continue
            if act.menu() is not None:
                walk(act.menu().actions())
            elif act not in found:
                found.append(act)

    walk(window.menuBar().actions())
    for bar in window.findChildren(QToolBar):
        walk(bar.actions())
    return found


def label(act: QAction) -> str:
    return act.text().replace("&", "") or act.toolTip()


@pytest.fixture
def answers(monkeypatch, tmp_path):
    """Every modal dialog answered: folders and files in ``tmp_path`` (the store and model where one
    is asked for), the default of every input dialog, Yes / the first button of every question."""
    counter = itertools.count()
    paths = {"store": "", "checkpoint": "", "project": ""}
    asked: list[str] = []

    def directory(_parent=None, title="", *_a, **_k):
        asked.append(title)
        if "store" in title.lower():
            return paths["store"]
        if "checkpoint" in title.lower():
            return paths["checkpoint"]
        folder = tmp_path / f"dir{next(counter)}"
        folder.mkdir()
        return str(folder)

    def save_file(_parent=None, title="", start="", filters="", *_a, **_k):
        asked.append(title)
        suffix = filters.split("*")[1].split(")")[0].split()[0] if "*" in filters else ".out"
        path = str(tmp_path / f"saved{next(counter)}{suffix}")
        if suffix == ".latentlab":
            paths["project"] = path
        return path, filters

    def open_file(_parent=None, title="", *_a, **_k):
        asked.append(title)
        return paths["project"], ""

    def answer_box(box, *_a):
        buttons = box.buttons()
        if buttons:
            box.setDefaultButton(buttons[0])
            buttons[0].click()
        return 0

    def answer_dialog(dialog, *_a):
        asked.append(dialog.windowTitle())
        dialog.accept()
        return dialog.result()

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(directory))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(save_file))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(open_file))
    monkeypatch.setattr(
        QInputDialog, "getInt", staticmethod(lambda _p, t, _l, value=0, *a, **k: (asked.append(t) or value, True))
    )
    monkeypatch.setattr(
        QInputDialog, "getDouble", staticmethod(lambda _p, t, _l, value=0.0, *a, **k: (asked.append(t) or value, True))
    )
    monkeypatch.setattr(
        QInputDialog,
        "getText",
        staticmethod(lambda _p, t, _l, *a, text="", **k: (asked.append(t) or text or "answer", True)),
    )
    monkeypatch.setattr(QColorDialog, "getColor", staticmethod(lambda *a, **k: QColor("#ff8800")))
    for name in ("question", "warning", "information", "critical"):
        monkeypatch.setattr(
            QMessageBox, name, staticmethod(lambda _p, t, *a, **k: asked.append(t) or QMessageBox.StandardButton.Yes)
        )
    monkeypatch.setattr(QMessageBox, "about", staticmethod(lambda _p, t, *a: asked.append(t)))
    monkeypatch.setattr(QMessageBox, "exec", answer_box)
    monkeypatch.setattr(QDialog, "exec", answer_dialog)
    monkeypatch.setattr(ingest_offer, "ask", lambda *_a: False)
    return paths, asked


@pytest.fixture
def errors(qtbot):
    seen: list[str] = []
    hub().error_reported.connect(lambda message, _detail: seen.append(message))
    return seen


def fake_side(checkpoint, store, progress=None, cancel=None):
    """model_compare.load_side without torch: the store 'encoded' by another FakeCodec."""
    from tests.gui.fakes import FakeCodec

    codec = FakeCodec(latent_dim=3, frames=store.geometry.frames, size=store.geometry.height)
    mu, logvar = codec.encode(store.read(np.arange(len(store))))
    from latentlab.core.projection import fit_projection

    return model_compare.ModelSide("other", str(checkpoint), mu, logvar, fit_projection(mu, "pca").coords, codec, 4.0)


def press_shortcut(qtbot, window, act: QAction) -> None:
    combo = act.shortcut()[0]
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    qtbot.keyClick(window, combo.key(), combo.keyboardModifiers())


def run_every_action(qtbot, window, errors, tried: list[str], prepare=lambda: None) -> None:
    """Trigger each enabled action (then its shortcut), let its jobs finish, fail on any error.
    Menus that change (recent files, saved selections) are walked again until nothing new appears."""
    done: set[str] = set()
    for _round in range(4):
        fresh = [label(a) for a in all_actions(window) if label(a) not in done and label(a) != QUIT]
        if not fresh:
            break
        for name in fresh:
            done.add(name)
            prepare()
            act = next((a for a in all_actions(window) if label(a) == name), None)  # menus may be rebuilt
            if act is None or not act.isEnabled():
                continue
            tried.append(name)
            ways = [act.trigger] + (
                [lambda a=act: press_shortcut(qtbot, window, a)] if not act.shortcut().isEmpty() else []
            )
            for way in ways:
                way()
                qtbot.waitUntil(lambda: not window.runner.jobs, timeout=30000)
                assert not errors, f"{name}: {errors}"
                assert not window.status.last_error, f"{name}: {window.status.last_error}"


def test_every_action_on_a_store(make_window, folder, qtbot, answers, errors, monkeypatch, tmp_path):
    root, store, ckpt = folder
    paths, asked = answers
    paths.update(store=str(store), checkpoint=str(ckpt))
    monkeypatch.setattr(model_compare, "load_side", fake_side)

    def open_dataset(store_path, checkpoint, *_a):
        loaded = fake_open_dataset(store_path or str(store), checkpoint or str(ckpt))  # sample data: the store
        loaded.dataset.codec.config = {"model": {"beta": 1.0}}  # what compare reads of the open model
        return loaded

    monkeypatch.setattr(loading, "open_dataset", open_dataset)
    w, ctl = make_window()
    w.settings.setValue("export/parent", str(tmp_path))
    w.status.dialogs_enabled = True
    job = w.open(str(store), str(ckpt))
    with qtbot.waitSignal(job.succeeded, timeout=10000):
        pass
    qtbot.waitUntil(lambda: not w.runner.jobs, timeout=10000)
    cur = w.context.curation

    def prepare() -> None:
        """What a user has after a few minutes (a new project or another store starts afresh): two
        tags to suggest from and export by, something to undo, a selection."""
        for name, clips in (("left", [0, 1, 2]), ("right", [9, 10, 11])):
            if name not in cur.book:
                cur.undo.push(CreateTag(cur.book, name))
                cur.undo.push(TagClips(cur.book, name, clips))
        if not cur.undo.can_undo:  # a project opened with its tags starts with nothing to undo
            cur.undo.push(TagClips(cur.book, "left", [3]))
        if w.state.selection.size < 2:
            w.state.select([0, 1, 2, 3, 4, 5])

    tried: list[str] = []
    run_every_action(qtbot, w, errors, tried, prepare)
    for expected in (
        "Open store…",
        "Open model…",
        "Bouncing sprites",
        "Moving handwritten digits",
        "Save screenshot…",
        "New project…",
        "Open project…",
        "Save project",
        "Save project as…",
        "Export…",
        "Train a model…",
        "Compare with checkpoint…",
        "Undo",
        "Grow to k nearest…",
        "Near-duplicates…",
        "Suggest tags…",
        "Save selection as…",
        "Colour by reconstruction error",
        "Reset zoom",
        "Teaching panels",
        "Guided tour",
        "About latentlab",
        "Box",
        "Lasso",
        "Probe to clip",
    ):
        assert any(t.startswith(expected) for t in tried), f"{expected!r} was never enabled and triggered: {tried}"
    assert any(str(store) == t for t in tried)  # an Open recent entry
    quit_action = next(a for a in all_actions(w) if label(a) == QUIT)
    quit_action.trigger()
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=10000)
    assert not errors


def test_every_action_on_an_empty_window(make_window, qtbot, answers, errors, monkeypatch):
    """Nothing open (the user cancels every load): enabled actions work, the others are disabled."""

    def cancelled(*_a, **_k):
        raise JobCancelled()

    monkeypatch.setattr(loading, "open_dataset", cancelled)
    w, ctl = make_window()
    w.status.dialogs_enabled = True
    tried: list[str] = []
    run_every_action(qtbot, w, errors, tried)
    assert w.state.dataset is None
    assert {"Open store…", "Bouncing sprites", "Moving handwritten digits", "About latentlab"} <= set(tried)
    for needs_data in (
        "Export…",
        "Grow to k nearest…",
        "Suggest tags…",
        "Colour by reconstruction error",
        "Save selection as…",
        "Probe to clip",
    ):
        assert needs_data not in tried, f"{needs_data} is offered with nothing open"
    next(a for a in all_actions(w) if label(a) == QUIT).trigger()
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=10000)


def test_every_entry_of_the_maps_context_menu(window, qtbot, errors, monkeypatch):
    """The right-click menu of a point: each entry does what it says, without an error."""
    from PySide6.QtCore import QPointF
    from PySide6.QtWidgets import QMenu

    menus: list[QMenu] = []
    monkeypatch.setattr(QMenu, "popup", lambda menu, *_a: menus.append(menu))
    x, y = map(float, window.state.coords[7])
    assert window.map._on_context(x, y, QPointF(10, 10))
    texts = [a.text() for a in menus[0].actions()]
    assert texts == ["Play clip 7", "Interpolate from here (A)", "Interpolate to here (B)", "Put the probe here"]
    for act in menus[0].actions():
        act.trigger()
    assert window.state.current == 7 and window.state.interp_a == 7 and window.state.interp_b == 7
    assert window.state.probe == (x, y) and not errors and not window.status.last_error

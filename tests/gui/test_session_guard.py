"""One guard for replacing the session: every path that replaces the dataset shown asks about unsaved
tags and selections (Save / Discard / Cancel), and Cancel keeps everything as it was."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QFileDialog, QMenu

from latentlab.app import loading
from latentlab.core.project import load_project
from latentlab.core.tags import CreateTag, TagClips
from latentlab.gui import ingest_offer
from latentlab.gui.project import project_extension as project_controller
from latentlab.media.demo_data import write_demo_store
from tests.gui.fakes import SPEC, fake_open_dataset

REAL_OPEN_DATASET = loading.open_dataset


def action(window, text: str):
    for menu in window.findChildren(QMenu):
        for act in menu.actions():
            if act.text().replace("&", "") == text:
                return act
    raise AssertionError(f"no menu entry {text!r}")


@pytest.fixture
def guarded_window(make_window, folder, qtbot, monkeypatch, tmp_path):
    """A window on the folder's store, one tag edit unsaved, questions answered by ``answers``."""
    root, store, ckpt = folder
    other_store, other_ckpt = tmp_path / "other-clips", tmp_path / "other-model"
    write_demo_store(other_store, SPEC)
    other_ckpt.mkdir()
    (other_ckpt / "config.json").write_text("{}", encoding="utf-8")
    opened: list[tuple] = []

    def open_dataset(store_path, checkpoint, progress=None, cancel=None):
        opened.append((store_path, checkpoint))
        return fake_open_dataset(store_path or str(store), checkpoint or str(ckpt))

    monkeypatch.setattr(loading, "open_dataset", open_dataset)
    w, ctl = make_window()
    job = w.open(str(store), str(ckpt))
    with qtbot.waitSignal(job.succeeded, timeout=10000):
        pass
    opened.clear()
    asked: list[str] = []
    answers: list[str] = []
    monkeypatch.setattr(
        project_controller,
        "ask",
        lambda _p, _t, text, buttons: asked.append(text) or (answers.pop(0) if answers else "Discard"),
    )
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: w._next_dir))
    w.status.dialogs_enabled = True
    cur = w.context.curation
    cur.undo.push(CreateTag(cur.book, "keep"))
    cur.undo.push(TagClips(cur.book, "keep", [3]))
    assert ctl.dirty
    yield w, ctl, opened, asked, answers, (other_store, other_ckpt)
    w.status.dialogs_enabled = False  # closing must not ask the (spent) answers


def _open_store(w, other):
    w._next_dir = str(other[0])
    action(w, "Open store…").trigger()


def _open_checkpoint(w, other):
    w._next_dir = str(other[1])
    action(w, "Open model…").trigger()


def _open_sample(w, other):
    action(w, "Bouncing sprites").trigger()  # File → Open sample data → the first dataset


def _open_recent(w, other):
    w.settings.setValue("recent", [str(other[0])])
    w._fill_recent_menu()
    next(a for a in w.recent_menu.actions() if a.text() == str(other[0])).trigger()


def _train_dock(w, other):
    panel = w.context.training.panel
    panel.request = panel.make_request(output=str(other[1]))
    panel._update_result_buttons()
    assert panel.open_button.isEnabled()
    panel.open_button.click()


def _drop(w, other, qtbot=None):
    import latentlab.media.ingest as ingest_module
    from latentlab.media.ingest_types import FileRecord, IngestSummary

    done = IngestSummary("store", [FileRecord("holiday.mp4", "ok", "read to the end", clips=8)], 0.1, 8)
    ingest_offer.ask = lambda *_a: True
    ingest_module.ingest = lambda *a, **k: done
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(other[0] / "holiday.mp4"))])
    w.dropEvent(
        QDropEvent(
            QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier
        )
    )


PATHS = {
    "open store": _open_store,
    "open checkpoint": _open_checkpoint,
    "sample data": _open_sample,
    "open recent": _open_recent,
    "train dock": _train_dock,
    "drop videos": _drop,
}


@pytest.mark.parametrize("path", list(PATHS))
def test_every_path_that_replaces_the_data_asks_first(guarded_window, qtbot, monkeypatch, path):
    import latentlab.media.ingest as ingest_module

    monkeypatch.setattr(ingest_offer, "ask", ingest_offer.ask)
    monkeypatch.setattr(ingest_module, "ingest", ingest_module.ingest)
    w, ctl, opened, asked, answers, other = guarded_window
    ds = w.state.dataset
    answers.append("Cancel")
    PATHS[path](w, other)
    qtbot.waitUntil(lambda: len(asked) == 1, timeout=10000)
    assert "replaces the clips on the map" in asked[0]
    assert w.state.dataset is ds and ctl.dirty and not opened  # nothing was opened, nothing lost
    assert "not opened" in w.statusBar().currentMessage()
    np.testing.assert_array_equal(w.context.curation.book.members("keep"), [3])
    answers.append("Discard")
    PATHS[path](w, other)
    qtbot.waitUntil(lambda: bool(opened), timeout=10000)
    assert len(asked) == 2 and not ctl.dirty


def test_save_saves_before_the_new_data_comes(guarded_window, qtbot, monkeypatch, tmp_path):
    w, ctl, opened, asked, answers, other = guarded_window
    target = tmp_path / "kept.latentlab"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    answers.append("Save")
    _open_store(w, other)
    qtbot.waitUntil(lambda: bool(opened), timeout=10000)
    assert [t["name"] for t in load_project(target).tags["tags"]] == ["keep"]
    qtbot.waitUntil(lambda: w.store_path == str(other[0]), timeout=10000)


def test_discard_in_a_project_goes_back_to_its_saved_tags(guarded_window, qtbot, tmp_path):
    w, ctl, opened, asked, answers, other = guarded_window
    assert ctl.save_as(tmp_path / "p.latentlab")
    cur = w.context.curation
    cur.undo.push(TagClips(cur.book, "keep", [4]))  # unsaved
    answers.append("Discard")
    _open_checkpoint(w, other)
    qtbot.waitUntil(lambda: w.checkpoint == str(other[1]), timeout=10000)
    np.testing.assert_array_equal(cur.book.members("keep"), [3])  # the saved tag travels, not the edit


def test_nothing_is_asked_without_unsaved_work(make_window, folder, qtbot, monkeypatch):
    root, store, ckpt = folder
    w, ctl = make_window()
    w.status.dialogs_enabled = True
    monkeypatch.setattr(project_controller, "ask", lambda *a: pytest.fail("asked without unsaved work"))
    for _ in range(2):
        job = w.open(str(store), str(ckpt))
        with qtbot.waitSignal(job.succeeded, timeout=10000):
            pass


def test_a_store_the_model_cannot_take_gets_ways_forward(make_window, folder, qtbot, monkeypatch, tmp_path):
    """Own videos cut at 64×64 with the 32×32 model: the error names the store, the Train dock opens
    filled in, and the re-ingest command at the model's size is given."""
    import json

    root, store, _ckpt = folder
    model = tmp_path / "model32"
    model.mkdir()
    (model / "config.json").write_text(json.dumps({"model": {"frames": 8, "height": 32, "width": 32, "channels": 3}}))
    w, ctl = make_window()
    monkeypatch.setattr(loading, "open_dataset", REAL_OPEN_DATASET)  # it refuses before torch is imported
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(model)))
    w.store_path = str(store)  # a store is open (say, from explore --store); now File → Open checkpoint
    action(w, "Open model…").trigger()
    qtbot.waitUntil(lambda: "Ways forward" in w.status.last_error, timeout=10000)
    assert (
        "the store clips holds clips of 4 frames of 12×12 but the model model32 takes 8 frames of 32×32"
        in w.status.last_error
    )
    assert "latentlab ingest VIDEOS -o NEW_STORE --frames 8 --size 32x32" in w.status.last_error
    panel = w.context.training.panel
    assert w.context.training.dock.isVisible() and panel.store_edit.text() == str(store)
    assert "Press Start to train a model on clips" in panel.status.text()

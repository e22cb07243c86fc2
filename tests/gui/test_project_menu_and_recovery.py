"""The project's command, menu entries, start-up recovery and failed saves, through the real window."""

from __future__ import annotations

import argparse
import os

import numpy as np

from latentlab.core.project import autosave_path, load_project
from latentlab.core.project_lock import lock_path
from latentlab.gui import extensions
from tests.gui.fakes import SPEC, fake_open_dataset  # noqa: F401  (the fixtures are in conftest.py)
from tests.gui.project_steps import load, tag, wait_open


# ------------------------------------------------------------------------------ the command
def _explore_args(*argv):
    from latentlab.commands import explore

    parser = argparse.ArgumentParser()
    explore.add_arguments(parser)
    return explore, parser.parse_args(list(argv))


def test_explore_takes_a_project_file(folder, monkeypatch, capsys):
    from latentlab.core.project import Project, save_project
    from latentlab.gui import app

    root, store, ckpt = folder
    path = root / "demo.latentlab"
    save_project(Project(store=str(store), checkpoint=str(ckpt)), path)
    seen = {}
    monkeypatch.setattr(app, "run_explorer", lambda **kw: seen.update(kw) or 0)
    explore, args = _explore_args(str(path))
    assert explore.run(args) == 0 and seen["project"] == str(path.absolute())
    explore, args = _explore_args("--project", str(path))
    assert explore.run(args) == 0 and seen["project"] == str(path.absolute())
    bad = root / "bad.latentlab"
    bad.write_bytes(b"{oops")
    explore, args = _explore_args(str(bad))
    assert explore.run(args) == 2
    assert "not valid JSON" in capsys.readouterr().err and bad.read_bytes() == b"{oops"


def test_the_project_entries_are_in_the_file_menu(make_window):
    w, ctl = make_window()
    texts = [a.text() for a in w.file_menu.actions()]
    for entry in ("&New project…", "&Open project…", "&Save project", "Save project &as…"):
        assert entry in texts
    assert texts.index("Save project &as…") < texts.index("&Quit")
    assert ctl.save_action.shortcut().toString() == "Ctrl+S"


def test_registered_right_after_curation():
    from latentlab.gui.curation.curation_extension import CurationExtension
    from latentlab.gui.project.project_extension import ProjectExtension

    names = extensions.EXTENSIONS
    assert names.index(ProjectExtension) == names.index(CurationExtension) + 1


def test_after_a_crash_the_next_start_offers_the_project(make_window, qtbot, folder):
    root, store, ckpt = folder
    w, ctl = make_window("shared.ini")
    load(qtbot, w, store, ckpt)
    path = root / "p.latentlab"
    assert ctl.save_as(path)
    tag(w, "unsaved", [6])
    assert ctl.autosave_now()
    os.utime(path, ns=(1, 1))
    ctl.lock.release()  # the process dies here: no close, no clean-up

    w2, ctl2 = make_window("shared.ini")
    assert ctl2.crashed_project() == path
    wait_open(qtbot, ctl2, ctl2.offer_recovery(recover=True))
    np.testing.assert_array_equal(w2.context.curation.book.members("unsaved"), [6])
    assert ctl2.dirty and ctl2.project.path == path
    assert ctl2.can_close("discard")
    w2.close()  # a clean close: nothing to offer next time
    assert ctl2.crashed_project() is None and not autosave_path(path).exists()
    w3, ctl3 = make_window("shared.ini")
    assert ctl3.offer_recovery() is None


def test_a_damaged_autosave_falls_back_to_the_saved_file(make_window, qtbot, folder, monkeypatch):
    from latentlab.gui.project import project_extension as project_controller

    root, store, ckpt = folder
    w, ctl = make_window()
    load(qtbot, w, store, ckpt)
    path = root / "p.latentlab"
    assert ctl.new_project(path)
    tag(w, "saved", [1])
    assert ctl.save()
    ctl.shutdown()
    autosave_path(path).write_bytes(b"{torn")
    os.utime(path, ns=(1, 1))
    w2, ctl2 = make_window()
    asked = []
    load(qtbot, w2, store, ckpt)
    tag(w2, "unsaved here", [2])  # dirty, but a file that cannot be read must not cost these edits
    w2.status.dialogs_enabled = True
    monkeypatch.setattr(project_controller, "ask", lambda *a: asked.append(a) or "Cancel")
    monkeypatch.setattr(project_controller.QMessageBox, "warning", lambda *a: None)
    (root / "bad.latentlab").write_bytes(b"nonsense")
    assert ctl2.open_project(root / "bad.latentlab") is None and asked == []  # refused before asking
    w2.status.dialogs_enabled = False
    assert ctl2.can_close("discard")
    wait_open(qtbot, ctl2, ctl2.open_project(path, recover=True))
    assert "autosave cannot be recovered" in w2.status.last_error
    assert w2.context.curation.book.names() == ["saved"] and not ctl2.dirty
    assert autosave_path(path).read_bytes() == b"{torn"  # left for the user to inspect until the next save


def test_a_failed_save_as_keeps_the_project_where_it_was(make_window, qtbot, folder, tmp_path, monkeypatch):
    from latentlab.core import project as core_project
    from latentlab.core.project import ProjectError

    root, store, ckpt = folder
    w, ctl = make_window()
    load(qtbot, w, store, ckpt)
    path = root / "p.latentlab"
    assert ctl.new_project(path)
    tag(w, "t", [0])

    def full_disk(project, where):
        raise ProjectError(f"the project cannot be saved to {where}: No space left on device")

    monkeypatch.setattr("latentlab.app.project_session.save_project", full_disk)
    other = tmp_path / "new" / "folder" / "q.latentlab"
    assert not ctl.save_as(other)
    assert "No space left" in w.status.last_error
    assert ctl.project.path == path and ctl.lock.path == lock_path(path) and ctl.dirty
    assert not lock_path(other).exists() and not other.exists()
    monkeypatch.setattr("latentlab.app.project_session.save_project", core_project.save_project)
    assert ctl.save_as(other) and ctl.lock.path == lock_path(other)
    assert not lock_path(path).exists()  # the old project is let go once the new one is written


def test_the_project_menu_works_from_its_actions_and_shortcuts(make_window, qtbot, folder, monkeypatch):
    """Issue 14: File → New/Open/Save/Save as… raised a TypeError (triggered passes ``checked``)."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QFileDialog

    root, store, ckpt = folder
    w, ctl = make_window()
    load(qtbot, w, store, ckpt)
    target = {"path": root / "menu.latentlab"}
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target["path"]), "")))
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(root / "menu.latentlab"), ""))
    )
    ctl.new_action.trigger()
    assert not w.status.last_error and ctl.project.path == root / "menu.latentlab"
    tag(w, "x", [1])
    assert ctl.dirty
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=5000)
    qtbot.keyClick(w, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # Ctrl+S
    assert not ctl.dirty and [t["name"] for t in load_project(root / "menu.latentlab").tags["tags"]] == ["x"]
    target["path"] = root / "copy.latentlab"
    ctl.save_as_action.trigger()
    assert ctl.project.path == root / "copy.latentlab" and (root / "copy.latentlab").is_file()
    ctl.save_action.trigger()
    with qtbot.waitSignal(ctl.opened, timeout=10000):
        ctl.open_action.trigger()
    assert ctl.project.path == root / "menu.latentlab" and not w.status.last_error

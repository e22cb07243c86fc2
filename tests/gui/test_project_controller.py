"""Projects in the window: save -> reopen, autosave -> recovery, read-only second instance, bad
files refused byte-for-byte unchanged, moved folders, missing sources, the explore command."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from latentlab.core.project import autosave_path, load_project, recovery_available
from latentlab.core.project_lock import lock_path
from latentlab.core.tags import CreateTag, TagClips
from latentlab.gui import extensions
from latentlab.media.clip_store import ClipGeometry, ClipStore
from tests.gui.fakes import SPEC, fake_open_dataset  # noqa: F401  (the fixtures are in conftest.py)


def wait_open(qtbot, ctl, job):
    assert job is not None, ctl.ctx.status.last_error
    with qtbot.waitSignal(ctl.opened, timeout=10000):
        pass


def load(qtbot, w, store, ckpt):
    job = w.open(str(store), str(ckpt))
    with qtbot.waitSignal(job.succeeded, timeout=10000):
        pass


def tag(w, name, indices):
    cur = w.context.curation
    cur.undo.push(CreateTag(cur.book, name))
    cur.undo.push(TagClips(cur.book, name, indices))


def test_save_then_reopen_restores_tags_selections_and_view(make_window, qtbot, folder):
    root, store, ckpt = folder
    w, ctl = make_window()
    load(qtbot, w, store, ckpt)
    assert not ctl.dirty
    cur = w.context.curation
    tag(w, "cats", [1, 3, 20])
    w.state.select([2, 5])
    cur.save_selection("pick")  # one undo step, like the tag edits
    assert ctl.dirty and "*" in w.windowTitle()
    cur.undo.undo()  # the saved selection
    assert ctl.dirty and "pick" not in cur.selections  # the tag is still new
    cur.undo.undo()  # untag
    cur.undo.undo()  # and the new tag
    assert not ctl.dirty and "*" not in w.windowTitle()  # back to the state on disk
    tag(w, "cats", [1, 3, 20])
    cur.save_selection("pick")
    w.state.set_colour_field("x")
    w.state.select([7])
    w.map.view.setRange(xRange=(-1.0, 1.0), yRange=(-2.0, 2.0), padding=0)
    path = root / "mine.latentlab"
    assert ctl.save_as(path)
    assert not ctl.dirty and w.windowTitle().startswith("mine — ") and "*" not in w.windowTitle()
    assert load_project(path).store == str(store)
    assert lock_path(path).exists() and not autosave_path(path).exists()
    assert w.close()
    assert not lock_path(path).exists()  # released on close

    w2, ctl2 = make_window()
    wait_open(qtbot, ctl2, ctl2.open_project(path))
    cur = w2.context.curation
    np.testing.assert_array_equal(cur.book.members("cats"), [1, 3, 20])
    np.testing.assert_array_equal(cur.selections.get("pick"), [2, 5])
    assert w2.state.colour_field == "x" and w2.colour_combo.currentText() == "x"
    assert w2.state.current == 7
    saved = load_project(path).view
    (x0, x1), (y0, y1) = w2.map.view.viewRange()
    # The map keeps its aspect ratio: the saved region is shown whole, centred, and fills one axis.
    assert x0 <= saved["x_range"][0] + 1e-6 and x1 >= saved["x_range"][1] - 1e-6
    assert y0 <= saved["y_range"][0] + 1e-6 and y1 >= saved["y_range"][1] - 1e-6
    assert (x0 + x1, y0 + y1) == pytest.approx((sum(saved["x_range"]), sum(saved["y_range"])), abs=1e-6)
    assert pytest.approx((x0, x1)) == saved["x_range"] or pytest.approx((y0, y1)) == saved["y_range"]
    assert saved["y_range"] == pytest.approx([-2.0, 2.0]) and saved["colour"] == "x"
    assert not ctl2.dirty and not ctl2.read_only and w2.windowTitle().startswith("mine — ")
    assert w2.store_path == str(store)


def test_autosave_then_recovery_after_a_crash(make_window, qtbot, folder):
    root, store, ckpt = folder
    w, ctl = make_window()
    load(qtbot, w, store, ckpt)
    path = root / "p.latentlab"
    assert ctl.save_as(path)
    assert not ctl.autosave_now()  # nothing unsaved: nothing written
    tag(w, "late", [4])
    assert ctl.autosave_timer.interval() == 60_000 and ctl.autosave_timer.isActive()
    assert ctl.autosave_now()
    os.utime(path, ns=(1, 1))  # the autosave is newer, whatever the file system's clock resolution
    saved = path.read_bytes()
    ctl.lock.release()  # "crash": the window dies without saving or cleaning up
    ctl.session.mark_clean()  # nothing left to ask about when the fixture closes the window

    assert recovery_available(path)
    w2, ctl2 = make_window()
    wait_open(qtbot, ctl2, ctl2.open_project(path, recover=False))
    assert w2.context.curation.book.names() == [] and not ctl2.dirty
    assert autosave_path(path).exists()  # declining keeps the autosave until the next save

    w3, ctl3 = make_window()
    ctl2.shutdown()
    wait_open(qtbot, ctl3, ctl3.open_project(path, recover=True))
    np.testing.assert_array_equal(w3.context.curation.book.members("late"), [4])
    assert ctl3.dirty and "p*" in w3.windowTitle() and "recovered" in w3.status.last_error
    assert path.read_bytes() == saved  # recovering does not write the project
    assert ctl3.save()
    assert not autosave_path(path).exists() and not recovery_available(path)
    assert [t["name"] for t in load_project(path).tags["tags"]] == ["late"]


HOLDER = textwrap.dedent("""
    import sys
    from latentlab.core.project_lock import ProjectLock
    lock = ProjectLock()
    print("held" if lock.acquire(sys.argv[1]) else "refused", flush=True)
    sys.stdin.read()
""")


def test_a_second_instance_opens_read_only(make_window, qtbot, folder, tmp_path, monkeypatch):
    from latentlab.gui.project import project_extension as project_controller

    root, store, ckpt = folder
    w, ctl = make_window()
    load(qtbot, w, store, ckpt)
    tag(w, "a", [0])
    path = root / "shared.latentlab"
    assert ctl.save_as(path)
    ctl.shutdown()  # this window lets go; another process takes the project
    script = tmp_path / "holder.py"
    script.write_text(HOLDER, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, str(script), str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "held"
        from latentlab.core.project import save_project

        save_project(load_project(path), autosave_path(path))  # the other instance's autosave...
        os.utime(path, ns=(1, 1))
        asked = []
        monkeypatch.setattr(project_controller, "ask", lambda *a: asked.append(a) or "Recover")
        w2, ctl2 = make_window()
        w2.status.dialogs_enabled = True
        wait_open(qtbot, ctl2, ctl2.open_project(path))
        w2.status.dialogs_enabled = False
        assert asked == []  # ...is not a crash: no recovery offered while its owner runs
        assert ctl2.read_only and "[read-only]" in w2.windowTitle()
        assert "read-only" in w2.status.last_error and str(proc.pid) in w2.status.last_error
        assert not ctl2.save_action.isEnabled() and ctl2.save_as_action.isEnabled()
        np.testing.assert_array_equal(w2.context.curation.book.members("a"), [0])
        before = path.read_bytes()
        autosave_path(path).unlink()
        tag(w2, "b", [1])
        assert not ctl2.autosave_now() and not autosave_path(path).exists()
        monkeypatch.setattr(project_controller.QFileDialog, "getSaveFileName", lambda *a, **k: ("", ""))
        assert not ctl2.save()  # Save becomes Save as…, here cancelled
        assert not ctl2.save_as(path)  # the other instance's file is not overwritten
        assert path.read_bytes() == before
        copy = root / "mine.latentlab"
        assert ctl2.save_as(copy) and not ctl2.read_only and "[read-only]" not in w2.windowTitle()
        assert [t["name"] for t in load_project(copy).tags["tags"]] == ["a", "b"]
    finally:
        proc.kill()
        proc.wait(30)


@pytest.mark.parametrize(
    "content, words",
    [
        (b'{"schema": "latentlab-project", "version": 1, "tags": {"ta', "not valid JSON"),
        (b'{"schema": "latentlab-project", "version": 7, "store": null}', "newer latentlab"),
        # one malformed tag: refused whole, so that an edit and a save cannot wipe the other tags (issue 13)
        (
            b'{"schema": "latentlab-project", "version": 1, "store": null, "tags": {"tags": [{"name": "a", "clips": []},'  # noqa: E501
            b' {"clips": 5}]}, "selections": {"selections": [{"name": "s", "clips": []}]}}',
            "damaged",
        ),
    ],
)
def test_corrupt_and_future_files_are_refused_and_left_unchanged(make_window, qtbot, folder, content, words):
    root, store, ckpt = folder
    w, ctl = make_window()
    load(qtbot, w, store, ckpt)
    ds = w.state.dataset
    path = root / "bad.latentlab"
    path.write_bytes(content)
    assert ctl.open_project(path) is None
    assert words in w.status.last_error and str(path) in w.status.last_error
    assert path.read_bytes() == content
    assert not lock_path(path).exists() and not autosave_path(path).exists()
    assert w.state.dataset is ds and ctl.project is None
    w.close()
    assert path.read_bytes() == content


def test_a_missing_store_is_named_and_the_project_is_untouched(make_window, qtbot, folder, tmp_path):
    root, store, ckpt = folder
    w, ctl = make_window()
    load(qtbot, w, store, ckpt)
    path = tmp_path / "elsewhere" / "p.latentlab"
    assert ctl.save_as(path)
    ctl.shutdown()
    shutil.rmtree(store)
    before = path.read_bytes()
    w2, ctl2 = make_window()
    assert ctl2.open_project(path) is None
    assert str(store) in w2.status.last_error and "missing" in w2.status.last_error
    assert path.read_bytes() == before and not lock_path(path).exists()


def test_moving_the_project_folder_with_its_store_keeps_it_working(make_window, qtbot, folder, tmp_path):
    root, store, ckpt = folder
    w, ctl = make_window()
    load(qtbot, w, store, ckpt)
    tag(w, "moved", [9, 10])
    assert ctl.save_as(root / "p.latentlab")
    w.close()
    shutil.move(str(root), str(tmp_path / "renamed"))
    w2, ctl2 = make_window()
    wait_open(qtbot, ctl2, ctl2.open_project(tmp_path / "renamed" / "p.latentlab"))
    assert w2.store_path == str(tmp_path / "renamed" / "data" / "clips")
    assert w2.checkpoint == str(tmp_path / "renamed" / "model")
    np.testing.assert_array_equal(w2.context.curation.book.members("moved"), [9, 10])


def test_missing_source_videos_are_reported_and_browsing_works(make_window, qtbot, tmp_path):
    store_path = tmp_path / "videos"
    store = ClipStore.create(store_path, ClipGeometry(4, 12, 12, 3))
    rng = np.random.default_rng(0)
    with store.appender({"path": str(tmp_path / "gone" / "holiday.mp4"), "fingerprint": "f" * 32}) as app:
        app.append_batch(
            rng.integers(0, 255, (6, 4, 12, 12, 3), dtype=np.uint8),
            start_frame=np.arange(6) * 4,
            end_frame=np.arange(6) * 4 + 4,
            start_time=np.zeros(6),
            end_time=np.ones(6),
            fps=np.full(6, 12.0),
        )
    ckpt = tmp_path / "model"
    ckpt.mkdir()
    w, ctl = make_window()
    load(qtbot, w, store_path, ckpt)
    assert ctl.new_project(tmp_path / "v.latentlab")
    w.close()
    w2, ctl2 = make_window()
    wait_open(qtbot, ctl2, ctl2.open_project(tmp_path / "v.latentlab"))
    assert "1 source video is missing" in w2.status.last_error and "holiday.mp4" in w2.status.last_error
    assert w2.state.dataset.n_clips == 6
    w2.state.select([3])
    assert w2.state.dataset.read_clips(np.array([3])).shape == (1, 4, 12, 12, 3)


def test_closing_asks_about_unsaved_changes(make_window, qtbot, folder, monkeypatch):
    from latentlab.gui.project import project_extension as project_controller

    root, store, ckpt = folder
    w, ctl = make_window()
    load(qtbot, w, store, ckpt)
    path = root / "p.latentlab"
    assert ctl.save_as(path)
    tag(w, "x", [1])
    assert ctl.autosave_now()
    assert not ctl.can_close("cancel") and ctl.dirty
    w.status.dialogs_enabled = True
    monkeypatch.setattr(project_controller, "ask", lambda *a: "Cancel")
    assert not w.close() and w.isVisible()  # the window stays open
    assert ctl.can_close("discard") and not autosave_path(path).exists()
    tag(w, "y", [2])
    assert ctl.can_close("save")
    assert [t["name"] for t in load_project(path).tags["tags"]] == ["x", "y"]


def test_an_edit_in_the_project_survives_opening_another_model(make_window, qtbot, folder):
    root, store, ckpt = folder
    other = root / "model2"
    other.mkdir()
    w, ctl = make_window()
    load(qtbot, w, store, ckpt)
    assert ctl.new_project(root / "p.latentlab")
    tag(w, "keep", [5])
    load(qtbot, w, store, ckpt)  # the same data again (say, from Open recent): the edit is still unsaved
    np.testing.assert_array_equal(w.context.curation.book.members("keep"), [5])
    assert ctl.dirty
    assert ctl.save() and not ctl.dirty
    load(qtbot, w, store, ckpt)
    assert not ctl.dirty and w.context.curation.book.names() == ["keep"]
    load(qtbot, w, store, other)  # same clips, another model: the same clip keys
    np.testing.assert_array_equal(w.context.curation.book.members("keep"), [5])
    assert ctl.dirty and ctl.save()
    assert load_project(root / "p.latentlab").checkpoint == str(other)


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

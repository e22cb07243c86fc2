"""Projects in the window: save -> reopen, autosave -> recovery, read-only second instance, bad
files refused byte-for-byte unchanged, moved folders, missing sources."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from latentlab.core.project import autosave_path, load_project, recovery_available
from latentlab.core.project_lock import lock_path
from latentlab.media.clip_store import ClipGeometry, ClipStore
from tests.gui.fakes import SPEC, fake_open_dataset  # noqa: F401  (the fixtures are in conftest.py)
from tests.gui.project_steps import load, tag, wait_open


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

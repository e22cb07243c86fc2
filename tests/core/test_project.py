"""The project file: round trip, relative paths, crash-safe saves, autosave, locks, bad files."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from latentlab.core.project import (
    SCHEMA,
    VERSION,
    Project,
    ProjectError,
    autosave_path,
    load_project,
    project_clip_indices,
    recovery_available,
    remove_autosave,
    save_project,
)
from latentlab.core.project_lock import ProjectLock, lock_path

TAGS = {
    "tags": [
        {"name": "cats", "colour": "#ff0000", "clips": ["a:0:0", "a:8:1"]},
        {"name": "dogs", "colour": "#00ff00", "clips": ["b:0:0"]},
    ],
    "orphans": {"dogs": ["gone:0:0"]},
}
SELECTIONS = {"selections": [{"name": "odd ones", "clips": ["a:8:1", "b:0:0"]}], "orphans": {"elsewhere": ["gone:0:0"]}}
KEYS = np.array(["a:0:0", "a:8:1", "b:0:0", "b:8:1"])


def make_project(tmp_path, **kw) -> Project:
    store, ckpt = tmp_path / "data" / "clips", tmp_path / "models" / "vae"
    store.mkdir(parents=True, exist_ok=True)
    ckpt.mkdir(parents=True, exist_ok=True)
    base = dict(
        store=str(store),
        checkpoint=str(ckpt),
        projection={"method": "tsne", "params": {"perplexity": 30}, "seed": 2},
        tags=TAGS,
        selections=SELECTIONS,
        view={"x_range": [-1.5, 2.0], "y_range": [0.0, 3.25], "colour": "shape", "current": "a:8:1"},
    )
    return Project(**{**base, **kw})


def test_save_and_load_round_trip(tmp_path):
    p = make_project(tmp_path)
    path = tmp_path / "mine.latentlab"
    save_project(p, path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["schema"] == SCHEMA and doc["version"] == VERSION
    assert doc["store"]["relative"] == "data/clips"  # under the project folder: saved relative to it
    q = load_project(path)
    assert (q.store, q.checkpoint) == (p.store, p.checkpoint)
    assert (q.projection, q.tags, q.selections, q.view) == (p.projection, p.tags, p.selections, p.view)
    assert q.missing == [] and q.name == "mine" and q.path == path


def test_demo_project_keeps_none_paths(tmp_path):
    path = tmp_path / "demo.latentlab"
    save_project(Project(), path)
    q = load_project(path)
    assert q.store is None and q.checkpoint is None and q.missing == []
    assert q.projection["method"] == "pca" and q.view["current"] is None


def test_moving_the_folder_with_its_data_keeps_it_working(tmp_path):
    old = tmp_path / "old"
    p = make_project(old)
    save_project(p, old / "p.latentlab")
    shutil.move(str(old), str(tmp_path / "new"))
    q = load_project(tmp_path / "new" / "p.latentlab")
    assert q.store == str(tmp_path / "new" / "data" / "clips") and q.missing == []
    assert q.checkpoint == str(tmp_path / "new" / "models" / "vae")


def test_data_beside_the_project_folder_moves_with_the_parent(tmp_path):
    store = tmp_path / "parent" / "clips"
    store.mkdir(parents=True)
    (tmp_path / "parent" / "work").mkdir()
    save_project(Project(store=str(store)), tmp_path / "parent" / "work" / "p.latentlab")
    shutil.move(str(tmp_path / "parent"), str(tmp_path / "moved"))
    assert load_project(tmp_path / "moved" / "work" / "p.latentlab").store == str(tmp_path / "moved" / "clips")


def test_project_moved_alone_falls_back_to_the_absolute_path(tmp_path):
    p = make_project(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    save_project(p, tmp_path / "elsewhere" / "p.latentlab")
    dest = tmp_path / "x" / "y" / "z"
    dest.mkdir(parents=True)
    shutil.move(str(tmp_path / "elsewhere" / "p.latentlab"), str(dest / "p.latentlab"))
    q = load_project(dest / "p.latentlab")
    assert q.store == p.store and q.missing == []


def test_missing_paths_are_reported_not_fatal(tmp_path):
    p = make_project(tmp_path)
    path = tmp_path / "p.latentlab"
    save_project(p, path)
    shutil.rmtree(tmp_path / "data")
    q = load_project(path)
    assert q.store == p.store and q.tags == TAGS
    assert len(q.missing) == 1 and "store" in q.missing[0] and str(tmp_path / "data" / "clips") in q.missing[0]


@pytest.mark.parametrize(
    "content, words",
    [
        (b'{"schema": "latentlab-project", "version": 1, "tags": {', "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b'{"schema": "something-else", "version": 1}', "not a latentlab project"),
        (b"[1, 2, 3]", "not a latentlab project"),
        (b'{"schema": "latentlab-project", "version": 99, "tags": {}}', "newer latentlab"),
        (b'{"schema": "latentlab-project", "version": "1"}', "version"),
        (b'{"schema": "latentlab-project", "version": 1, "tags": [1]}', "'tags' should be an object"),
        (b'{"schema": "latentlab-project", "version": 1, "store": 5}', "store entry"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message_and_left_unchanged(tmp_path, content, words):
    path = tmp_path / "bad.latentlab"
    path.write_bytes(content)
    with pytest.raises(ProjectError) as err:
        load_project(path)
    assert words in str(err.value) and str(path) in str(err.value)
    assert path.read_bytes() == content
    assert sorted(os.listdir(tmp_path)) == ["bad.latentlab"]  # nothing written beside it either


def test_a_missing_file_is_a_project_error(tmp_path):
    with pytest.raises(ProjectError, match="does not exist"):
        load_project(tmp_path / "nope.latentlab")


def test_an_unsavable_project_leaves_the_old_file(tmp_path):
    path = tmp_path / "p.latentlab"
    save_project(make_project(tmp_path), path)
    before = path.read_bytes()
    with pytest.raises(ProjectError, match="cannot be saved"):
        save_project(make_project(tmp_path, view={"x_range": [float("nan"), 1.0]}), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "models", "p.latentlab"]


def test_autosave_and_recovery(tmp_path):
    path = tmp_path / "p.latentlab"
    assert not recovery_available(path)
    save_project(make_project(tmp_path), path)
    assert not recovery_available(path)
    edited = make_project(tmp_path, tags={"tags": [{"name": "new", "colour": "#0000ff", "clips": ["b:8:1"]}]})
    save_project(edited, autosave_path(path))
    os.utime(path, ns=(1, 1))  # the autosave is newer than the project, whatever the clock's resolution
    assert autosave_path(path).name == "p.latentlab.autosave" and recovery_available(path)
    assert load_project(autosave_path(path)).tags == edited.tags
    assert load_project(path).tags == TAGS  # the user's file is untouched by autosaves
    remove_autosave(path)
    assert not recovery_available(path)
    save_project(edited, autosave_path(tmp_path / "never-saved.latentlab"))
    assert recovery_available(tmp_path / "never-saved.latentlab")


def test_clip_indices_for_tags_and_selections(tmp_path):
    p = make_project(tmp_path)
    np.testing.assert_array_equal(project_clip_indices(p, KEYS, tag="cats"), [0, 1])
    np.testing.assert_array_equal(project_clip_indices(p, KEYS, tag="dogs"), [2])  # orphan key skipped
    np.testing.assert_array_equal(project_clip_indices(p, KEYS, selection="odd ones"), [1, 2])
    np.testing.assert_array_equal(project_clip_indices(p, KEYS), [0, 1, 2, 3])
    assert project_clip_indices(p, KEYS, tag="cats").dtype == np.int64
    with pytest.raises(ProjectError, match="no tag 'birds'; it has: 'cats', 'dogs'"):
        project_clip_indices(p, KEYS, tag="birds")
    assert project_clip_indices(p, KEYS, selection="elsewhere").size == 0  # all its clips are in another store
    with pytest.raises(ProjectError, match="no saved selection 'x'; it has: 'elsewhere', 'odd ones'"):
        project_clip_indices(p, KEYS, selection="x")


# ----------------------------------------------------------------------------- killed mid-save
SAVER = textwrap.dedent("""
    import os, sys
    from latentlab.core.project import Project, save_project
    path, mode = sys.argv[1], sys.argv[2]
    big = [f"{i:08d}:0:0" for i in range(150_000)]  # a few MiB: a write takes a while
    if mode == "hook":  # stop for good in the middle of writing the temp file
        def stuck(fd):
            print("writing", flush=True)
            sys.stdin.read()
        os.fsync = stuck
        save_project(Project(tags={"tags": [{"name": "new", "colour": "#000000", "clips": big}]}), path)
    else:  # save two versions back and forth until killed
        n = 0
        while True:
            save_project(Project(tags={"tags": [{"name": f"v{n % 2}", "colour": "#000000", "clips": big}]}), path)
            n += 1
            print(n, flush=True)
""")


def _start_saver(tmp_path, path, mode):
    script = tmp_path / "saver.py"
    script.write_text(SAVER, encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, str(script), str(path), mode], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_save_killed_mid_write_leaves_the_old_file(tmp_path):
    path = tmp_path / "p.latentlab"
    save_project(make_project(tmp_path), path)
    before = path.read_bytes()
    proc = _start_saver(tmp_path, path, "hook")
    try:
        assert proc.stdout.readline().strip() == "writing"  # the temp file is written, not yet replaced
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert path.read_bytes() == before
    assert load_project(path).tags == TAGS


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_process_killed_while_saving_in_a_loop_leaves_a_whole_file(tmp_path):
    path = tmp_path / "p.latentlab"
    proc = _start_saver(tmp_path, path, "loop")
    try:
        assert proc.stdout.readline().strip() == "1"  # one save done; the next one is under way
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        proc.kill()
    q = load_project(path)  # parses: never a torn file
    names = [t["name"] for t in q.tags["tags"]]
    assert names in (["v0"], ["v1"]) and len(q.tags["tags"][0]["clips"]) == 150_000


# ----------------------------------------------------------------------------- locks
LOCK_HOLDER = textwrap.dedent("""
    import sys
    from latentlab.core.project_lock import ProjectLock
    lock = ProjectLock()
    print("held" if lock.acquire(sys.argv[1]) else "refused", flush=True)
    sys.stdin.read()
""")


def test_a_second_process_cannot_take_the_lock(tmp_path):
    path = tmp_path / "p.latentlab"
    script = tmp_path / "holder.py"
    script.write_text(LOCK_HOLDER, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, str(script), str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "held"
        lock = ProjectLock()
        assert not lock.acquire(path) and not lock.held
        assert lock.holder["pid"] == proc.pid
    finally:
        proc.kill()
        proc.wait(30)
    # The holder died without releasing: its lock file is stale and taken over.
    assert lock_path(path).exists()
    assert lock.acquire(path) and lock.held
    lock.release()
    assert not lock_path(path).exists()


def test_a_second_lock_in_the_same_process_is_refused(tmp_path):
    path = tmp_path / "p.latentlab"
    with ProjectLock() as first:
        assert first.acquire(path)
        second = ProjectLock()
        assert not second.acquire(path)
        assert second.holder["pid"] == os.getpid()
    assert ProjectLock().acquire(path)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_saving_keeps_the_file_permissions(tmp_path):
    path = tmp_path / "p.latentlab"
    umask = os.umask(0o022)
    try:
        save_project(Project(), path)
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644  # not the temp file's private 0600
    path.chmod(0o640)
    save_project(Project(), path)
    assert path.stat().st_mode & 0o777 == 0o640


def test_pinned_points_are_saved_and_a_version_1_project_has_none(tmp_path):
    pinned = [{"id": 2, "latent": [0.5, 1.0], "map_pos": [1.0, 2.0], "source_key": "a:8:1", "tags": ["x"]}]
    path = tmp_path / "p.latentlab"
    save_project(make_project(tmp_path, pinned=pinned), path)
    assert load_project(path).pinned == pinned
    doc = json.loads(path.read_text(encoding="utf-8"))
    del doc["pinned"]
    path.write_text(json.dumps({**doc, "version": 1}), encoding="utf-8")
    assert load_project(path).pinned == []
    path.write_text(json.dumps({**doc, "pinned": {"id": 1}}), encoding="utf-8")
    with pytest.raises(ProjectError, match="'pinned' should be a list"):
        load_project(path)

"""The project session without a window: open, edit, save, save as, recover, read-only, discard, crash."""

from __future__ import annotations

import os

import pytest

from latentlab.app.project_session import OPEN_KEY, ProjectRefused, ProjectSession, Unsaved
from latentlab.core.project import Project, ProjectError, autosave_path, save_project
from latentlab.core.project_lock import lock_path
from latentlab.core.tags import CreateTag, TagBook
from latentlab.core.undo import UndoStack


class _Settings(dict):
    """The four QSettings methods the session uses."""

    def value(self, key, default=None):
        return self.get(key, default)

    def setValue(self, key, value):  # noqa: N802 - QSettings' name
        self[key] = value

    def remove(self, key):
        self.pop(key, None)

    def sync(self):
        pass


def _never(_path):
    raise AssertionError("asked to recover without an autosave")


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "p.latentlab"
    save_project(Project(), path)
    return path


def _session():
    return ProjectSession(UndoStack(), _Settings())


def test_open_edit_save_and_the_title_follow_the_state(saved, tmp_path):
    s = _session()
    s.adopt(s.plan_open(saved, _never))
    assert s.unsaved is Unsaved.NONE and s.title("base") == "p — base" and s.settings[OPEN_KEY] == str(saved)
    s.undo.push(CreateTag(TagBook(3), "cats"))
    assert s.unsaved is Unsaved.EDITS and s.title("base") == "p* — base"
    assert s.autosave(lambda: Project()) and autosave_path(saved).is_file()
    other = tmp_path / "q.latentlab"
    s.save_as(other, lambda: Project())
    assert not s.dirty and s.project.path == other and s.lock.path == lock_path(other)
    assert not lock_path(saved).exists()  # the old lock was given back
    s.close()
    assert OPEN_KEY not in s.settings and not s.lock.held  # a clean close forgets the project


def test_recovered_changes_are_unsaved_until_saved(saved):
    save_project(Project(tags={"tags": [{"name": "late", "colour": "#63a4ff", "clips": []}]}), autosave_path(saved))
    os.utime(saved, ns=(1, 1))  # the autosave is newer
    s = _session()
    asked = []
    plan = s.plan_open(saved, lambda p: asked.append(p) or True)
    assert asked == [saved] and plan.recovered and plan.project.tags["tags"][0]["name"] == "late"
    notes = s.adopt(plan)
    assert s.unsaved is Unsaved.CHANGES and "recovered" in notes[0]
    s.discard()
    assert not s.dirty and not autosave_path(saved).exists()


def test_a_second_session_gets_the_project_read_only(saved):
    first, second = _session(), _session()
    first.adopt(first.plan_open(saved, _never))
    notes = second.adopt(second.plan_open(saved, _never))
    assert second.read_only and second.needs_new_path() and "read-only" in notes[0]
    assert second.title("b") == "p [read-only] — b"
    first.close()
    second.close()


def test_a_refused_open_or_save_changes_nothing(saved, tmp_path, monkeypatch):
    s = _session()
    (tmp_path / "bad.latentlab").write_text("{", encoding="utf-8")
    with pytest.raises(ProjectRefused):
        s.plan_open(tmp_path / "bad.latentlab", _never)
    assert not lock_path(tmp_path / "bad.latentlab").exists() and s.project is None
    s.adopt(s.plan_open(saved, _never))

    def full_disk(*_a, **_k):
        raise ProjectError("No space left on device")

    monkeypatch.setattr("latentlab.app.project_session.save_project", full_disk)
    with pytest.raises(ProjectRefused, match="No space"):
        s.save_as(tmp_path / "other.latentlab", lambda: Project())
    assert s.project.path == saved and s.lock.path == lock_path(saved)
    assert not lock_path(tmp_path / "other.latentlab").exists()


def test_a_crash_leaves_the_project_to_recover(saved):
    s = _session()
    s.adopt(s.plan_open(saved, _never))
    s.undo.push(CreateTag(TagBook(3), "cats"))
    s.autosave(lambda: Project())
    os.utime(saved, ns=(1, 1))
    s.lock.release()  # the process dies: no close
    later = ProjectSession(UndoStack(), s.settings)
    assert later.crashed_project() == saved

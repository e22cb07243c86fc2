"""The project session: which project file is open, its lock, read-only or not, and whether what is
shown differs from the file. No Qt here: every decision (recover the autosave? save first?) comes in
as an argument, so the window asks with dialogs and tests and scripts answer directly.

States, explicitly:

* the project: none (work is "untitled"), open and writable, or open read-only (another window holds
  its lock: Save as… gives a copy of one's own);
* what is unsaved (:class:`Unsaved`): nothing; edits (the undo stack is off the mark set at the last
  save); or changes that are not edits (recovered from an autosave, another store or model shown in
  the project, tags carried over to other data).

A dirty, writable, named project is autosaved beside its file (``name.latentlab.autosave``); a clean
save or a discard removes the autosave, so one found on opening means a crash.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Protocol

from latentlab.core.project import (
    Project,
    ProjectError,
    autosave_path,
    load_project,
    recovery_available,
    remove_autosave,
    save_project,
)
from latentlab.core.project_lock import ProjectLock, describe_holder
from latentlab.core.undo import UndoStack

OPEN_KEY = "project/open"  # settings: the project open in the last window that did not close cleanly


class Settings(Protocol):
    """Where the open project is remembered across a crash (QSettings has this shape)."""

    def value(self, key: str, default=None): ...

    def setValue(self, key: str, value) -> None: ...  # noqa: N802 - QSettings' name

    def remove(self, key: str) -> None: ...

    def sync(self) -> None: ...


class Unsaved(Enum):
    NONE = "none"  # what is shown is what the file holds
    EDITS = "edits"  # tag or selection edits since the last save that were not undone
    CHANGES = "changes"  # not edits but not in the file yet: recovered, another store or model, carried tags


class ProjectRefused(Exception):
    """A project that cannot be opened or saved; ``message`` says why (``None``: the user said no)."""

    def __init__(self, message: str | None) -> None:
        super().__init__(message or "cancelled")
        self.message = message


@dataclass
class OpenPlan:
    """A project read from disk, with its lock, before the window has shown it."""

    project: Project
    lock: ProjectLock
    read_only: bool
    recovered: bool
    notes: list[str] = field(default_factory=list)  # what the user should be told besides


class ProjectSession:
    """The open project of one window (see the module docstring); ``undo`` is the curation's history."""

    def __init__(self, undo: UndoStack, settings: Settings) -> None:
        self.undo, self.settings = undo, settings
        self.project: Project | None = None
        self.lock = ProjectLock()
        self.read_only = False
        self._changes = False

    # ------------------------------------------------------------------------------ state
    @property
    def unsaved(self) -> Unsaved:
        if self._changes:
            return Unsaved.CHANGES
        return Unsaved.NONE if self.undo.is_clean else Unsaved.EDITS

    @property
    def dirty(self) -> bool:
        return self.unsaved is not Unsaved.NONE

    @property
    def name(self) -> str:
        return self.project.name if self.project else "untitled"

    def mark_clean(self, changes: bool = False) -> None:
        """What is shown is what the file holds (``changes``: not yet, e.g. recovered from an autosave)."""
        self._changes = changes
        self.undo.set_clean()

    def mark_changed(self) -> None:
        """Something that is not an edit differs from the file (another store or model, carried tags)."""
        self._changes = True

    def title(self, base: str) -> str:
        """The window title: ``name*`` for unsaved work, ``[read-only]``, then ``base``."""
        if self.project is None:
            prefix = "untitled*" if self.dirty else ""
        else:
            prefix = f"{self.project.name}{'*' if self.dirty else ''}{' [read-only]' if self.read_only else ''}"
        return f"{prefix} — {base}" if prefix else base

    # ------------------------------------------------------------------------------ open
    def plan_open(self, path: str | os.PathLike, recover: Callable[[Path], bool]) -> OpenPlan:
        """Read the project at ``path`` and take its lock (read-only when another window holds it).

        ``recover(path)`` is asked only when an autosave left by a crash is there. Raises
        :class:`ProjectRefused` for a file that cannot be opened (nothing is changed)."""
        path = Path(path).absolute()
        if self.lock.held and self.project is not None and self.project.path == path:
            lock, read_only = self.lock, False  # opened again in this window: our own lock
        else:
            lock = ProjectLock()
            read_only = not lock.acquire(path)
        notes: list[str] = []
        source = path
        # An autosave beside a project that another window holds is that window's, not a crash's.
        if not read_only and recovery_available(path) and recover(path):
            source = autosave_path(path)
        try:
            try:
                project = load_project(source)
            except ProjectError as exc:
                if source == path:
                    raise ProjectRefused(str(exc)) from None
                notes.append(f"the autosave cannot be recovered ({exc}); opening the saved file")
                source = path
                try:
                    project = load_project(path)
                except ProjectError as exc2:
                    raise ProjectRefused(str(exc2)) from None
            if project.missing:
                raise ProjectRefused(
                    f"{path.name} cannot be opened: "
                    + "; ".join(project.missing)
                    + ". The project file was not changed"
                )
        except ProjectRefused:
            self.abandon(OpenPlan(Project(), lock, read_only, False))
            raise
        project.path = path
        return OpenPlan(project, lock, read_only, recovered=source != path, notes=notes)

    def abandon(self, plan: OpenPlan) -> None:
        """The plan is not shown (cancelled, failed, replaced): give its lock back unless it is ours."""
        if plan.lock is not self.lock:
            plan.lock.release()

    def adopt(self, plan: OpenPlan) -> list[str]:
        """The plan's project is shown: it becomes the session's; returns what to tell the user."""
        if plan.lock is not self.lock:
            self.lock.release()
        self.lock, self.read_only, self.project = plan.lock, plan.read_only, plan.project
        self.mark_clean(changes=plan.recovered)  # recovered edits are not in the project file yet
        notes = list(plan.notes)
        if plan.read_only:
            notes.append(
                f"{plan.project.name} is open in {describe_holder(plan.lock.holder)}: read-only here "
                "(Save as… to keep your changes)"
            )
        if plan.recovered:
            notes.append(f"recovered the unsaved changes of {plan.project.name} from its autosave")
        self.remember(plan.project.path)
        return notes

    def start_new(self) -> None:
        """An untitled project on the data shown (saved by the caller at once)."""
        self.project = Project()
        self.lock.release()
        self.read_only = False

    # ------------------------------------------------------------------------------ save
    def needs_new_path(self) -> bool:
        """Save must ask for a path (Save as…): untitled or read-only."""
        return self.project is None or self.project.path is None or self.read_only

    def write(self, path: str | os.PathLike, project: Project) -> None:
        """Save ``project`` to ``path`` (already locked by us) and make it the open one; ProjectError."""
        path = Path(path)
        save_project(project, path)
        project.path = path
        self.project = project
        remove_autosave(path)
        self.mark_clean()
        self.remember(path)

    def save_as(self, path: str | os.PathLike, gather: Callable[[], Project]) -> None:
        """Save to ``path`` and make it the open project, with its lock; :class:`ProjectRefused` leaves
        the project where it was, with its own lock."""
        path = Path(path).absolute()
        if self.project is not None and self.project.path == path and not self.read_only:
            return self._write_or_refuse(path, gather())
        try:
            path.parent.mkdir(parents=True, exist_ok=True)  # so that the lock file can be made there
        except OSError as exc:
            raise ProjectRefused(f"the project cannot be saved to {path}: {exc.strerror or exc}") from None
        lock = ProjectLock()
        if not lock.acquire(path):
            raise ProjectRefused(f"{path.name} is open in {describe_holder(lock.holder)}; choose another name")
        old_lock, old_read_only = self.lock, self.read_only
        self.lock, self.read_only = lock, False
        try:
            self._write_or_refuse(path, gather())
        except ProjectRefused:
            lock.release()
            self.lock, self.read_only = old_lock, old_read_only
            raise
        old_lock.release()

    def _write_or_refuse(self, path: Path, project: Project) -> None:
        try:
            self.write(path, project)
        except ProjectError as exc:
            raise ProjectRefused(str(exc)) from None

    def autosave(self, gather: Callable[[], Project]) -> bool:
        """Write the unsaved state to the autosave file (only for a dirty, writable, named project)."""
        if not self.dirty or self.read_only or self.project is None or self.project.path is None:
            return False
        save_project(gather(), autosave_path(self.project.path))  # ProjectError: the caller says so
        return True

    def discard(self) -> None:
        """Drop the unsaved work: the autosave goes, what is shown counts as saved."""
        if self.project is not None and self.project.path is not None and not self.read_only:
            remove_autosave(self.project.path)
        self.mark_clean()

    # ------------------------------------------------------------------------------ crashes
    def close(self) -> None:
        """The window closes: a clean close forgets the project (no recovery offer next time)."""
        if not self.dirty:
            self.remember(None)
        self.lock.release()

    def remember(self, path: Path | None) -> None:
        if path is None:
            self.settings.remove(OPEN_KEY)
        else:
            self.settings.setValue(OPEN_KEY, str(path))
        self.settings.sync()

    def crashed_project(self) -> Path | None:
        """The project of a window that did not close cleanly, if it left an autosave to recover."""
        value = self.settings.value(OPEN_KEY)
        if not isinstance(value, str) or not value:
            return None
        return Path(value) if recovery_available(value) else None

"""Projects in the window: File -> New/Open/Save/Save as, the title, autosave, recovery, read-only.

The controller owns the open :class:`~latentlab.core.project.Project` and its
:class:`~latentlab.core.project_lock.ProjectLock`. Opening a project loads its store and model
through the window's ``open`` and, once that job has shown the data, gives the tags and saved selections
to the curation extension and restores the view (projection, colour field, current clip, zoom).
Saving gathers the same things back. Edits mark the project dirty (a "*" in the title); a dirty
project is autosaved every minute to ``name.latentlab.autosave`` beside it, which a clean save or a
discard removes, so an autosave found on opening means a crash and recovery is offered.

Every user decision (recover? save before closing?) goes through a method argument, so tests and
scripts never meet a dialog; with the job strip's ``dialogs_enabled`` off no dialog is shown at all.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox

from latentlab.core.project import (
    SUFFIX, Project, ProjectError, autosave_path, load_project, recovery_available, remove_autosave, save_project,
)
from latentlab.core.project_lock import ProjectLock, describe_holder
from latentlab.gui.errors import guarded, listen
from latentlab.gui.project.saved_view import SavedView, user_path
from latentlab.gui.shell import ExtensionBase, WindowContext
from latentlab.gui.workers import Job

AUTOSAVE_MS = 60_000
OPEN_KEY = "project/open"  # QSettings: the project open in the last window that did not close cleanly
FILE_FILTER = f"latentlab project (*{SUFFIX})"


def ask(parent, title: str, text: str, buttons: list[str]) -> str:
    """Ask a question with ``buttons`` (texts); return the one pressed (the last one if closed).
    Tests replace this function."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
    made = [box.addButton(b, QMessageBox.ButtonRole.AcceptRole if i == 0 else QMessageBox.ButtonRole.RejectRole
                          if i == len(buttons) - 1 else QMessageBox.ButtonRole.DestructiveRole)
            for i, b in enumerate(buttons)]
    box.exec()
    clicked = box.clickedButton()
    return buttons[made.index(clicked)] if clicked in made else buttons[-1]


class ProjectExtension(ExtensionBase):
    """The window's project (see the module docstring)."""

    opened = Signal(object)  # Project, once its data, tags and view are shown
    saved = Signal(str)  # path written

    def __init__(self, ctx: WindowContext, autosave_ms: int = AUTOSAVE_MS) -> None:
        super().__init__(ctx)
        ctx.project = self
        window = ctx.window
        self.project: Project | None = None
        self.lock = ProjectLock()
        self.read_only = False
        self.dirty = False  # unsaved edits (or recovered ones, or another store / model opened)
        self._clean_selections: dict[str, bytes] = {}  # the saved selections as in the file
        self._forced_dirty = False
        self._applying = False  # curation.load_state is ours, not an edit
        self._opening: Job | None = None
        self._dataset = None  # the dataset the curation state belongs to
        self._carry: tuple[dict, dict, bool] | None = None  # (tags, selections, dirty) across a dataset change
        self._base_title = window.windowTitle()
        self._title = ""
        self.view = SavedView(ctx)
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(autosave_ms)
        self.autosave_timer.timeout.connect(guarded(self.autosave_now))
        self.autosave_timer.start()
        self.curation = ctx.curation  # built before this extension (extensions.py)
        self.curation.state_changed.connect(guarded(self._on_edited))
        self._build_actions()
        # Before curation empties its book for a new dataset (priority), and after it (listen).
        early = guarded(self._before_curation_reset)
        state = ctx.state
        state.dataset_changed.connect(early, priority=10)
        window.destroyed.connect(lambda *_: state.dataset_changed.disconnect(early, missing_ok=True))
        listen(window, state.dataset_changed, self._on_dataset_changed)
        window.windowTitleChanged.connect(guarded(self._on_title_changed))

    # ------------------------------------------------------------------------------ menus
    def _build_actions(self) -> None:
        w = self.ctx.window
        self.new_action = QAction("&New project…", w, triggered=guarded(lambda: self.new_project()))
        self.open_action = QAction("&Open project…", w, triggered=guarded(lambda: self.open_project()))
        self.save_action = QAction("&Save project", w, shortcut=QKeySequence.StandardKey.Save,
                                   triggered=guarded(lambda: self.save()))
        self.save_as_action = QAction("Save project &as…", w, shortcut=QKeySequence.StandardKey.SaveAs,
                                      triggered=guarded(lambda: self.save_as()))
        for act in (self.new_action, self.open_action, self.save_action, self.save_as_action):
            self.ctx.add_file_action(act)
        self.ctx.add_file_separator()

    def _ask_path(self, title: str, save: bool) -> str | None:
        start = str(self.project.path) if self.project and self.project.path else ""
        if save:
            path, _ = QFileDialog.getSaveFileName(self.ctx.window, title, start or f"untitled{SUFFIX}", FILE_FILTER)
        else:
            path, _ = QFileDialog.getOpenFileName(self.ctx.window, title, start, FILE_FILTER)
        if path and save and not path.endswith(SUFFIX):
            path += SUFFIX
        return path or None

    # ------------------------------------------------------------------------------ open
    def open_project(self, path: str | os.PathLike | None = None, recover: bool | None = None) -> Job | None:
        """Open the project at ``path`` (asked for if ``None``); returns the loading job, or ``None``
        when nothing is opened (cancelled, unreadable file, missing store or model: the reason is
        shown). ``recover``: use the autosave left by a crash (``None``: ask if there is one)."""
        if path is None:
            path = self._ask_path("Open project", save=False)
            if path is None:
                return None
        path = Path(path).absolute()
        if self.lock.held and self.project is not None and self.project.path == path:
            lock, read_only = self.lock, False  # opened again in this window: our own lock
        else:
            lock = ProjectLock()
            read_only = not lock.acquire(path)

        def refuse(message: str | None) -> None:
            if lock is not self.lock:
                lock.release()
            return None if message is None else self._refuse(message)

        source = path
        # An autosave beside a project that another window holds is that window's, not a crash's.
        if not read_only and recovery_available(path):
            if recover is None:
                recover = self._dialogs() and ask(
                    self.ctx.window, "Recover project",
                    f"{path.name} was not closed cleanly. Recover the unsaved changes from its autosave?",
                    ["Recover", "Open the saved file"]) == "Recover"
            if recover:
                source = autosave_path(path)
        try:
            project = load_project(source)
        except ProjectError as exc:
            if source == path:
                return refuse(str(exc))
            self.ctx.status.show_error(f"the autosave cannot be recovered ({exc}); opening the saved file")
            source = path
            try:
                project = load_project(path)
            except ProjectError as exc2:
                return refuse(str(exc2))
        if project.missing:
            return refuse(f"{path.name} cannot be opened: " + "; ".join(project.missing)
                          + ". The project file was not changed")
        if not self.can_close():  # asked only now: a file that cannot be opened costs nothing
            return refuse(None)
        project.path = path
        job = self.ctx.open(project.store, project.checkpoint)
        self._opening = job

        def give_up(*_args) -> None:
            if job is self._opening:
                self._opening = None
                if lock is not self.lock:
                    lock.release()

        job.succeeded.connect(guarded(lambda _loaded: self._show(job, project, lock, read_only, source != path)))
        job.failed.connect(give_up)
        job.cancelled.connect(give_up)
        return job

    def _refuse(self, message: str) -> None:
        self.ctx.status.show_error(message)
        if self._dialogs():
            QMessageBox.warning(self.ctx.window, "latentlab", message)
        return None

    def _show(self, job: Job, project: Project, lock: ProjectLock, read_only: bool, recovered: bool) -> None:
        if job is not self._opening:  # another project was opened meanwhile
            if lock is not self.lock:
                lock.release()
            return
        self._opening = None
        if lock is not self.lock:
            self.lock.release()
        self.lock, self.read_only, self.project = lock, read_only, project
        self._applying = True
        try:
            self.curation.load_state(project.tags, project.selections)
        finally:
            self._applying = False
        self.view.restore(project.view, project.projection.get("method", "pca"))
        self._mark_clean(forced_dirty=recovered)  # recovered edits are not in the project file yet
        self.save_action.setEnabled(not read_only)
        notes = []
        if read_only:
            notes.append(f"{project.name} is open in {describe_holder(lock.holder)}: read-only here "
                         "(Save as… to keep your changes)")
        if recovered:
            notes.append(f"recovered the unsaved changes of {project.name} from its autosave")
        notes += self.view.missing_sources()
        if notes:
            self.ctx.status.show_error("; ".join(notes))
        self._refresh_title()
        self._remember(path=project.path)
        self.opened.emit(project)

    # ------------------------------------------------------------------------------ new / save
    def new_project(self, path: str | os.PathLike | None = None) -> bool:
        """Start a project at ``path`` on the data now shown, with no tags; saved at once."""
        if path is None:
            path = self._ask_path("New project", save=True)
            if path is None:
                return False
        if not self.can_close():
            return False
        self._applying = True
        try:
            self.curation.load_state({}, {})
        finally:
            self._applying = False
        self.project = Project()
        self.lock.release()
        self.read_only = False
        return self.save_as(path)

    def gather(self) -> Project:
        """The window's state as a project (the path is the open project's, if any)."""
        tags, selections = self._dump_state()
        old = self.project or Project()
        projection = {**old.projection, "method": self.view.method()}
        if projection["method"] != old.projection.get("method"):
            projection["params"] = {}
        return Project(store=user_path(self.ctx.store_path, "store"), checkpoint=user_path(self.ctx.checkpoint, "checkpoint"),
                       projection=projection, tags=tags, selections=selections, view=self.view.capture(),
                       path=old.path)

    def _dump_state(self) -> tuple[dict, dict]:
        """``curation.dump_state()`` with the keys cached per dataset (this runs on every autosave)."""
        cur, keys = self.curation, self.view.clip_keys()
        if len(keys) == cur.book.n_clips == cur.selections.n_clips:
            return cur.book.to_dict(keys), cur.selections.to_dict(keys)
        return cur.dump_state()

    def save(self) -> bool:
        """Save to the project's file (Save as… for an untitled or read-only project)."""
        if self.project is None or self.project.path is None or self.read_only:
            return self.save_as()
        return self._write(Path(self.project.path))

    def save_as(self, path: str | os.PathLike | None = None) -> bool:
        """Save to ``path`` (asked for if ``None``) and make it the open project."""
        if path is None:
            path = self._ask_path("Save project as", save=True)
            if path is None:
                return False
        path = Path(path).absolute()
        if self.project is not None and self.project.path == path and not self.read_only:
            return self._write(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)  # so that the lock file can be made there
        except OSError as exc:
            self._refuse(f"the project cannot be saved to {path}: {exc.strerror or exc}")
            return False
        lock = ProjectLock()
        if not lock.acquire(path):
            self._refuse(f"{path.name} is open in {describe_holder(lock.holder)}; choose another name")
            return False
        old_lock, old_read_only = self.lock, self.read_only
        self.lock, self.read_only = lock, False
        if not self._write(path):  # the project stays where it was, with its own lock
            lock.release()
            self.lock, self.read_only = old_lock, old_read_only
            return False
        old_lock.release()
        self.save_action.setEnabled(True)
        return True

    def _write(self, path: Path) -> bool:
        project = self.gather()
        try:
            save_project(project, path)
        except ProjectError as exc:
            self._refuse(str(exc))
            return False
        project.path = path
        self.project = project
        remove_autosave(path)
        self._mark_clean()
        self.ctx.say(f"saved {path}", 5000)
        self._remember(path=path)
        self.saved.emit(str(path))
        return True

    def autosave_now(self) -> bool:
        """Write the unsaved state to the autosave file (only for a dirty, writable, named project)."""
        if not self.dirty or self.read_only or self.project is None or self.project.path is None:
            return False
        try:
            save_project(self.gather(), autosave_path(self.project.path))
        except ProjectError as exc:
            self.ctx.status.show_error(f"autosave failed: {exc}")
            return False
        return True

    # ------------------------------------------------------------------------------ closing
    def can_close(self, choice: str | None = None) -> bool:
        """May the window close (or another project open)? ``choice``: "save", "discard" or
        "cancel" for a dirty project (``None``: ask; without dialogs the work is autosaved instead)."""
        if not self.dirty:
            return True
        if choice is None:
            if not self._dialogs():
                self.autosave_now()  # a scripted run must not block on a question: keep the work
                return True
            name = self.project.name if self.project else "untitled"
            choice = ask(self.ctx.window, "Unsaved changes", f"Save the changes to {name}?",
                         ["Save", "Discard", "Cancel"]).lower()
        if choice == "save":
            return self.save()
        if choice == "discard":
            if self.project is not None and self.project.path is not None and not self.read_only:
                remove_autosave(self.project.path)
            self._mark_clean()
            return True
        return False

    def confirm_replace(self, what: str, choice: str | None = None) -> bool:
        """Before ``what`` (another store, model or sample) replaces the dataset shown: the one guard
        every such path goes through (``MainWindow.open``). Unsaved work gets Save / Discard / Cancel;
        Discard in a project goes back to its saved tags and selections, so that they are what the
        project carries to the new data. ``choice`` as in :meth:`can_close`."""
        if not self.dirty:
            return True
        if choice is None and self._dialogs():
            name = self.project.name if self.project else "untitled"
            choice = ask(self.ctx.window, "Unsaved changes",
                         f"Opening {what} replaces the clips on the map.\n"
                         f"Save the tags and selections of {name} first?",
                         ["Save", "Discard", "Cancel"]).lower()
        if choice == "discard" and self.project is not None:
            self._applying = True
            try:
                self.curation.load_state(self.project.tags, self.project.selections)
            finally:
                self._applying = False
        return self.can_close(choice)

    def shutdown(self) -> None:
        """Stop autosaving and give the project back; a clean close forgets it (no recovery offer)."""
        self.autosave_timer.stop()
        if not self.dirty:
            self._remember(None)
        self.lock.release()

    def _remember(self, path: Path | None) -> None:
        settings = self.ctx.settings
        if path is None:
            settings.remove(OPEN_KEY)
        else:
            settings.setValue(OPEN_KEY, str(path))
        settings.sync()

    def crashed_project(self) -> Path | None:
        """The project of a window that did not close cleanly, if it left an autosave to recover."""
        value = self.ctx.settings.value(OPEN_KEY)
        if not isinstance(value, str) or not value:
            return None
        return Path(value) if recovery_available(value) else None

    def offer_recovery(self, recover: bool | None = None) -> Job | None:
        """At start-up: offer the autosave of a project that was open when latentlab crashed.

        Returns the opening job, or ``None`` (nothing to recover, or declined: the question is not
        asked again, the autosave stays beside the project until it is next opened)."""
        path = self.crashed_project()
        if path is None:
            return None
        if recover is None:
            recover = self._dialogs() and ask(
                self.ctx.window, "Recover project",
                f"latentlab did not close cleanly while {path.name} had unsaved changes. Recover them?",
                ["Recover", "Not now"]) == "Recover"
        if not recover:
            self._remember(None)
            return None
        return self.open_project(path, recover=True)

    # ------------------------------------------------------------------------------ events
    def _on_edited(self, *_args) -> None:
        if not self._applying:
            self._update_dirty()

    def _before_curation_reset(self, dataset) -> None:
        """Another store or model is being shown inside the project: keep the tags and selections by
        clip key (the indices of the old dataset still hold here) so they can be given back after it."""
        self._carry = None
        old, cur = self._dataset, self.curation
        if self.project is None or self._opening is not None or old is None or old is dataset:
            return
        if not (cur.book.names() or cur.selections.names() or cur.book.orphans or cur.selections.orphans):
            return
        keys = self.view.keys_of(old)
        if len(keys) == cur.book.n_clips:
            self._carry = (cur.book.to_dict(keys), cur.selections.to_dict(keys), self.dirty)

    def _on_dataset_changed(self, dataset) -> None:
        """After curation started an empty book: give the carried state back (keys this dataset lacks
        stay saved as orphans). Without a project there is nothing to keep."""
        self._dataset = dataset
        carry, self._carry = self._carry, None
        if self.project is None:
            self._mark_clean()
            return
        if self._opening is not None:
            return  # _show loads the project's own state
        if carry is not None:
            self._applying = True
            try:
                self.curation.load_state(carry[0], carry[1])
            finally:
                self._applying = False
        p = self.project
        moved = (user_path(self.ctx.store_path, "store"), user_path(self.ctx.checkpoint, "checkpoint")) != (p.store, p.checkpoint)
        self._forced_dirty = self._forced_dirty or moved or bool(carry and carry[2])
        self._update_dirty()

    def _selections_now(self) -> dict[str, bytes]:
        sel = self.curation.selections
        return {name: sel.get(name).tobytes() for name in sel.names()}

    def _mark_clean(self, forced_dirty: bool = False) -> None:
        """What is on screen now is what the file holds (``forced_dirty``: not yet, e.g. recovered)."""
        self._clean_selections = self._selections_now()
        self._forced_dirty = forced_dirty
        self._applying = True
        try:
            self.curation.undo.set_clean()
        finally:
            self._applying = False
        self._update_dirty()

    def _update_dirty(self) -> None:
        """Dirty: an edit since the save that was not undone, another saved selection, or forced."""
        self.dirty = (self._forced_dirty or not self.curation.undo.is_clean
                      or self._selections_now() != self._clean_selections)
        self._refresh_title()

    # ------------------------------------------------------------------------------ title
    def _on_title_changed(self, title: str) -> None:
        if title != self._title:  # set by the window (a new dataset): keep it as the base
            self._base_title = title
            self._refresh_title()

    def _refresh_title(self) -> None:
        if self.project is None:
            prefix = "untitled*" if self.dirty else ""
        else:
            prefix = f"{self.project.name}{'*' if self.dirty else ''}{' [read-only]' if self.read_only else ''}"
        self._title = f"{prefix} — {self._base_title}" if prefix else self._base_title
        self.ctx.window.setWindowTitle(self._title)

    def _dialogs(self) -> bool:
        return self.ctx.dialogs_enabled

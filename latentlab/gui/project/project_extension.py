"""Projects in the window: File -> New/Open/Save/Save as, the title, autosave, recovery, read-only.

The policy (file, lock, read-only, what is unsaved, autosave, crash recovery) is the Qt-free
:class:`~latentlab.app.project_session.ProjectSession`; this adds actions, dialogs, the autosave timer
and the title. Opening a project loads its store and model, then gives its tags and saved selections
to the curation extension and restores the view; saving gathers them back. Other extensions add
their own part of the project: ``gatherers`` fill it in on every save, ``opened`` gives it back.

Every user decision (recover? save before closing?) goes through a method argument, so tests and
scripts never meet a dialog; with the job strip's ``dialogs_enabled`` off no dialog is shown at all.
Closing with unsaved work and recovering after a crash: :mod:`latentlab.gui.project.project_closing`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox

from latentlab.app.project_session import OpenPlan, ProjectRefused, ProjectSession
from latentlab.core.project import SUFFIX, Project, ProjectError
from latentlab.gui.errors import guarded, listen
from latentlab.gui.project.project_closing import ProjectClosing
from latentlab.gui.project.saved_view import SavedView, user_path
from latentlab.gui.shell import ExtensionBase, WindowContext
from latentlab.gui.widgets.questions import ask
from latentlab.gui.workers import Job

AUTOSAVE_MS = 60_000
FILE_FILTER = f"latentlab project (*{SUFFIX})"


class ProjectExtension(ProjectClosing, ExtensionBase):
    """The window's project (see the module docstring)."""

    opened = Signal(object)  # Project, once its data, tags and view are shown
    saved = Signal(str)  # path written

    def __init__(self, ctx: WindowContext, autosave_ms: int = AUTOSAVE_MS) -> None:
        super().__init__(ctx)
        ctx.project = self
        window = ctx.window
        self.curation = ctx.curation  # built before this extension (extensions.py)
        self.session = ProjectSession(self.curation.undo, ctx.settings)
        self._applying = False  # curation.load_state is ours, not an edit
        self._opening: tuple[Job, OpenPlan] | None = None
        self._dataset = None  # the dataset the curation state belongs to
        self._carry: tuple[dict, dict, bool] | None = None  # (tags, selections, dirty) across a dataset change
        self._base_title, self._title = window.windowTitle(), ""
        self.view = SavedView(ctx)
        self.gatherers: list[Callable[[Project], None]] = []  # each adds its part to a project being saved
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(autosave_ms)
        self.autosave_timer.timeout.connect(guarded(self.autosave_now))
        self.autosave_timer.start()
        self.curation.state_changed.connect(guarded(self._on_edited))
        self._build_actions()
        # Before curation empties its book for a new dataset (priority), and after it (listen).
        early = guarded(self._before_curation_reset)
        state = ctx.state
        state.dataset_changed.connect(early, priority=10)
        window.destroyed.connect(lambda *_: state.dataset_changed.disconnect(early, missing_ok=True))
        listen(window, state.dataset_changed, self._on_dataset_changed)
        window.windowTitleChanged.connect(guarded(self._on_title_changed))

    # ------------------------------------------------------------------------------ state
    @property
    def project(self) -> Project | None:
        return self.session.project

    @property
    def opening(self) -> bool:
        """A project's data is loading: the next dataset is that project's, not more of the open one."""
        return self._opening is not None

    @property
    def lock(self):
        return self.session.lock

    @property
    def read_only(self) -> bool:
        return self.session.read_only

    @property
    def dirty(self) -> bool:
        """Unsaved edits (or recovered ones, or another store / model opened)."""
        return self.session.dirty

    @contextmanager
    def _applying_state(self):
        """Changes made here (loading tags, marking the history clean) are not user edits."""
        self._applying = True
        try:
            yield
        finally:
            self._applying = False

    def _load_curation(self, tags: dict, selections: dict) -> None:
        with self._applying_state():
            self.curation.load_state(tags, selections)

    # ------------------------------------------------------------------------------ menus
    def _build_actions(self) -> None:
        w = self.ctx.window
        self.new_action = QAction("&New project…", w, triggered=guarded(lambda: self.new_project()))
        self.open_action = QAction("&Open project…", w, triggered=guarded(lambda: self.open_project()))
        self.save_action = QAction(
            "&Save project", w, shortcut=QKeySequence.StandardKey.Save, triggered=guarded(lambda: self.save())
        )
        self.save_as_action = QAction(
            "Save project &as…", w, shortcut=QKeySequence.StandardKey.SaveAs, triggered=guarded(lambda: self.save_as())
        )
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

    def _ask(self, title: str, text: str, buttons: list[str]) -> str:
        """Every question of this extension and of :class:`ProjectClosing` goes through here (one seam)."""
        return ask(self.ctx.window, title, text, buttons)

    def _refuse(self, message: str | None) -> None:
        if message is not None:
            self.ctx.status.show_error(message)
            if self.ctx.dialogs_enabled:
                QMessageBox.warning(self.ctx.window, "latentlab", message)
        return None

    # ------------------------------------------------------------------------------ open
    def open_project(self, path: str | os.PathLike | None = None, recover: bool | None = None) -> Job | None:
        """Open the project at ``path`` (asked for if ``None``); returns the loading job, or ``None``
        when nothing is opened (cancelled, unreadable file, missing store or model: the reason is
        shown). ``recover``: use the autosave left by a crash (``None``: ask if there is one)."""
        if path is None:
            path = self._ask_path("Open project", save=False)
            if path is None:
                return None

        def wants_recovery(p: Path) -> bool:
            if recover is not None:
                return recover
            return (
                self.ctx.dialogs_enabled
                and self._ask(
                    "Recover project",
                    f"{p.name} was not closed cleanly. Recover the unsaved changes from its autosave?",
                    ["Recover", "Open the saved file"],
                )
                == "Recover"
            )

        try:
            plan = self.session.plan_open(path, wants_recovery)
        except ProjectRefused as exc:
            return self._refuse(exc.message)
        for note in plan.notes:
            self.ctx.status.show_error(note)
        if not self.can_close():  # asked only now: a file that cannot be opened costs nothing
            self.session.abandon(plan)
            return None
        job = self.ctx.open(plan.project.store, plan.project.checkpoint)
        self._opening = (job, plan)

        def give_up(*_args) -> None:
            if self._opening is not None and self._opening[0] is job:
                self._opening = None
                self.session.abandon(plan)

        job.succeeded.connect(guarded(lambda _loaded: self._show(job, plan)))
        job.failed.connect(give_up)
        job.cancelled.connect(give_up)
        return job

    def _show(self, job: Job, plan: OpenPlan) -> None:
        if self._opening is None or self._opening[0] is not job:  # another project was opened meanwhile
            self.session.abandon(plan)
            return
        self._opening = None
        project = plan.project
        with self._applying_state():
            notes = self.session.adopt(plan)
            self.curation.load_state(project.tags, project.selections)
            self.session.mark_clean(changes=plan.recovered)  # recovered edits are not in the file yet
        self.view.restore(project.view, project.projection.get("method", "pca"))
        self.save_action.setEnabled(not plan.read_only)
        notes += self.view.missing_sources()
        if notes:
            self.ctx.status.show_error("; ".join(notes))
        self._refresh_title()
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
        self._load_curation({}, {})
        self.session.start_new()
        return self.save_as(path)

    def gather(self) -> Project:
        """The window's state as a project (the path is the open project's, if any)."""
        project = self.view.gather(self.curation, self.project)
        for add_part in self.gatherers:
            add_part(project)
        return project

    def save(self) -> bool:
        """Save to the project's file (Save as… for an untitled or read-only project)."""
        if self.session.needs_new_path():
            return self.save_as()
        return self._saved(lambda: self.session.save_as(self.project.path, self.gather))

    def save_as(self, path: str | os.PathLike | None = None) -> bool:
        """Save to ``path`` (asked for if ``None``) and make it the open project."""
        if path is None:
            path = self._ask_path("Save project as", save=True)
            if path is None:
                return False
        path = Path(path).absolute()
        return self._saved(lambda: self.session.save_as(path, self.gather))

    def _saved(self, write) -> bool:
        with self._applying_state():
            try:
                write()
            except ProjectRefused as exc:
                self._refuse(exc.message)
                return False
        path = self.project.path
        self._refresh_title()
        self.save_action.setEnabled(True)
        self.ctx.say(f"saved {path}", 5000)
        self.saved.emit(str(path))
        return True

    def autosave_now(self) -> bool:
        """Write the unsaved state to the autosave file (only for a dirty, writable, named project)."""
        try:
            return self.session.autosave(self.gather)
        except ProjectError as exc:
            self.ctx.status.show_error(f"autosave failed: {exc}")
            return False

    # ------------------------------------------------------------------------------ closing
    def shutdown(self) -> None:
        """Stop autosaving and give the project back; a clean close forgets it (no recovery offer)."""
        self.autosave_timer.stop()
        self.session.close()

    # ------------------------------------------------------------------------------ events
    def _on_edited(self, *_args) -> None:
        if not self._applying:
            self._refresh_title()

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
            with self._applying_state():
                self.session.mark_clean()
            self._refresh_title()
            return
        if self._opening is not None:
            return  # _show loads the project's own state
        if carry is not None:
            self._load_curation(carry[0], carry[1])
        p = self.project
        moved = (user_path(self.ctx.store_path, "store"), user_path(self.ctx.checkpoint, "checkpoint")) != (
            p.store,
            p.checkpoint,
        )
        if moved or (carry and carry[2]):
            self.session.mark_changed()
        self._refresh_title()

    # ------------------------------------------------------------------------------ title
    def _on_title_changed(self, title: str) -> None:
        if title != self._title:  # set by the window (a new dataset): keep it as the base
            self._base_title = title
            self._refresh_title()

    def _refresh_title(self) -> None:
        self._title = self.session.title(self._base_title)
        self.ctx.window.setWindowTitle(self._title)

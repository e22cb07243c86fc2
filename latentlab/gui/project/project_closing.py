"""Unsaved work in the window's project: Save / Discard / Cancel before closing or replacing the data,
and the offer to recover the autosave of a project open when latentlab crashed.

:class:`ProjectClosing` is a base class of :class:`~latentlab.gui.project.project_extension.ProjectExtension`
(listed before :class:`~latentlab.gui.shell.ExtensionBase`, whose ``can_close`` and ``confirm_replace`` it
replaces); it uses the extension's ``ctx``, ``session``, ``project``, ``dirty``, ``save``, ``autosave_now``,
``open_project``, ``_load_curation``, ``_applying_state``, ``_refresh_title`` and ``_ask``.
"""

from __future__ import annotations

from pathlib import Path

from latentlab.gui.workers import Job


class ProjectClosing:
    """What becomes of unsaved work (see the module docstring)."""

    def can_close(self, choice: str | None = None) -> bool:
        """May the window close (or another project open)? ``choice``: "save", "discard" or
        "cancel" for a dirty project (``None``: ask; without dialogs the work is autosaved instead)."""
        if not self.dirty:
            return True
        if choice is None:
            if not self.ctx.dialogs_enabled:
                self.autosave_now()  # a scripted run must not block on a question: keep the work
                return True
            choice = self._ask(
                "Unsaved changes",
                f"Save the changes to {self.session.name}?",
                ["Save", "Discard", "Cancel"],
            ).lower()
        if choice == "save":
            return self.save()
        if choice == "discard":
            with self._applying_state():
                self.session.discard()
            self._refresh_title()
            return True
        return False

    def confirm_replace(self, what: str, choice: str | None = None) -> bool:
        """Before ``what`` (another store, model or sample) replaces the dataset shown: the one guard
        every such path goes through (``MainWindow.open``). Unsaved work gets Save / Discard / Cancel;
        Discard in a project goes back to its saved tags and selections, so that they are what the
        project carries to the new data. ``choice`` as in :meth:`can_close`."""
        if not self.dirty:
            return True
        if choice is None and self.ctx.dialogs_enabled:
            choice = self._ask(
                "Unsaved changes",
                f"Opening {what} replaces the clips on the map.\n"
                f"Save the tags and selections of {self.session.name} first?",
                ["Save", "Discard", "Cancel"],
            ).lower()
        if choice == "discard" and self.project is not None:
            self._load_curation(self.project.tags, self.project.selections)
        return self.can_close(choice)

    def crashed_project(self) -> Path | None:
        """The project of a window that did not close cleanly, if it left an autosave to recover."""
        return self.session.crashed_project()

    def offer_recovery(self, recover: bool | None = None) -> Job | None:
        """At start-up: offer the autosave of a project that was open when latentlab crashed.

        Returns the opening job, or ``None`` (nothing to recover, or declined: the question is not
        asked again, the autosave stays beside the project until it is next opened)."""
        path = self.crashed_project()
        if path is None:
            return None
        if recover is None:
            recover = (
                self.ctx.dialogs_enabled
                and self._ask(
                    "Recover project",
                    f"latentlab did not close cleanly while {path.name} had unsaved changes. Recover them?",
                    ["Recover", "Not now"],
                )
                == "Recover"
            )
        if not recover:
            self.session.remember(None)
            return None
        return self.open_project(path, recover=True)

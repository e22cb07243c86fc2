"""The contract between the explorer window and its features.

A feature (curation, projects, export, teaching, training, model comparison) is an
:class:`Extension`: the window builds it with a :class:`WindowContext` and later asks it whether
unsaved work allows another dataset or closing, and tells it to shut down. Through the context an
extension reaches the shared state and workers, adds its docks, menus and actions, and finds the
other extensions as typed attributes (``ctx.curation``, ``ctx.training``...), set as each one is
built. Extensions follow the shared :class:`~latentlab.core.explorer_state.ExplorerState`'s events;
they do not edit the window's widgets.

The extensions and their order are a list of classes in :mod:`latentlab.gui.extensions`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMenu, QWidget

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings

    from latentlab.core.explorer_state import ExplorerState
    from latentlab.gui.curation.curation_extension import CurationExtension
    from latentlab.gui.job_status import JobStatus
    from latentlab.gui.main_window import MainWindow
    from latentlab.gui.map.latent_map import LatentMap
    from latentlab.gui.project.export_extension import ExportExtension
    from latentlab.gui.project.project_extension import ProjectExtension
    from latentlab.gui.teach.teach_extension import TeachExtension
    from latentlab.gui.training.compare_extension import CompareExtension
    from latentlab.gui.training.training_extension import TrainingExtension
    from latentlab.gui.workers import DecodeWorker, Job, JobRunner

MESSAGE_MS = 8000  # how long a status-bar message stays (errors stay until clicked: JobStatus)
GENERATE_DOCK = "dock_generate"


def while_shown(state: ExplorerState, dataset: Any, fn: Callable) -> Callable:
    """``fn`` to be called only while ``state`` still shows ``dataset``: a job's result for a dataset
    that was replaced meanwhile is dropped."""

    def call(*args):
        if state.dataset is dataset:
            return fn(*args)
        return None

    return call


class Extension(Protocol):
    """What the window asks of every feature."""

    def confirm_replace(self, what: str) -> bool:
        """May ``what`` (another store, model or sample) replace the dataset shown? (unsaved work)"""
        ...

    def can_close(self) -> bool:
        """May the window close?"""
        ...

    def shutdown(self) -> None:
        """Stop jobs and timers (the window is closing; may be called twice)."""
        ...


class ExtensionBase(QObject):
    """An :class:`Extension` with nothing unsaved and nothing to stop; features override what they need."""

    def __init__(self, ctx: WindowContext) -> None:
        super().__init__(ctx.window)
        self.ctx = ctx

    def confirm_replace(self, what: str) -> bool:
        return True

    def can_close(self) -> bool:
        return True

    def shutdown(self) -> None:
        pass


class WindowContext:
    """What an extension may use of the window (see the module docstring).

    Attributes
    ----------
    window
        The main window: parent of docks and dialogs, and its title.
    state, worker, runner, settings, status, map
        The shared state, the live decoder, the job runner, the settings, the job strip and the map.
    curation, project, export, teach, training, compare
        The extensions, once built (``None`` before, or in a window built without them).
    """

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.state: ExplorerState = window.state
        self.worker: DecodeWorker = window.worker
        self.runner: JobRunner = window.runner
        self.settings: QSettings = window.settings
        self.status: JobStatus = window.status
        self.map: LatentMap = window.map
        self.extensions: list[Extension] = []
        self.curation: CurationExtension | None = None
        self.project: ProjectExtension | None = None
        self.export: ExportExtension | None = None
        self.teach: TeachExtension | None = None
        self.training: TrainingExtension | None = None
        self.compare: CompareExtension | None = None
        self._help_menu: QMenu | None = None

    # ------------------------------------------------------------------------------ the data shown
    @property
    def store_path(self) -> str | None:
        """The store shown (``None``: none, or the generated sample data before it is known)."""
        return self.window.store_path

    @property
    def checkpoint(self) -> str | None:
        """The model shown (``None``: the bundled demo model)."""
        return self.window.checkpoint

    def open(self, store: str | None, checkpoint: str | None) -> Job | None:
        """Show ``store`` with ``checkpoint`` (:meth:`MainWindow.open`: unsaved work is asked about)."""
        return self.window.open(store, checkpoint)

    def set_projection(self, method: str) -> Job | None:
        """Fit (or reuse) the map of ``method`` in the background."""
        return self.window.set_projection(method)

    def view_range(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The map's visible ``(x range, y range)``."""
        (x0, x1), (y0, y1) = self.map.view.viewRange()
        return (float(x0), float(x1)), (float(y0), float(y1))

    def set_view_range(self, x: tuple[float, float], y: tuple[float, float]) -> None:
        self.map.view.setRange(xRange=tuple(x), yRange=tuple(y), padding=0)

    # ------------------------------------------------------------------------------ the user
    @property
    def dialogs_enabled(self) -> bool:
        """False in scripted runs (screenshots, tests): nothing may wait for an answer."""
        return self.status.dialogs_enabled

    def say(self, text: str, ms: int = MESSAGE_MS) -> None:
        """A one-line message in the status bar."""
        self.window.statusBar().showMessage(text, ms)

    # ------------------------------------------------------------------------------ menus and docks
    def add_file_action(self, action: QAction) -> QAction:
        """Add ``action`` to the File menu, above Quit."""
        self.window.file_menu.insertAction(self.window.file_menu_end, action)
        return action

    def add_file_separator(self) -> None:
        self.window.file_menu.insertSeparator(self.window.file_menu_end)

    def add_view_action(self, action: QAction) -> QAction:
        self.window.view_menu.addAction(action)
        return action

    @property
    def view_menu(self) -> QMenu:
        return self.window.view_menu

    def help_menu(self) -> QMenu:
        """The Help menu (made by the first extension that asks)."""
        if self._help_menu is None:
            self._help_menu = self.window.menuBar().addMenu("&Help")
            self._help_menu.setObjectName("menu_help")
        return self._help_menu

    def needs_data(self, action: QAction) -> QAction:
        """Enable ``action`` only while a dataset is shown."""
        return self.window.needs_data(action)

    def add_dock(self, dock: QDockWidget, beside_generate: bool = True) -> QDockWidget:
        """Dock ``dock`` on the right; as a tab beside Generate (a dock of its own beside the map
        would squeeze the map and widen the window's minimum size)."""
        self.window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        generate = self.dock("generate")
        if beside_generate and generate is not None:
            self.window.tabifyDockWidget(generate, dock)
            generate.raise_()
        return dock

    def dock(self, name: str) -> QDockWidget | None:
        """The dock named ``dock_<name>`` (``generate``, ``player``, ``teach``...), if any."""
        return self.window.findChild(QDockWidget, f"dock_{name}")

    def show_generate(self, name: str) -> QWidget | None:
        """Bring the Generate tab ``name`` (``probe``, ``interpolate``, ``sliders``) to the front."""
        return self.window.show_generate(name)

    def widget(self, name: str) -> QWidget | None:
        """The window's own views by name (``map``, ``clip``) for the tour to point at."""
        return {"map": self.window.map, "clip": self.window.player}.get(name)

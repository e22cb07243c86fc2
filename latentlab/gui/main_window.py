"""MainWindow: the latent map in the middle, the clip player and the generate tabs (probe,
interpolation, sliders) in docks, jobs in the status bar; menus for stores, models and samples."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QFileDialog, QMainWindow, QWidget

from latentlab.app import dataset as app_dataset
from latentlab.app import loading, maps
from latentlab.core.explorer_state import ClipField, ExplorerState
from latentlab.gui.errors import guarded, listen
from latentlab.gui.extensions import EXTENSIONS
from latentlab.gui.generate.clip_player import ClipPlayer
from latentlab.gui.generate.generate_tabs import GenerateTabs
from latentlab.gui.job_status import JobStatus
from latentlab.gui.map.colour_box import RECON_ERROR
from latentlab.gui.map.latent_map import LatentMap
from latentlab.gui.map.map_fitter import MapFitter
from latentlab.gui.map.map_toolbar import MapToolbar
from latentlab.gui.recent_files import RecentFiles
from latentlab.gui.sample_data import SAMPLE_DATASETS, describe_source
from latentlab.gui.shell import MESSAGE_MS, WindowContext, while_shown
from latentlab.gui.wording import count
from latentlab.gui.workers import DecodeWorker, Job, JobRunner
from latentlab.media.video_formats import refusal_message, split_videos

DOCK_FEATURES = (
    QDockWidget.DockWidgetFeature.DockWidgetMovable
    | QDockWidget.DockWidgetFeature.DockWidgetFloatable
    | QDockWidget.DockWidgetFeature.DockWidgetClosable
)  # closed docks come back from the View menu


class MainWindow(QMainWindow):
    """The explorer. ``settings`` (a ``QSettings``) keeps its layout and recent files."""

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.setWindowTitle("latentlab explorer")
        self.settings = settings if settings is not None else QSettings("latentlab", "explorer")
        self.state = ExplorerState()
        self.worker = DecodeWorker(self)
        self.runner = JobRunner(self)
        self.store_path: str | None = None
        self.checkpoint: str | None = None
        #: The map a sample dataset is shown on after its first (PCA) map; None keeps PCA
        #: (``explore --projection`` sets it: an explicit choice wins).
        self.sample_map: str | None = "tsne"
        self._closed = False
        self._data_actions: list[QAction] = []
        self.map = LatentMap(self.state, self.worker)
        self.fitter = MapFitter(self.state, self.runner, self.map)
        self.fitter.said.connect(self._say)
        self.player = ClipPlayer(self.state, self.worker)
        self.tabs = GenerateTabs(self.state, self.worker, self.runner)
        self.tabs.said.connect(self._say)
        self.probe, self.interpolation, self.sliders = self.tabs.probe, self.tabs.interpolation, self.tabs.sliders
        self.status = JobStatus(self.runner)
        self.setCentralWidget(self.map)
        self.docks = []
        for name, title, widget in (("player", "Clip", self.player), ("generate", "Generate", self.tabs)):
            dock = QDockWidget(title, self)
            self.docks.append(dock)
            dock.setObjectName(f"dock_{name}")
            dock.setWidget(widget)
            dock.setFeatures(DOCK_FEATURES)
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.statusBar().addPermanentWidget(self.status, 1)
        self.status.attach(self.statusBar())
        self._build_toolbar()
        self._build_menus()
        self.setAcceptDrops(True)
        self.worker.failed.connect(lambda ch, _rid, msg: self.status.show_error(f"rendering ({ch}) failed: {msg}"))
        listen(self, self.state.dataset_changed, self._on_dataset_changed)
        self.resize(1400, 860)
        self.resizeDocks(self.docks, [560, 560], Qt.Orientation.Horizontal)
        self.resizeDocks(self.docks, [380, 480], Qt.Orientation.Vertical)
        self.context = WindowContext(self)
        for extension in EXTENSIONS:  # curation, projects, teaching, training...: see extensions.py
            self.context.extensions.append(extension(self.context))
        self._add_dock_toggles()
        self._restore_layout()

    # ------------------------------------------------------------------------------ building
    def _build_toolbar(self) -> None:
        self.toolbar = MapToolbar(self.state, self.map)
        self.addToolBar(self.toolbar)
        self.projection_combo, self.colour_combo = self.toolbar.projection_combo, self.toolbar.colour_box
        self.toolbar.projection_chosen.connect(guarded(self.set_projection))
        self.fitter.method_shown.connect(self.toolbar.show_method)
        self.colour_combo.compute_requested.connect(guarded(self.compute_reconstruction_error))
        self.needs_data(self.toolbar.probe_action)

    def _build_menus(self) -> None:
        m = self.file_menu = self.menuBar().addMenu("&File")
        m.addAction("Open &store…", guarded(self._ask_store))
        m.addAction("Open &model…", guarded(self._ask_checkpoint))
        self.recent_menu = m.addMenu("Open &recent")
        self.recent_files = RecentFiles(self.settings, self.recent_menu, self.open_recent)
        samples = SAMPLE_DATASETS
        if len(samples) == 1:
            m.addAction("Open &sample data", guarded(lambda: samples[0].open(self)))
        else:
            sample_menu = m.addMenu("Open &sample data")
            for sample in samples:
                sample_menu.addAction(sample.title, guarded(lambda s=sample: s.open(self)))
        m.addSeparator()
        m.addAction("Save s&creenshot…", guarded(self._ask_screenshot))
        self.file_menu_end = m.addSeparator()  # extensions insert their File entries before this
        m.addAction("&Quit", self.close)
        v = self.view_menu = self.menuBar().addMenu("&View")
        self.needs_data(v.addAction("Colour by &reconstruction error", guarded(self.compute_reconstruction_error)))
        v.addAction("&Reset zoom", lambda: self.map.view.autoRange(padding=0.05))
        hide = v.addAction("&Hide dimmed clips")  # "Show only" greys the others; this hides them
        hide.setCheckable(True)
        hide.toggled.connect(guarded(lambda on: self.map.set_hide_dimmed(on)))

    def _add_dock_toggles(self) -> None:
        """Every dock can be closed (its title bar's ×) and comes back from View → Panels."""
        listed = set(self.view_menu.actions())
        self.view_menu.addSection("Panels")
        for dock in self.findChildren(QDockWidget):
            dock.setFeatures(dock.features() | QDockWidget.DockWidgetFeature.DockWidgetClosable)
            if dock.toggleViewAction() not in listed:
                self.view_menu.addAction(dock.toggleViewAction())

    def needs_data(self, action: QAction) -> QAction:
        """Enable ``action`` only while a dataset is shown (extensions register theirs here too)."""
        self._data_actions.append(action)
        action.setEnabled(self.state.dataset is not None)
        return action

    # ------------------------------------------------------------------------------ loading
    def open(self, store: str | None, checkpoint: str | None) -> Job | None:
        """Load ``store`` with ``checkpoint`` (``None``: the bundled demo) on a background job.

        Every path that replaces the dataset shown comes through here, and here only the unsaved work
        is guarded (:meth:`confirm_replace`): ``None`` when the user cancelled."""
        what = describe_source(store, checkpoint, self.store_path, self.checkpoint)
        if self.state.dataset is not None and not self.confirm_replace(what):
            self.statusBar().showMessage(f"not opened: {what} (your unsaved work stays)", MESSAGE_MS)
            return None
        name = f"open {Path(store).name if store else 'demo'}"
        mismatch: list = []

        def load(ctx):
            try:
                return loading.open_dataset(store, checkpoint, lambda f, t: ctx.progress(f, text=t), ctx.is_cancelled)
            except loading.GeometryMismatch as exc:
                mismatch.append(exc)
                raise

        job = self.load(name, load)
        job.failed.connect(lambda *_: mismatch and guarded(self.offer_ways_forward)(mismatch[0]))
        return job

    def offer_ways_forward(self, exc: loading.GeometryMismatch) -> None:
        """A store the model cannot take (own videos cut at another size): train a model on it from
        the Train dock (filled in and shown), or cut the videos again at the model's size."""
        t, h, w, _c = exc.model
        ingest = f"latentlab ingest VIDEOS -o NEW_STORE --frames {t} --size {w}x{h}"
        self.status.show_error(
            f"{exc}. Ways forward: train a model on this store (Train dock: Start), "
            f"or re-ingest at the model's size: {ingest}"
        )
        training = self.context.training
        if training is not None:
            training.offer_store(
                exc.store,
                f"{exc}.\nPress Start to train a model on {Path(exc.store).name}, "
                f"or cut the videos again at the model's size:\n{ingest}",
            )

    def open_demo(self) -> Job | None:
        return self.open(None, None)

    def confirm_replace(self, what: str) -> bool:
        """Ask every extension with unsaved work (the project: Save / Discard / Cancel) whether
        ``what`` may replace the dataset shown."""
        return all(ext.confirm_replace(what) for ext in self.context.extensions)

    def load(self, name: str, fn: Callable) -> Job:
        """Run a loader ``fn(ctx) -> loading.Loaded`` as a job and show its result."""
        self.fitter.cancel()
        job = self.runner.submit(name, fn)
        job.succeeded.connect(guarded(self.show_loaded))
        return job

    def show_loaded(self, loaded: loading.Loaded) -> None:
        """Show a loaded dataset and its first map (on the GUI thread)."""
        self.store_path, self.checkpoint = loaded.store_path or None, loaded.checkpoint or None
        self.state.set_dataset(loaded.dataset)
        self.state.set_projection(loaded.projection, loaded.inverse)
        self.toolbar.show_method(loaded.projection.method)
        if loaded.dataset.n_clips:
            self.state.select([0])
            c = np.asarray(loaded.projection.coords)
            centre = np.median(c, axis=0)
            self.state.move_probe(float(centre[0]), float(centre[1]))
        for path in (loaded.store_path, loaded.checkpoint):
            if path:
                self.recent_files.add(path)
        ds = loaded.dataset
        if ds.codec is None and loaded.checkpoint:  # the map came from cached latents: now the model
            job = self.runner.submit("load model", lambda ctx: loading.load_codec(loaded.checkpoint, ds.store))
            job.succeeded.connect(guarded(while_shown(self.state, ds, self.state.set_codec)))
        if "cluster" not in ds.fields and ds.n_clips >= 2:
            job = self.runner.submit("clusters", lambda ctx: app_dataset.cluster_field(ds))
            job.succeeded.connect(guarded(while_shown(self.state, ds, self.state.add_field)))
        if loaded.sample and self.sample_map in maps.available_projections() and loaded.projection.method == "pca":
            # The sample data's classes lie in neighbourhoods a PCA plane does not separate: show the
            # t-SNE map, fitted once in the background (then cached), as the default map.
            self.set_projection(self.sample_map)
        self.setWindowTitle(f"latentlab explorer — {loaded.dataset.name} ({loaded.dataset.n_clips:,} clips)")
        model = Path(loaded.checkpoint).name if loaded.checkpoint else "the model"
        self._say(f"opened {ds.name}: {count(ds.n_clips, 'clip')} with the model {model}")

    def _on_dataset_changed(self, dataset) -> None:
        for act in self._data_actions:
            act.setEnabled(dataset is not None)

    def set_projection(self, method: str) -> Job | None:
        """Fit ``method`` in the background (:class:`~latentlab.gui.map.map_fitter.MapFitter`)."""
        return self.fitter.set_projection(method)

    def fitting(self) -> bool:
        """Is a map being fitted (the screenshot of ``explore --projection`` waits for it)?"""
        return self.fitter.fitting()

    def compute_reconstruction_error(self) -> Job | None:
        ds = self.state.dataset
        if ds is None:
            return None
        job = self.runner.submit(
            "reconstruction error",
            lambda ctx: app_dataset.reconstruction_errors(ds, lambda f, t: ctx.progress(f, text=t), ctx.is_cancelled),
        )
        job.succeeded.connect(guarded(while_shown(self.state, ds, self._add_error_field)))
        return job

    def _add_error_field(self, errors: np.ndarray) -> None:
        self.state.add_field(ClipField(RECON_ERROR, errors))
        self.colour_combo.show_field(RECON_ERROR)
        self.state.set_colour_field(RECON_ERROR)

    def show_generate(self, name: str) -> QWidget | None:
        """Bring the Generate dock's tab ``name`` (``probe``, ``interpolate``, ``sliders``) to the front."""
        return self.tabs.show_tab(name)

    def _say(self, text: str) -> None:
        self.statusBar().showMessage(text, MESSAGE_MS)

    # ------------------------------------------------------------------------------ dialogs
    def _ask_store(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open clip store")
        if path:
            self.open(path, self.checkpoint)

    def _ask_checkpoint(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self, "Open model folder (latentlab checkpoint or diffusers autoencoder)"
        )
        if path:
            self.open(self.store_path, path)

    def _ask_screenshot(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save screenshot", "explorer.png", "PNG (*.png)")
        if path:
            if self.grab().save(path):
                self._say(f"screenshot saved to {path}")
            else:
                self.status.show_error(f"the screenshot could not be written to {path}")

    def recent(self) -> list[str]:
        return self.recent_files.paths()

    def _fill_recent_menu(self) -> None:
        self.recent_files.fill()

    def open_recent(self, path: str, is_checkpoint: bool) -> Job | None:
        """Open a recent store (with the model shown) or checkpoint (on the store shown); an entry
        that fails to open leaves the menu."""
        job = self.open(self.store_path if is_checkpoint else path, path if is_checkpoint else self.checkpoint)
        if job is not None:
            job.failed.connect(lambda *_: self.recent_files.forget(path))
        return job

    # ------------------------------------------------------------------------------ drops
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():  # files that are not videos are named when dropped
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        files, refused = split_videos(u.toLocalFile() for u in event.mimeData().urls())
        if refused:
            self.statusBar().showMessage(refusal_message(refused), MESSAGE_MS)
        if files:
            event.acceptProposedAction()
            guarded(self.offer_ingest)(files)

    def offer_ingest(self, files: list[str]) -> None:
        """Ask whether to cut the dropped videos into clips (see :mod:`latentlab.gui.ingest_offer`)."""
        from latentlab.gui.ingest_offer import offer_ingest

        offer_ingest(self, files)

    # ------------------------------------------------------------------------------ layout
    def _restore_layout(self) -> None:
        geometry, state = self.settings.value("geometry"), self.settings.value("window_state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            self.restoreState(state)

    def closeEvent(self, event) -> None:
        """Ask the extensions (unsaved work), save the layout, stop every job and thread, close."""
        if not self._closed and not all(ext.can_close() for ext in self.context.extensions):
            event.ignore()
            return
        if not self._closed:
            self._closed = True
            self.settings.setValue("geometry", self.saveGeometry())
            self.settings.setValue("window_state", self.saveState())
            self.settings.sync()
            self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop every worker (safe to call twice; also wired to ``aboutToQuit``)."""
        for ext in self.context.extensions:
            ext.shutdown()
        self.runner.shutdown()
        self.worker.shutdown()

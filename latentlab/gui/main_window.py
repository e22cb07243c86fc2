"""MainWindow: the latent map in the middle, the clip player and the generate tabs (probe,
interpolation, sliders) in docks, jobs in the status bar; menus for stores, models and samples."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QComboBox, QDockWidget, QFileDialog, QLabel, QMainWindow, QTabWidget

from latentlab.paths import sample_checkpoint_dir
from latentlab.core.explorer_state import ClipField, ExplorerState
from latentlab.gui import session
from latentlab.gui.clip_player import ClipPlayer
from latentlab.gui import extensions
from latentlab.gui.errors import guarded, listen
from latentlab.gui.interpolation_panel import InterpolationPanel
from latentlab.gui.job_status import JobStatus
from latentlab.gui.latent_map import LatentMap
from latentlab.gui.latent_sliders import LatentSliders
from latentlab.gui.probe import ProbePanel
from latentlab.gui.wording import count
from latentlab.gui.workers import DecodeWorker, Job, JobRunner
from latentlab.media.video_formats import refusal_message, split_videos

log = logging.getLogger(__name__)
MAX_RECENT = 8
RECON_ERROR = "reconstruction error"
COMPUTE_SUFFIX = " (compute)"
DOCK_FEATURES = (QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                 | QDockWidget.DockWidgetFeature.DockWidgetClosable)  # closed docks come back from the View menu
MESSAGE_MS = 8000  # how long a status-bar message stays (errors stay until clicked: JobStatus)


@dataclass(frozen=True)
class SampleData:
    """An entry of File → Open sample data: ``store`` and ``checkpoint`` as for :meth:`MainWindow.open`
    (``None``, ``None``: the sprites generated for the bundled model)."""

    title: str
    store: Callable[[], str | None] = lambda: None
    checkpoint: Callable[[], str | None] = lambda: None

    def open(self, window: "MainWindow") -> Job | None:
        return window.open(self.store(), self.checkpoint())


#: File → Open sample data (a sub-menu once there are several).
SAMPLE_DATASETS: list[SampleData] = [
    SampleData("Bouncing sprites"),  # the bundled demo model and the sprites it records
    SampleData("Moving handwritten digits", checkpoint=lambda: str(sample_checkpoint_dir("digits"))),
]


def describe_source(store: str | None, checkpoint: str | None, shown_store: str | None = None,
                    shown_checkpoint: str | None = None) -> str:
    """Words for what an open replaces the view with: "the store clips", "the checkpoint m2", "the sample data"."""
    if store is None and checkpoint is None:
        return "the sample data"
    if store is not None and store != shown_store:
        return f"the store {Path(store).name}"
    if checkpoint is not None and checkpoint != shown_checkpoint:
        return f"the checkpoint {Path(checkpoint).name}"
    return f"{Path(store or checkpoint).name} again"


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
        self._fit_job: Job | None = None
        #: The map a sample dataset is shown on after its first (PCA) map; None keeps PCA
        #: (``explore --projection`` sets it: an explicit choice wins).
        self.sample_map: str | None = "tsne"
        self._raster_job: Job | None = None
        self._closed = False
        self._data_actions: list[QAction] = []
        self.map = LatentMap(self.state, self.worker)
        self.player = ClipPlayer(self.state, self.worker)
        self.probe = ProbePanel(self.state, self.worker)
        self.interpolation = InterpolationPanel(self.state, self.worker, self.runner)
        self.sliders = LatentSliders(self.state, self.worker)
        self.interpolation.said.connect(lambda text: self.statusBar().showMessage(text, MESSAGE_MS))
        self.status = JobStatus(self.runner)
        self.setCentralWidget(self.map)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.probe, "Probe")
        self.tabs.addTab(self.interpolation, "Interpolate")
        self.tabs.addTab(self.sliders, "Sliders")
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
        listen(self, self.state.colour_field_changed, self._sync_colour_combo)
        listen(self, self.state.projection_changed, self._tabulate_inverse)
        listen(self, self.state.interpolation_changed, self._on_interpolation_changed)
        self.resize(1400, 860)
        self.resizeDocks(self.docks, [560, 560], Qt.Orientation.Horizontal)
        self.resizeDocks(self.docks, [380, 480], Qt.Orientation.Vertical)
        self.extensions = extensions.install_all(self)  # curation, teaching, training: see extensions.py
        self._add_dock_toggles()
        self._restore_layout()

    # ------------------------------------------------------------------------------ building
    def _build_toolbar(self) -> None:
        bar = self.addToolBar("Map")
        bar.setObjectName("toolbar_map")
        bar.addWidget(QLabel(" projection "))
        self.projection_combo = QComboBox()
        self.projection_combo.addItems(session.available_projections())
        if "umap" not in session.available_projections():
            self.projection_combo.setToolTip("pca or t-SNE; UMAP needs umap-learn: pip install umap-learn")
        self.projection_combo.currentTextChanged.connect(guarded(self.set_projection))
        bar.addWidget(self.projection_combo)
        bar.addWidget(QLabel("  colour by "))
        self.colour_combo = QComboBox()
        self.colour_combo.setMinimumWidth(120)
        # as wide as its longest entry ("reconstruction error (compute)" was cut to "reconstructio")
        self.colour_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.colour_combo.currentTextChanged.connect(guarded(self._on_colour_chosen))
        bar.addWidget(self.colour_combo)
        bar.addSeparator()
        group = QActionGroup(self)
        for tool, tip in (("pan", "drag to pan, wheel to zoom"), ("box", "drag a box to select"),
                          ("lasso", "draw around clips to select")):
            act = QAction(tool.capitalize(), self, checkable=True, toolTip=f"{tip} (Shift adds, Ctrl removes)")
            act.setChecked(tool == "pan")
            act.triggered.connect(lambda _=False, t=tool: self.map.set_tool(t))
            group.addAction(act)
            bar.addAction(act)
        bar.addSeparator()
        self.needs_data(bar.addAction("Probe to clip", guarded(self._probe_to_current)))

    def _build_menus(self) -> None:
        m = self.file_menu = self.menuBar().addMenu("&File")
        m.addAction("Open &store…", guarded(self._ask_store))
        m.addAction("Open &model…", guarded(self._ask_checkpoint))
        self.recent_menu = m.addMenu("Open &recent")
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
        self._fill_recent_menu()
        v = self.view_menu = self.menuBar().addMenu("&View")
        self.needs_data(v.addAction("Colour by &reconstruction error", guarded(self.compute_reconstruction_error)))
        v.addAction("&Reset zoom", lambda: self.map.view.autoRange(padding=0.05))

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
                return session.open_dataset(store, checkpoint, lambda f, t: ctx.progress(f, text=t), ctx.is_cancelled)
            except session.GeometryMismatch as exc:
                mismatch.append(exc)
                raise

        job = self.load(name, load)
        job.failed.connect(lambda *_: mismatch and guarded(self.offer_ways_forward)(mismatch[0]))
        return job

    def offer_ways_forward(self, exc: "session.GeometryMismatch") -> None:
        """A store the model cannot take (own videos cut at another size): train a model on it from
        the Train dock (filled in and shown), or cut the videos again at the model's size."""
        t, h, w, _c = exc.model
        ingest = f"latentlab ingest VIDEOS -o NEW_STORE --frames {t} --size {w}x{h}"
        self.status.show_error(f"{exc}. Ways forward: train a model on this store (Train dock: Start), "
                               f"or re-ingest at the model's size: {ingest}")
        training = getattr(self, "extensions", {}).get("training")
        if training is not None:
            training.offer_store(exc.store, f"{exc}.\nPress Start to train a model on {Path(exc.store).name}, "
                                            f"or cut the videos again at the model's size:\n{ingest}")

    def open_demo(self) -> Job | None:
        return self.open(None, None)

    def confirm_replace(self, what: str) -> bool:
        """Ask every extension with unsaved work (the project: Save / Discard / Cancel) whether
        ``what`` may replace the dataset shown."""
        exts = getattr(self, "extensions", {}).values()
        return all(getattr(ext, "confirm_replace", lambda _what: True)(what) for ext in exts)

    def load(self, name: str, fn: Callable) -> Job:
        """Run a loader ``fn(ctx) -> session.Loaded`` as a job and show its result."""
        if self._fit_job is not None:
            self._fit_job.cancel()
        job = self.runner.submit(name, fn)
        job.succeeded.connect(guarded(self.show_loaded))
        return job

    def show_loaded(self, loaded: "session.Loaded") -> None:
        """Show a loaded dataset and its first map (on the GUI thread)."""
        self.store_path, self.checkpoint = loaded.store_path or None, loaded.checkpoint or None
        self.state.set_dataset(loaded.dataset)
        self.state.set_projection(loaded.projection, loaded.inverse)
        self.projection_combo.blockSignals(True)
        self.projection_combo.setCurrentText(getattr(loaded.projection, "method", "pca"))
        self.projection_combo.blockSignals(False)
        if loaded.dataset.n_clips:
            self.state.select([0])
            c = np.asarray(loaded.projection.coords)
            centre = np.median(c, axis=0)
            self.state.move_probe(float(centre[0]), float(centre[1]))
        for path in (loaded.store_path, loaded.checkpoint):
            if path:
                self._add_recent(path)
        ds = loaded.dataset
        if ds.codec is None and loaded.checkpoint:  # the map came from cached latents: now the model
            job = self.runner.submit("load model", lambda ctx: session.load_codec(loaded.checkpoint, ds.store))
            job.succeeded.connect(guarded(lambda codec: self.state.dataset is ds and self.state.set_codec(codec)))
        if "cluster" not in ds.fields and ds.n_clips >= 2:
            job = self.runner.submit("clusters", lambda ctx: session.cluster_field(ds))
            job.succeeded.connect(guarded(lambda f: self.state.dataset is ds and self._add_field(f)))
        if loaded.sample and self.sample_map in session.available_projections() \
                and getattr(loaded.projection, "method", "pca") == "pca":
            # The sample data's classes lie in neighbourhoods a PCA plane does not separate: show the
            # t-SNE map, fitted once in the background (then cached), as the default map.
            self.set_projection(self.sample_map)
        self.setWindowTitle(f"latentlab explorer — {loaded.dataset.name} ({loaded.dataset.n_clips:,} clips)")
        model = Path(loaded.checkpoint).name if loaded.checkpoint else "the model"
        self.statusBar().showMessage(f"opened {ds.name}: {count(ds.n_clips, 'clip')} with the model {model}", MESSAGE_MS)

    def _on_dataset_changed(self, dataset) -> None:
        for act in self._data_actions:
            act.setEnabled(dataset is not None)
        if dataset is not None:
            self._pick_telling_field(dataset)
        self.colour_combo.blockSignals(True)
        self.colour_combo.clear()
        if dataset is not None:
            self.colour_combo.addItems(list(dataset.fields))
            if RECON_ERROR not in dataset.fields:
                self.colour_combo.addItem(RECON_ERROR + COMPUTE_SUFFIX)  # computed on demand (one decode per clip)
            self.colour_combo.setCurrentText(self.state.colour_field)
        self.colour_combo.blockSignals(False)

    def _pick_telling_field(self, dataset) -> None:
        """Colour by a field that tells clips apart: the new dataset may lack the field chosen for the
        last one, or hold one value of it (one source video), which would draw the map in one colour."""
        field = dataset.fields.get(self.state.colour_field)
        values = None if field is None else np.asarray(field.values)
        if values is not None and values.size and not np.all(values == values.flat[0]):
            return
        for name, other in dataset.fields.items():
            v = np.asarray(other.values)
            if v.size and not np.all(v == v.flat[0]):
                if name != self.state.colour_field:
                    self.state.set_colour_field(name)
                return

    def _on_colour_chosen(self, text: str) -> None:
        if text.endswith(COMPUTE_SUFFIX):
            self._sync_colour_combo(self.state.colour_field)  # until the job has the values
            self.compute_reconstruction_error()
        elif text:
            self.state.set_colour_field(text)

    def _sync_colour_combo(self, name: str) -> None:
        self.colour_combo.blockSignals(True)
        pending = self.colour_combo.findText(name + COMPUTE_SUFFIX)
        if pending >= 0 and self.state.dataset is not None and name in self.state.dataset.fields:
            self.colour_combo.removeItem(pending)
        if self.colour_combo.findText(name) < 0:
            self.colour_combo.addItem(name)
        self.colour_combo.setCurrentText(name)
        self.colour_combo.blockSignals(False)

    def set_projection(self, method: str) -> Job | None:
        """Fit ``method`` in the background (or reuse the map saved for this store and model); the
        map animates through the intermediate layouts, and goes back to the map it showed if the
        fit is cancelled or fails."""
        ds = self.state.dataset
        if ds is None:
            return None
        if self._fit_job is not None:
            self._fit_job.cancel()
        t0 = time.perf_counter()

        def fit(ctx):
            return session.map_for(ds, method, progress=lambda f, c=None: ctx.progress(f, c), cancel=ctx.is_cancelled)

        def previewed(_f, coords, _t) -> None:
            if coords is not None and job is self._fit_job and self.state.dataset is ds:
                self.state.preview_layout(coords)

        def fitted(result) -> None:
            if self.state.dataset is not ds:
                return
            projection, inverse, reused = result
            self.state.set_projection(projection, inverse)
            self._sync_projection_combo()  # also when the fit was asked for by code (explore --projection)
            shown = getattr(projection, "method", method)
            how = "reused the saved map" if reused else f"fitted in {time.perf_counter() - t0:.1f} s"
            note = f" ({projection.message})" if getattr(projection, "message", "") else ""
            self.statusBar().showMessage(f"{shown} map of {ds.n_clips:,} clips: {how}{note}", MESSAGE_MS)

        def ended(how: str) -> None:
            if job is not self._fit_job:
                return  # a newer fit replaced this one: the map and the box follow that one
            self._fit_job = None
            if how and self.state.dataset is ds:
                self.map.show_projection()  # the map the state holds, not the half-fitted layout
                self._sync_projection_combo()
                self.statusBar().showMessage(f"{method} {how}: the {self._shown_method()} map is back", MESSAGE_MS)

        job = self.runner.submit(f"fit {method}", fit)
        job.progressed.connect(previewed)
        job.succeeded.connect(guarded(fitted))
        job.succeeded.connect(lambda *_: ended(""))
        job.failed.connect(lambda *_: ended("failed"))
        job.cancelled.connect(lambda: ended("cancelled"))
        self._fit_job = job
        return job

    def fitting(self) -> bool:
        """Is a map being fitted (the screenshot of ``explore --projection`` waits for it)?"""
        return self._fit_job is not None

    def _shown_method(self) -> str:
        return getattr(self.state.projection, "method", "pca")

    def _tabulate_inverse(self, _projection=None) -> Job | None:
        """Tabulate the new map's inverse on a grid in the background (core.inverse_raster): each
        probe move then costs a ~0.03 ms lookup instead of a ~0.1 ms local fit."""
        if self._raster_job is not None:
            self._raster_job.cancel()
            self._raster_job = None
        inverse = self.state.inverse
        if inverse is None or not hasattr(inverse, "build_raster"):
            return None
        self._raster_job = self.runner.submit(
            "tabulate the map for the probe",
            lambda ctx: inverse.build_raster(lambda f: ctx.progress(f), ctx.is_cancelled))
        return self._raster_job

    def _sync_projection_combo(self) -> None:
        """Show the method of the map actually on screen (after a fit failed or was cancelled)."""
        method = self._shown_method()
        if self.projection_combo.findText(method) >= 0:
            self.projection_combo.blockSignals(True)
            self.projection_combo.setCurrentText(method)
            self.projection_combo.blockSignals(False)

    def compute_reconstruction_error(self) -> Job | None:
        ds = self.state.dataset
        if ds is None:
            return None
        job = self.runner.submit("reconstruction error", lambda ctx: session.reconstruction_errors(
            ds, lambda f, t: ctx.progress(f, text=t), ctx.is_cancelled))
        job.succeeded.connect(guarded(lambda e: self.state.dataset is ds and self._add_error_field(e)))
        return job

    def _add_field(self, clip_field: ClipField) -> None:
        self.state.add_field(clip_field)
        if self.colour_combo.findText(clip_field.name) < 0:
            self.colour_combo.addItem(clip_field.name)

    def _add_error_field(self, errors: np.ndarray) -> None:
        self.state.add_field(ClipField(RECON_ERROR, errors))
        self._sync_colour_combo(RECON_ERROR)
        self.state.set_colour_field(RECON_ERROR)

    def _on_interpolation_changed(self, ends) -> None:
        """Say what the map's right-click menu did; with both ends, show the Interpolate tab."""
        a, b, method = ends
        shown = getattr(self, "_interp_shown", (-1, -1))
        self._interp_shown = (a, b)
        if (a, b) == shown or self.state.dataset is None:
            return
        if a >= 0 and b >= 0:
            dock, teach = self.findChild(QDockWidget, "dock_generate"), self.findChild(QDockWidget, "dock_teach")
            teaching = teach is not None and teach.isVisible() and not teach.visibleRegion().isEmpty()
            if dock is not None and not teaching:  # the lerp-vs-slerp panel shows this pair too: leave it up
                dock.show()
                dock.raise_()
            self.tabs.setCurrentWidget(self.interpolation)
            self.statusBar().showMessage(f"interpolating clip {a} → clip {b} ({method}): drag the slider in "
                                         "the Interpolate tab, Export writes the video", MESSAGE_MS)
        elif a >= 0:
            self.statusBar().showMessage(f"A = clip {a}; now right-click another clip: Interpolate to here (B)",
                                         MESSAGE_MS)
        elif b >= 0:
            self.statusBar().showMessage(f"B = clip {b}; now right-click another clip: Interpolate from here (A)",
                                         MESSAGE_MS)

    def _probe_to_current(self) -> None:
        c = self.state.coords
        if c is not None and self.state.current >= 0:
            self.state.move_probe(*map(float, c[self.state.current]))

    # ------------------------------------------------------------------------------ dialogs
    def _ask_store(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open clip store")
        if path:
            self.open(path, self.checkpoint)

    def _ask_checkpoint(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self, "Open model folder (latentlab checkpoint or diffusers autoencoder)")
        if path:
            self.open(self.store_path, path)

    def _ask_screenshot(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save screenshot", "explorer.png", "PNG (*.png)")
        if path:
            if self.grab().save(path):
                self.statusBar().showMessage(f"screenshot saved to {path}", MESSAGE_MS)
            else:
                self.status.show_error(f"the screenshot could not be written to {path}")

    def _add_recent(self, path: str) -> None:
        items = [p for p in self.recent() if p != path]
        self.settings.setValue("recent", [path, *items][:MAX_RECENT])
        self._fill_recent_menu()

    def recent(self) -> list[str]:
        value = self.settings.value("recent", [])
        return [value] if isinstance(value, str) else list(value or [])

    def _forget_recent(self, path: str) -> None:
        self.settings.setValue("recent", [p for p in self.recent() if p != path])
        self._fill_recent_menu()

    def _fill_recent_menu(self) -> None:
        """Stores and checkpoints in sections of their own; entries gone from disk are left out."""
        self.recent_menu.clear()
        paths = [p for p in self.recent() if Path(p).exists()]
        checkpoints = [p for p in paths if (Path(p) / "config.json").is_file()]
        stores = [p for p in paths if p not in checkpoints]
        for title, group, is_ckpt in (("Stores", stores, False), ("Checkpoints", checkpoints, True)):
            if group:
                self.recent_menu.addSection(title)
            for path in group:
                act = self.recent_menu.addAction(path, guarded(lambda p=path, c=is_ckpt: self.open_recent(p, c)))
                act.setToolTip(path)
        self.recent_menu.setEnabled(bool(paths))

    def open_recent(self, path: str, is_checkpoint: bool) -> Job | None:
        """Open a recent store (with the model shown) or checkpoint (on the store shown); an entry
        that fails to open leaves the menu."""
        job = self.open(self.store_path if is_checkpoint else path, path if is_checkpoint else self.checkpoint)
        if job is not None:
            job.failed.connect(lambda *_: self._forget_recent(path))
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
        if not self._closed and not all(getattr(ext, "can_close", lambda: True)() for ext in self.extensions.values()):
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
        for ext in getattr(self, "extensions", {}).values():
            getattr(ext, "shutdown", lambda: None)()
        self.runner.shutdown()
        self.worker.shutdown()

"""Start-up of the explorer: QApplication, dark theme, excepthooks, the window, scripted screenshots."""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import pyqtgraph as pg  # noqa: E402
from PySide6.QtCore import QSettings, QTimer  # noqa: E402  (PySide6 before pyqtgraph)
from PySide6.QtGui import QColor, QPalette  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from latentlab.gui.errors import install_excepthooks  # noqa: E402
from latentlab.gui.gc_policy import collect_on_gui_thread  # noqa: E402
from latentlab.gui.resources import stylesheet  # noqa: E402

log = logging.getLogger(__name__)
SCREENSHOT_SIZE = (1440, 900)


def make_app(argv: list[str] | None = None) -> QApplication:
    """The QApplication (created once), in the dark theme that matches pyqtgraph's plots."""
    app = QApplication.instance() or QApplication(argv or [sys.argv[0]])
    app.setApplicationName("latentlab")
    app.setOrganizationName("latentlab")
    app.setStyle("Fusion")
    pal = QPalette()
    for role, rgb in (
        (QPalette.ColorRole.Window, (27, 29, 35)),
        (QPalette.ColorRole.WindowText, (215, 218, 224)),
        (QPalette.ColorRole.Base, (20, 22, 28)),
        (QPalette.ColorRole.Text, (215, 218, 224)),
        (QPalette.ColorRole.Button, (43, 47, 56)),
        (QPalette.ColorRole.ButtonText, (215, 218, 224)),
        (QPalette.ColorRole.Highlight, (58, 95, 143)),
        (QPalette.ColorRole.ToolTipBase, (36, 39, 49)),
        (QPalette.ColorRole.ToolTipText, (215, 218, 224)),
    ):
        pal.setColor(role, QColor(*rgb))
    app.setPalette(pal)
    app.setStyleSheet(stylesheet("dark"))
    pg.setConfigOptions(antialias=False, background=(8, 9, 12), foreground=(200, 204, 212))
    collect_on_gui_thread(app)  # garbage cycles holding Qt objects must never be freed on a worker
    return app


def ready_for_screenshot(window) -> bool:
    """True once the map, the player, the probe and the sliders all show their first frames."""
    s = window.state
    return (
        s.dataset is not None
        and s.projection is not None
        and s.dataset.codec is not None
        and window.player.index == s.current
        and window.probe.result is not None
        and window.probe.nearest.frames is not None
        and window.sliders.view.frames is not None
    )


def run_explorer(
    store: str | None = None,
    checkpoint: str | None = None,
    projection: str | None = None,
    screenshot: str | None = None,
    settings: QSettings | None = None,
    timeout_s: float = 600.0,
    colour: str | None = None,
    project: str | None = None,
) -> int:
    """Open the explorer (``None`` store and checkpoint: the bundled demo); return the exit code.

    With ``project`` (a ``.latentlab`` file) the project is opened instead of ``store``/``checkpoint``.

    With ``screenshot``, the window renders its data, saves a PNG there and exits (code 1 if the data
    could not be loaded within ``timeout_s``).
    """
    from latentlab.app.maps import available_projections
    from latentlab.gui.main_window import MainWindow

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = make_app()
    install_excepthooks()
    window = MainWindow(settings=settings)
    app.aboutToQuit.connect(window.shutdown)
    outcome = {"code": 0}
    if screenshot:
        window.status.dialogs_enabled = False
        window.resize(*SCREENSHOT_SIZE)
    window.show()
    projects = window.context.project
    if project:
        job = projects.open_project(project)
        if job is None:  # the project could not be opened: the window has said why
            print(
                f"latentlab explore: error: could not open the project {project}: {window.status.last_error}",
                file=sys.stderr,
            )
            window.shutdown()
            return 1
    else:  # after a crash, offer the project that was open (with its autosave) instead of the demo
        job = (None if store or checkpoint or screenshot else projects.offer_recovery()) or window.open(
            store, checkpoint
        )

    def failed(message: str, _tb: str) -> None:
        print(f"latentlab explore: error: could not open the data: {message}", file=sys.stderr)
        if screenshot:
            outcome["code"] = 1
            window.close()
            app.quit()

    job.failed.connect(failed)
    if projection is not None:
        window.sample_map = None  # an explicit --projection wins over the sample data's t-SNE map
    if projection not in (None, "pca") and projection not in available_projections():
        print(
            f"latentlab: the {projection} projection is not installed (pip install umap-learn); showing PCA",
            file=sys.stderr,
        )
    elif projection not in (None, "pca"):
        job.succeeded.connect(lambda *_: window.set_projection(projection))
    if colour:

        def apply_colour(*_) -> None:
            fields = window.state.dataset.fields
            if colour in fields:
                window.colour_combo.setCurrentText(colour)
                return
            message = f"no per-clip field {colour!r}; known: {', '.join(fields)}"
            print(f"latentlab explore: error: --colour: {message}", file=sys.stderr)
            window.status.show_error(message)
            if screenshot:  # a scripted run: refuse instead of saving a picture in the wrong colours
                outcome["code"] = 1
                window.close()
                app.quit()

        job.succeeded.connect(apply_colour)
    if screenshot:
        _arm_screenshot(app, window, Path(screenshot), timeout_s, outcome)
    code = app.exec()
    window.shutdown()
    return outcome["code"] or code


def _launch_seconds() -> str:
    """Seconds since ``LATENTLAB_LAUNCH_T0`` (a ``time.time()`` set by a benchmark before launching us)."""
    t0 = os.environ.get("LATENTLAB_LAUNCH_T0")
    return f"{time.time() - float(t0):.2f} s after launch" if t0 else "launch time unknown"


def _arm_screenshot(app, window, path: Path, timeout_s: float, outcome: dict) -> None:
    t0 = time.perf_counter()
    timer = QTimer(window)
    map_seen = [False]

    def poll() -> None:
        if not map_seen[0] and window.state.projection is not None and window.map.groups:
            map_seen[0] = True  # the points are drawn; the 50 ms poll is the resolution of this figure
            window.map.plot.viewport().repaint()
            print(
                f"latentlab: map painted {time.perf_counter() - t0:.2f} s after start-up ({_launch_seconds()})",
                flush=True,
            )
        if ready_for_screenshot(window) and not window.fitting():  # --projection tsne: the finished map
            timer.stop()
            # Let the first frames paint, then grab the whole window (docks and status bar included).
            QTimer.singleShot(300, lambda: save())
        elif time.perf_counter() - t0 > timeout_s:
            timer.stop()
            print(f"latentlab: the data was not ready after {timeout_s:.0f} s; no screenshot", file=sys.stderr)
            outcome["code"] = 1
            window.close()
            app.quit()

    def save() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        ok = window.grab().save(str(path))
        print(
            f"latentlab: screenshot {'saved to' if ok else 'could not be written to'} {path} "
            f"({time.perf_counter() - t0:.2f} s after start-up; {_launch_seconds()})",
            flush=True,
        )
        outcome["code"] = 0 if ok else 1
        window.close()
        app.quit()

    timer.timeout.connect(poll)
    timer.start(50)

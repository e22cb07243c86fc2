"""GUI test fixtures: isolated QSettings, a decode worker and job runner that are always joined."""

from __future__ import annotations

import numpy as np
import pytest

from latentlab.app import loading
from latentlab.media.demo_data import write_demo_store
from tests.gui.fakes import SPEC, FakeCodec, fake_open_dataset, tiny_loaded


@pytest.fixture(autouse=True, scope="session")
def _every_mouse_move_counts():
    """pyqtgraph drops mouse moves closer than 10 ms; synthetic drags come faster than that."""
    import pyqtgraph as pg

    pg.setConfigOption("mouseRateLimit", -1)


@pytest.fixture(autouse=True, scope="package")
def _garbage_collected_on_the_gui_thread(qapp):
    """As in the app (gui/gc_policy.py): a worker that imports torch must not collect a garbage cycle
    holding Qt objects (it deadlocked the suite). Automatic collection is back after the GUI tests."""
    from latentlab.gui.gc_policy import collect_on_gui_thread, restore_automatic_gc

    collect_on_gui_thread(qapp)
    yield
    restore_automatic_gc(qapp)


@pytest.fixture
def settings(tmp_path):
    from PySide6.QtCore import QSettings

    s = QSettings(str(tmp_path / "explorer.ini"), QSettings.Format.IniFormat)
    yield s
    s.sync()


@pytest.fixture
def worker(qtbot):
    from latentlab.gui.workers import DecodeWorker

    w = DecodeWorker()
    yield w
    w.shutdown()


@pytest.fixture
def runner(qtbot):
    from latentlab.gui.workers import JobRunner

    r = JobRunner()
    yield r
    r.shutdown()


@pytest.fixture
def codec():
    return FakeCodec(latent_dim=6)


@pytest.fixture
def loaded(codec):
    return tiny_loaded(codec=codec)


@pytest.fixture
def state(loaded):
    from latentlab.core.explorer_state import ExplorerState

    s = ExplorerState()
    s.set_dataset(loaded.dataset)
    s.set_projection(loaded.projection, loaded.inverse)
    return s


@pytest.fixture
def open_window(qtbot, settings):
    """A factory: ``open_window(loaded)`` is a main window showing ``loaded`` (closed after the test)."""
    from latentlab.gui.errors import hub
    from latentlab.gui.main_window import MainWindow

    made = []

    def open_(loaded):
        hub()
        w = MainWindow(settings=settings)
        w.status.dialogs_enabled = False
        qtbot.addWidget(w)
        w.resize(1100, 700)
        w.show()
        w.show_loaded(loaded)
        made.append(w)
        return w

    yield open_
    for w in made:
        w.close()


@pytest.fixture
def window(open_window, loaded):
    """The main window showing the tiny fake dataset."""
    return open_window(loaded)


def frames_of(codec: FakeCodec, z: np.ndarray) -> np.ndarray:
    return codec.decode(np.asarray(z, np.float32).reshape(1, -1))[0]


@pytest.fixture
def folder(tmp_path):
    """A project folder holding its clip store and model: ``(folder, store, checkpoint)``."""
    root = tmp_path / "work"
    write_demo_store(root / "data" / "clips", SPEC)
    ckpt = root / "model"
    ckpt.mkdir()
    (ckpt / "config.json").write_text("{}", encoding="utf-8")
    return root, root / "data" / "clips", ckpt


@pytest.fixture
def make_window(qtbot, tmp_path, monkeypatch):
    from latentlab.gui.errors import hub
    from latentlab.gui.main_window import MainWindow

    monkeypatch.setattr(loading, "open_dataset", fake_open_dataset)
    hub()
    made = []

    def make(settings_name: str | None = None):
        from PySide6.QtCore import QSettings

        ini = tmp_path / (settings_name or f"s{len(made)}.ini")
        w = MainWindow(settings=QSettings(str(ini), QSettings.Format.IniFormat))
        w.status.dialogs_enabled = False
        qtbot.addWidget(w)
        w.show()
        made.append(w)
        return w, w.context.project

    yield make
    for w in made:
        w.close()

"""The window as a whole: background projections, errors, clean shutdown, settings, drops."""

from __future__ import annotations

import sys
import threading

import numpy as np
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from latentlab.gui import ingest_offer
from latentlab.gui.errors import install_excepthooks
from latentlab.gui.main_window import MainWindow


def test_tsne_fits_in_the_background_and_animates_in(window, qtbot, monkeypatch):
    """The window's side of a slow fit (t-SNE takes seconds even on 240 clips on a busy 2-core VM):
    a stand-in fit reports intermediate layouts like openTSNE does, then a real projection."""
    from latentlab.app import maps
    from latentlab.core.inverse import make_inverse
    from latentlab.core.projection import fit_projection

    rng = np.random.default_rng(0)
    final = rng.normal(size=(window.state.dataset.n_clips, 2)).astype(np.float32)

    def fake_fit(mu, method, progress=None, cancel=None, seed=0):
        assert method == "tsne" and threading.current_thread() is not threading.main_thread()
        for k in range(1, 4):
            progress(k / 4, final * k / 4)
        projection = fit_projection(mu, "precomputed", coords=final)
        return projection, make_inverse(mu, projection)

    monkeypatch.setattr(maps, "fit_map", fake_fit)
    qtbot.waitUntil(lambda: window.player.index == window.state.current, timeout=5000)
    previews = []
    window.state.layout_preview.connect(lambda c: previews.append(c))
    window.projection_combo.setCurrentText("tsne")
    assert window.state.projection.method == "pca"  # the PCA map stays until t-SNE is done
    qtbot.waitUntil(lambda: window.state.projection.method != "pca", timeout=10000)
    assert window.state.projection.method == "precomputed"
    assert len(previews) == 3 and all(p.shape == (window.state.dataset.n_clips, 2) for p in previews)
    np.testing.assert_allclose(window.map.coords, window.state.projection.coords)
    # The probe now goes through the t-SNE map's inverse.
    with qtbot.waitSignal(window.probe.rendered, timeout=5000):
        window.state.move_probe(*map(float, window.state.coords[3]))
    assert window.probe.result.nearest == 3
    # ... and, once the new map's inverse is tabulated in the background, through its raster.
    inverse = window.state.inverse
    qtbot.waitUntil(lambda: inverse.raster is not None, timeout=10000)
    with qtbot.waitSignal(window.probe.rendered, timeout=5000):
        window.state.move_probe(*map(float, window.state.coords[5]))
    assert window.probe.result.nearest == 5
    np.testing.assert_allclose(window.probe.result.z, window.state.dataset.mu[5], atol=1e-5)


def test_closing_during_a_running_job_is_clean(qtbot, settings, loaded):
    w = MainWindow(settings=settings)
    qtbot.addWidget(w)
    w.show()
    w.show_loaded(loaded)
    started = threading.Event()

    def endless(ctx):
        started.set()
        while True:
            ctx.progress(0.5)
            ctx._event.wait(0.005)

    job = w.runner.submit("endless", endless)
    loaded.dataset.codec.gate = threading.Event()  # and a decode stuck in the worker
    w.state.move_probe(0.0, 0.0)
    qtbot.waitUntil(started.is_set, timeout=5000)
    assert w.status.cancel.isVisible()
    loaded.dataset.codec.gate.set()
    w.close()
    assert job.thread.isFinished() and not w.runner.jobs
    assert w.worker._thread.isFinished()


def test_cancel_button_stops_a_job(window, qtbot):
    def endless(ctx):
        while True:
            ctx.progress(0.1, text="spinning")
            ctx._event.wait(0.005)

    job = window.runner.submit("endless", endless)
    with qtbot.waitSignal(job.cancelled, timeout=5000):
        window.status.cancel.click()
    qtbot.waitUntil(lambda: not window.runner.jobs, timeout=5000)
    assert not window.status.cancel.isVisible()


def test_a_decoder_exception_is_shown_and_the_app_stays_usable(window, qtbot, codec):
    qtbot.waitUntil(lambda: window.probe.result is not None, timeout=5000)
    codec.fail = True
    window.state.move_probe(0.1, 0.2)
    qtbot.waitUntil(lambda: "exploded" in window.status.last_error, timeout=5000)
    assert "exploded" in window.status.error.text()
    codec.fail = False
    with qtbot.waitSignal(window.probe.rendered, timeout=5000):
        window.state.move_probe(0.3, 0.4)
    assert window.probe.result.pos == (0.3, 0.4)


def test_a_failing_load_job_is_reported(window, qtbot):
    def broken(ctx):
        raise OSError("the disk is on fire")

    job = window.load("open broken", broken)
    with qtbot.waitSignal(job.failed, timeout=5000):
        pass
    qtbot.waitUntil(lambda: "disk is on fire" in window.status.last_error, timeout=5000)
    assert window.state.dataset is not None  # the old data is still shown


def test_excepthooks_route_errors_to_the_window(window, qtbot, monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    install_excepthooks()
    try:
        raise ValueError("hook me")
    except ValueError:
        sys.excepthook(*sys.exc_info())
    assert "hook me" in window.status.last_error
    t = threading.Thread(target=lambda: 1 / 0, name="helper")
    t.start()
    t.join()
    qtbot.waitUntil(lambda: "ZeroDivisionError" in window.status.last_error, timeout=5000)


def test_slot_errors_are_caught(window, qtbot):
    window.state.select([0])
    window.state.dataset.fields.pop("KL")
    window.colour_combo.setCurrentText("KL")  # no such field any more: KeyError inside a slot
    assert "KL" in window.status.last_error


def test_layout_and_recent_files_are_remembered(qtbot, settings, loaded, tmp_path):
    w = MainWindow(settings=settings)
    qtbot.addWidget(w)
    w.show()
    loaded.store_path = str(tmp_path / "store-a")
    (tmp_path / "store-a").mkdir()
    w.show_loaded(loaded)
    w.resize(700, 520)  # inside the 800x600 offscreen screen: restoreGeometry keeps windows on screen
    size = w.size()
    w.close()
    assert settings.value("recent") in ([loaded.store_path], loaded.store_path)
    w2 = MainWindow(settings=settings)
    qtbot.addWidget(w2)
    w2.show()
    assert w2.recent() == [loaded.store_path]
    assert [a.text() for a in w2.recent_menu.actions()] == ["Stores", loaded.store_path]
    assert w2.size() == size
    w2.close()


def test_open_recent_splits_stores_and_checkpoints_and_drops_failures(window, qtbot, tmp_path, monkeypatch):
    from latentlab.app import loading

    store, ckpt, gone = tmp_path / "clips", tmp_path / "model", tmp_path / "deleted"
    store.mkdir()
    ckpt.mkdir()
    (ckpt / "config.json").write_text("{}", encoding="utf-8")
    window.settings.setValue("recent", [str(store), str(ckpt), str(gone)])
    window._fill_recent_menu()
    texts = [a.text() for a in window.recent_menu.actions()]
    assert texts == ["Stores", str(store), "Checkpoints", str(ckpt)]  # the deleted folder is not offered

    def refuse(*_a, **_k):
        raise loading.SessionError("not a clip store")

    monkeypatch.setattr(loading, "open_dataset", refuse)
    entry = next(a for a in window.recent_menu.actions() if a.text() == str(store))
    entry.trigger()
    qtbot.waitUntil(lambda: str(store) not in window.recent(), timeout=5000)
    assert "not a clip store" in window.status.last_error
    assert [a.text() for a in window.recent_menu.actions()] == ["Checkpoints", str(ckpt)]


def test_reconstruction_error_becomes_a_colour_field(window, qtbot):
    before = window.state.colour_field
    window.colour_combo.setCurrentText("reconstruction error (compute)")
    assert window.state.colour_field == before and window.runner.jobs  # computing in the background
    qtbot.waitUntil(lambda: window.state.colour_field == "reconstruction error", timeout=10000)
    assert window.colour_combo.findText("reconstruction error (compute)") < 0
    errs = window.state.dataset.fields["reconstruction error"].values
    assert errs.shape == (window.state.dataset.n_clips,) and np.all(errs >= 0)
    assert window.colour_combo.currentText() == "reconstruction error"


def test_dropping_videos_offers_to_ingest_them(window, qtbot, monkeypatch, tmp_path):
    asked = []
    monkeypatch.setattr(ingest_offer, "ask", lambda parent, text: asked.append(text) or False)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "holiday.mp4")), QUrl.fromLocalFile(str(tmp_path / "notes.txt"))])
    pos, none = QPointF(10, 10), (Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(pos.toPoint(), Qt.DropAction.CopyAction, mime, *none)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    window.dropEvent(QDropEvent(pos, Qt.DropAction.CopyAction, mime, *none))  # Qt routes a real drop here
    assert len(asked) == 1, window.status.last_error
    assert "holiday.mp4" in asked[0] and "notes.txt" not in asked[0]
    assert window.statusBar().currentMessage().startswith("not a video, left out: notes.txt")  # said, not ignored
    assert "ingested" in asked[0]  # the fake dataset has no video store: a store of its own
    assert not [job for job in window.runner.jobs if "ingest" in job.name]  # declined: nothing started


def test_messages_expire_errors_stay_until_clicked_with_details(window, qtbot):
    from latentlab.gui import job_status
    from latentlab.gui.errors import report_error

    assert window.statusBar().currentMessage().startswith("opened tiny: 240 clips")
    shown = window.status.message  # the job strip covers where QStatusBar draws messages: it shows them
    assert shown.isVisible() and shown.width() > 300 and shown.full == window.statusBar().currentMessage()
    report_error("the decoder exploded", "Traceback (most recent call last): ...")
    assert window.status.error.text() == "the decoder exploded"
    window.runner.submit("a long job", lambda ctx: 42)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("a long job: done in"), timeout=5000)
    assert window.status.error.text() == "the decoder exploded"  # other actions do not hide it
    qtbot.mouseClick(window.status.error, Qt.MouseButton.LeftButton)
    assert window.status.error.text() == "" and not window.status.last_error
    box = window.status.details
    assert box.text() == "the decoder exploded" and "Traceback" in box.detailedText()
    # a message expires; the job strip sets the same time for every message
    assert job_status.MESSAGE_MS <= 10000


def test_a_cancelled_job_says_so(window, qtbot):
    job = window.runner.submit(
        "endless", lambda ctx: [ctx.progress(0.1) or ctx._event.wait(0.01) for _ in iter(int, 1)]
    )
    job.cancel()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "endless: cancelled", timeout=5000)


def test_colour_by_moves_off_a_field_the_new_data_lacks_or_cannot_tell_apart(window, qtbot):
    from latentlab.core.explorer_state import ClipField
    from tests.gui.fakes import tiny_loaded

    window.state.set_colour_field("KL")
    other = tiny_loaded(n=50)
    other.dataset.fields = {
        "source": ClipField("source", np.zeros(50), ("one.mp4",)),
        "cluster": ClipField("cluster", np.arange(50) % 3, ("a", "b", "c")),
    }
    window.show_loaded(other)
    assert window.state.colour_field == "cluster" and window.colour_combo.currentText() == "cluster"


def test_interpolation_ends_are_confirmed_and_b_opens_the_tab(window, qtbot):
    window.tabs.setCurrentWidget(window.probe)
    window.state.set_interpolation(a=3)
    assert "A = clip 3" in window.statusBar().currentMessage()
    assert window.tabs.currentWidget() is window.probe
    window.state.set_interpolation(b=7)
    assert "interpolating clip 3 → clip 7" in window.statusBar().currentMessage()
    assert window.tabs.currentWidget() is window.interpolation


def test_the_progress_label_does_not_repeat_the_job_name(window, qtbot):
    texts = []
    job = window.compute_reconstruction_error()
    job.progressed.connect(lambda *_: texts.append(window.status.text.text()))
    qtbot.waitUntil(lambda: window.state.colour_field == "reconstruction error", timeout=10000)
    assert texts and all(t.count("reconstruction error") == 1 for t in texts), texts
    assert texts[-1] == "reconstruction error: 240/240 clips decoded"


def test_sample_datasets_are_a_list_a_second_one_makes_a_submenu(qtbot, settings, monkeypatch):
    from latentlab.gui import main_window
    from latentlab.gui.sample_data import SampleData

    opened = []
    monkeypatch.setattr(main_window.MainWindow, "open", lambda self, store, ckpt: opened.append((store, ckpt)))
    monkeypatch.setattr(
        main_window,
        "SAMPLE_DATASETS",
        [SampleData("Sprites"), SampleData("Digits", lambda: "/d/store", lambda: "/d/model")],
    )
    w = MainWindow(settings=settings)
    qtbot.addWidget(w)
    sub = next(a.menu() for a in w.file_menu.actions() if a.text() == "Open &sample data")
    for act in sub.actions():
        act.trigger()
    assert [a.text() for a in sub.actions()] == ["Sprites", "Digits"]
    assert opened == [(None, None), ("/d/store", "/d/model")]
    w.close()

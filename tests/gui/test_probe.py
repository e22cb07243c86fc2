"""The probe: drag it on the map, the decoder renders the inverse-projected latent, latest wins."""

from __future__ import annotations

import threading

import numpy as np

from tests.gui import mouse
from tests.gui.conftest import frames_of


def _expected(window, codec):
    x, y = window.state.probe
    res = window.state.inverse.invert(np.array([[x, y]]))
    return frames_of(codec, res.z[0]), res


def _start(window, qtbot):
    """The window settled: a first probe frame shown, and the map's inverse tabulated (the probe then
    answers from the raster, as the test's own ``invert`` does; a raster finished mid-test would
    change the reliability under it)."""
    qtbot.waitUntil(lambda: window.probe.result is not None, timeout=5000)
    qtbot.waitUntil(lambda: not [j for j in window.runner.jobs if j.name.startswith("tabulate")], timeout=10000)
    assert window.state.inverse.raster is not None
    return window.map, window.map.probe.pos()


def test_dragging_the_probe_decodes_the_final_position(window, qtbot, codec):
    m, p0 = _start(window, qtbot)
    c = window.state.coords
    target = c[100]
    path = [(p0.x(), p0.y())] + [tuple(p0.x() + t * (target - [p0.x(), p0.y()])) for t in np.linspace(0.1, 1, 12)]
    last_px = mouse.to_viewport(m, *path[-1])
    mouse.drag(m, path)
    final = window.state.probe
    here = mouse.to_viewport(m, *final)
    assert abs(here.x() - last_px.x()) < 3 and abs(here.y() - last_px.y()) < 3  # the marker followed the mouse
    qtbot.waitUntil(lambda: window.probe.result.pos == final, timeout=5000)
    expected, res = _expected(window, codec)
    np.testing.assert_array_equal(window.probe.decoded.frames, expected)
    assert window.probe.result.nearest == int(res.nearest[0])
    qtbot.waitUntil(lambda: window.probe.nearest.tag == int(res.nearest[0]), timeout=5000)
    np.testing.assert_array_equal(window.probe.nearest.frames, window.state.dataset.read_clips([res.nearest[0]])[0])
    assert window.probe.reliability.value() == int(round(100 * float(res.reliability[0])))
    assert f"nearest clip {int(res.nearest[0])}" in window.probe.info.text()


def test_a_flood_of_500_moves_ends_on_the_last_frame_with_no_backlog(window, qtbot, codec):
    m, p0 = _start(window, qtbot)
    c = window.state.coords
    lo, hi = c.min(0), c.max(0)
    t = np.linspace(0, 4 * np.pi, 500)
    path = [(p0.x(), p0.y())] + [
        tuple(lo + (hi - lo) * (0.5 + 0.4 * np.array([np.cos(a), np.sin(1.3 * a)]))) for a in t
    ]
    codec.gate = threading.Event()  # hold the decoder busy while the moves pour in
    stats0 = dict(window.worker.stats)
    mouse.drag(m, path)
    codec.gate.set()
    final = window.state.probe
    qtbot.waitUntil(lambda: window.probe.result.pos == final, timeout=10000)
    qtbot.waitUntil(lambda: window.worker.pending == 0, timeout=5000)
    requested = window.worker.stats["requested"] - stats0["requested"]
    computed = window.worker.stats["computed"] - stats0["computed"]
    assert requested >= 490 and computed <= 10  # stale requests were replaced, never decoded
    np.testing.assert_array_equal(window.probe.decoded.frames, _expected(window, codec)[0])
    qtbot.wait(50)  # nothing late may overwrite the final frame
    assert window.probe.result.pos == final


def test_clicking_the_nearest_clip_plays_it(window, qtbot):
    _start(window, qtbot)
    nearest = window.probe.result.nearest
    qtbot.mouseClick(window.probe.nearest, __import__("PySide6.QtCore").QtCore.Qt.MouseButton.LeftButton)
    assert window.state.current == nearest


def test_a_longer_probe_line_does_not_resize_the_map(window, qtbot):
    """The probe's line grows and shrinks with its numbers while dragging; its width must not push the
    docks, or the map resizes mid-drag and re-renders every point (50-90 ms stalls at 100k)."""
    m, _ = _start(window, qtbot)
    qtbot.waitUntil(lambda: not m.raster._timer.isActive(), timeout=5000)
    size, renders = m.view.size(), m.raster.renders
    window.probe.info.setText("probe (-0.000123456, 0.000654321) · nearest clip 1234567 " + "(far away) " * 30)
    qtbot.wait(50)  # let any layout pass and scheduled re-render run (a bounded event-loop turn, no sleep)
    assert m.view.size() == size
    assert m.raster.renders == renders


def test_a_frame_decoded_for_the_previous_dataset_is_dropped(window, qtbot, codec):
    m, p0 = _start(window, qtbot)
    codec.gate = threading.Event()  # hold the decode in flight while the dataset changes
    window.state.move_probe(*window.state.coords[5])
    window.state.set_dataset(None)
    codec.gate.set()
    qtbot.waitUntil(lambda: window.worker.pending == 0, timeout=5000)
    qtbot.wait(20)  # let the finished result cross to the GUI thread
    assert window.probe.result is None
    assert window.probe.decoded.frames is None


def test_a_new_map_renders_the_probe_again_for_what_lies_under_it_now(window, qtbot):
    """The sample data open on PCA, then their t-SNE map arrives: the probe panel must follow."""
    from latentlab.core.inverse import make_inverse
    from latentlab.core.projection import fit_projection

    _start(window, qtbot)
    s = window.state
    mu = s.dataset.mu
    s.move_probe(*map(float, s.coords[5]))
    qtbot.waitUntil(lambda: window.probe.result is not None and window.probe.result.nearest == 5, timeout=5000)
    coords = np.array(s.coords, np.float64)
    coords[[5, 7]] = coords[[7, 5]]  # another map: clip 7 now lies where clip 5 was
    projection = fit_projection(mu, "precomputed", coords=coords)
    s.set_projection(projection, make_inverse(mu, projection))
    qtbot.waitUntil(lambda: window.probe.result.nearest == 7, timeout=5000)

"""Interpolation: pick A and B, the path is drawn on the map, the slider decodes live, export writes video."""

from __future__ import annotations

import numpy as np
import pytest

from latentlab.core.interpolation import lerp, slerp
from tests.gui.conftest import frames_of


def _pick_ends(window, qtbot, a=5, b=150):
    p = window.interpolation
    window.state.select([a])
    p.set_a.click()
    window.state.select([b])
    p.set_b.click()
    assert (window.state.interp_a, window.state.interp_b) == (a, b)
    return p


def test_path_is_drawn_and_the_slider_decodes_along_it(window, qtbot, codec):
    p = _pick_ends(window, qtbot)
    mu = window.state.dataset.mu
    qtbot.waitUntil(lambda: window.state.path_xy is not None, timeout=5000)
    xs, ys = window.map._path.getData()
    np.testing.assert_allclose(xs[0], window.state.coords[5, 0], atol=1e-4)  # starts on A ...
    np.testing.assert_allclose(ys[-1], window.state.coords[150, 1], atol=1e-4)  # ... ends on B
    with qtbot.waitSignal(p.rendered, timeout=5000, check_params_cb=lambda t, f: t == 37):
        p.slider.setValue(37)
    np.testing.assert_array_equal(p.view.frames, frames_of(codec, slerp(mu[5], mu[150], 101)[37]))
    strip = slerp(mu[5], mu[150], p.steps.value())
    qtbot.waitUntil(lambda: p.strip[0].frames is not None, timeout=5000)
    for j in range(p.steps.value()):
        np.testing.assert_array_equal(p.strip[j].frames, frames_of(codec, strip[j]))
    assert not p.strip[p.steps.value()].isVisible()


def test_lerp_and_slerp_differ_and_the_choice_is_state(window, qtbot, codec):
    p = _pick_ends(window, qtbot)
    mu = window.state.dataset.mu
    with qtbot.waitSignal(p.rendered, timeout=5000, check_params_cb=lambda t, f: t == 50):
        p.method.setCurrentText("lerp")
        p.slider.setValue(50)
    assert window.state.interp_method == "lerp"
    qtbot.waitUntil(
        lambda: np.array_equal(p.view.frames, frames_of(codec, lerp(mu[5], mu[150], 101)[50])), timeout=5000
    )
    assert not np.array_equal(
        frames_of(codec, lerp(mu[5], mu[150], 101)[50]), frames_of(codec, slerp(mu[5], mu[150], 101)[50])
    )


def test_context_menu_actions_set_the_ends(window, qtbot):
    window.state.set_interpolation(a=3)
    window.state.set_interpolation(b=7)
    assert "A: clip 3" in window.interpolation.ends.text() and "B: clip 7" in window.interpolation.ends.text()
    assert window.interpolation.export_mp4.isEnabled()


@pytest.mark.parametrize("suffix", [".mp4", ".gif"])
def test_export_writes_a_readable_video(window, qtbot, tmp_path, suffix, codec):
    p = _pick_ends(window, qtbot)
    p.steps.setValue(5)
    p.scale.setValue(1)
    out = tmp_path / f"walk{suffix}"
    exported, failed = [], []
    p.exported.connect(exported.append)
    job = p.export(str(out), suffix)
    job.failed.connect(lambda msg, tb: failed.append(msg))
    qtbot.waitUntil(lambda: bool(exported or failed), timeout=20000)
    assert exported == [str(out)], failed
    n_expected = 5 * codec.frames
    if suffix == ".gif":
        from PIL import Image

        with Image.open(out) as im:
            assert im.n_frames == n_expected and im.size == (codec.width, codec.height)
    else:
        import cv2

        cap = cv2.VideoCapture(str(out))
        frames = []
        ok, f = cap.read()
        while ok:
            frames.append(f)
            ok, f = cap.read()
        cap.release()
        assert len(frames) == n_expected and frames[0].shape[:2] == (codec.height, codec.width)


def test_export_without_ends_does_nothing(window):
    assert window.interpolation.export("/nonexistent/x.mp4") is None


def test_export_is_upscaled_and_says_which_codec(window, qtbot, tmp_path, codec):
    import cv2

    from latentlab.media.video_writer import h264_fourcc

    p = _pick_ends(window, qtbot)
    p.steps.setValue(2)
    p.scale.setValue(4)
    out = tmp_path / "big.mp4"
    with qtbot.waitSignal(p.exported, timeout=20000):
        p.export(str(out), ".mp4")
    cap = cv2.VideoCapture(str(out))
    ok, frame = cap.read()
    cap.release()
    assert ok and frame.shape[:2] == (4 * codec.height, 4 * codec.width)
    said = window.statusBar().currentMessage()
    assert said.startswith(f"wrote big.mp4: {4 * codec.width}×{4 * codec.height} ")
    assert ("H.264" in said) if h264_fourcc() else ("MPEG-4 Part 2 (this OpenCV has no H.264 encoder)" in said)

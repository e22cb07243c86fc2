"""The Local tab: sliders along the principal directions of the clips nearest to the probe."""

from __future__ import annotations

import numpy as np

from latentlab.core.local_directions import LOCAL_K, LOCAL_M, probe_directions
from tests.gui import mouse
from tests.gui.conftest import frames_of


def _local(window, qtbot):
    """The Local tab shown, the map's inverse tabulated (it answers the probe from then on)."""
    qtbot.waitUntil(lambda: window.probe.result is not None, timeout=5000)
    qtbot.waitUntil(lambda: not [j for j in window.runner.jobs if j.name.startswith("tabulate")], timeout=10000)
    panel = window.tabs.show_tab("local")
    assert panel is window.tabs.local and panel.isVisible()
    return panel


def _drag_probe_to(window, target):
    p0 = window.map.probe.pos()
    start = np.array([p0.x(), p0.y()])
    mouse.drag(window.map, [tuple(start + t * (target - start)) for t in np.linspace(0, 1, 8)])


def test_moving_the_probe_builds_the_sliders_from_its_neighbours(window, qtbot, codec):
    panel = _local(window, qtbot)
    ds = window.state.dataset
    _drag_probe_to(window, window.state.coords[100])
    final = window.state.probe
    qtbot.waitUntil(lambda: panel.basis is not None and panel.info.text().startswith(str(LOCAL_K)), timeout=5000)
    qtbot.waitUntil(lambda: f"({final[0]:.3g}, {final[1]:.3g})" in panel.info.text(), timeout=5000)
    z = window.state.inverse.invert(np.array([final])).z[0]
    expected = probe_directions(ds.index, ds.mu, z, LOCAL_K, LOCAL_M)
    b = panel.basis
    assert sorted(b.neighbours) == sorted(expected.neighbours)
    np.testing.assert_allclose(b.centre, z, atol=1e-6)
    np.testing.assert_allclose(b.directions, expected.directions, atol=1e-6)
    np.testing.assert_allclose(b.std, expected.std, rtol=1e-6)
    assert panel._shares[0].text() == f"{100 * expected.explained[0]:.0f} %"
    assert all(s.isEnabled() for s in panel.sliders[: b.m]) and b.m == LOCAL_M
    # At rest the panel shows the probe's own latent.
    qtbot.waitUntil(lambda: panel.view.frames is not None, timeout=5000)
    np.testing.assert_array_equal(panel.view.frames, frames_of(codec, expected.latent(np.zeros(LOCAL_M))))


def test_moving_a_local_slider_decodes_the_shifted_latent(window, qtbot, codec):
    panel = _local(window, qtbot)
    _drag_probe_to(window, window.state.coords[30])
    qtbot.waitUntil(lambda: panel.basis is not None and panel.view.frames is not None, timeout=5000)
    b = panel.basis
    want = b.centre + 1.5 * b.std[1] * b.directions[1]
    with qtbot.waitSignal(panel.rendered, timeout=5000, check_params_cb=lambda z, f: np.allclose(z, want, atol=1e-5)):
        panel.sliders[1].setValue(150)
    assert panel._values[1].text() == "+1.50"
    np.testing.assert_array_equal(panel.view.frames, frames_of(codec, want))
    with qtbot.waitSignal(panel.rendered, timeout=5000) as back:
        panel.reset.click()
    np.testing.assert_allclose(back.args[0], b.centre, atol=1e-5)
    assert all(s.value() == 0 for s in panel.sliders)


def test_hidden_panel_catches_up_when_shown(window, qtbot):
    qtbot.waitUntil(lambda: window.probe.result is not None, timeout=5000)
    panel = window.tabs.local
    window.tabs.show_tab("probe")
    assert not panel.isVisible()
    asked = panel.basis_channel.latest
    window.state.move_probe(*map(float, window.state.coords[5]))
    assert not panel._settle.isActive() and panel.basis_channel.latest == asked  # nothing asked while hidden
    window.tabs.show_tab("local")
    qtbot.waitUntil(lambda: panel.basis is not None, timeout=5000)

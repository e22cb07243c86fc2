"""Latent sliders: ordered by KL, start at the clip's mu, decode live; prior/posterior/reset."""

from __future__ import annotations

import numpy as np

from tests.gui.conftest import frames_of


def _sliders(window, qtbot):
    s = window.sliders
    qtbot.waitUntil(lambda: s.view.frames is not None, timeout=5000)
    return s


def test_sliders_are_ordered_by_kl_and_start_at_the_clip(window, qtbot):
    s = _sliders(window, qtbot)
    ds = window.state.dataset
    kl = ds.kl_per_dim()
    assert len(s.sliders) == ds.latent_dim
    assert list(kl[s.order]) == sorted(kl, reverse=True)
    window.state.select([12])
    np.testing.assert_allclose(s.z, ds.mu[12], atol=1e-6)
    np.testing.assert_allclose([sl.value() / 100 for sl in s.sliders], ds.mu[12][s.order], atol=0.006)


def test_moving_a_slider_changes_the_decoded_frame(window, qtbot, codec):
    s = _sliders(window, qtbot)
    before = s.view.frames.copy()
    with qtbot.waitSignal(s.rendered, timeout=5000, check_params_cb=lambda z, f: abs(z[s.order[0]] - 2.5) < 1e-6):
        s.sliders[0].setValue(250)
    expected_z = window.state.dataset.mu[window.state.current].copy()
    expected_z[s.order[0]] = 2.5
    np.testing.assert_array_equal(s.view.frames, frames_of(codec, expected_z))
    assert not np.array_equal(s.view.frames, before)


def test_prior_posterior_and_reset(window, qtbot, codec):
    s = _sliders(window, qtbot)
    ds, i = window.state.dataset, window.state.current
    for button in (s.prior, s.posterior):
        with qtbot.waitSignal(s.rendered, timeout=5000) as blocker:
            button.click()
        z = blocker.args[0]
        assert z.shape == (ds.latent_dim,) and not np.allclose(z, ds.mu[i])
        np.testing.assert_array_equal(s.view.frames, frames_of(codec, z))
    sigma = np.exp(0.5 * ds.logvar[i])
    assert np.all(np.abs(z - ds.mu[i]) < 6 * sigma)  # the posterior sample is near the clip's mean
    with qtbot.waitSignal(s.rendered, timeout=5000) as blocker:
        s.reset.click()
    np.testing.assert_allclose(blocker.args[0], ds.mu[i], atol=1e-6)


def test_every_number_column_has_a_heading(window):
    grid = window.sliders._grid
    heads = [grid.itemAtPosition(0, c).widget().text() for c in (0, 2, 3)]
    assert heads == ["dim", "z", "KL"]
    assert "nats" in grid.itemAtPosition(0, 3).widget().toolTip()

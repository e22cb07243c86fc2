"""The Teach dock: ELBO panel, posterior/prior cloud, lerp vs slerp, the guided tour and Help."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from latentlab.core import teaching
from latentlab.gui.teach.posterior_cloud import SOURCES


@pytest.fixture
def teach(window):
    return window.context.teach


def _cloud_xy(teach):
    x, y = teach.samples.item.getData()
    return np.column_stack([x, y])


def test_the_dock_computes_nothing_until_it_is_shown(window, teach, qtbot):
    window.state.select([7])
    assert not teach.dock.isVisible() or not teach.elbo.active
    assert window.worker.latest("teach_cloud") == 0 and window.worker.latest("teach_paths") == 0
    teach.show_panel("elbo")
    assert teach.dock.isVisible() and teach.elbo.active and teach.samples.active


def test_elbo_panel_follows_the_selection_with_the_closed_form_kl(window, teach, qtbot):
    ds = window.state.dataset
    teach.show_panel("elbo")
    for i in (5, 31):
        window.state.select([i])
        qtbot.waitUntil(lambda i=i: f"Clip {i}" in teach.elbo.text.text(), timeout=5000)
        kl = teaching.kl_per_dim(ds.mu[i], ds.logvar[i])
        np.testing.assert_allclose(teach.elbo.kl_dims, kl)
        assert f"{kl.sum():,.2f}".replace(",", "\u2009") in teach.elbo.text.text()
        heights = np.concatenate([teach.elbo.bars_active.opts["height"], teach.elbo.bars_collapsed.opts["height"]])
        np.testing.assert_allclose(np.sort(heights), np.sort(kl))
    # the fake model has no likelihood: the panel says so instead of a number
    assert "needs a VideoVAE checkpoint" in teach.elbo.text.text()


def test_collapsed_units_are_greyed(window, teach, qtbot):
    ds = window.state.dataset
    ds.mu[:, 2] = 0.0  # dimension 2 now carries nothing: the prior for every clip
    ds.logvar[:, 2] = 0.0
    window.state.dataset_changed.emit(ds)
    window.state.select([3])
    teach.show_panel("elbo")
    qtbot.waitUntil(lambda: "Clip 3" in teach.elbo.text.text(), timeout=5000)
    assert teach.elbo.units.collapsed.tolist() == [False, False, True, False, False, False]
    assert list(teach.elbo.bars_collapsed.opts["x"]) == [2]
    assert "5 of 6 units active, 1 collapsed" in teach.elbo.units_label.text()
    assert "collapsed" in teach.elbo.note.text()


def test_posterior_cloud_appears_on_the_map_with_s_points(window, teach, qtbot):
    s, ds = window.state, window.state.dataset
    s.select([12])
    teach.show_panel("samples")
    cloud = teach.samples
    cloud.count.setValue(300)
    qtbot.waitUntil(lambda: cloud.z is not None and len(_cloud_xy(teach)) == 300, timeout=5000)
    assert cloud.item.getViewBox() is window.map.view and cloud.item.isVisible()
    want = teaching.posterior_samples(ds.mu[12], ds.logvar[12], 300, 1.0, cloud.seed.value())
    np.testing.assert_allclose(cloud.z, want)
    np.testing.assert_allclose(_cloud_xy(teach), s.projection.transform(want), rtol=1e-5, atol=1e-5)
    # the grid shows decodes of the first samples (the fake codec's frames encode z)
    qtbot.waitUntil(lambda: cloud.views[0].frames is not None, timeout=5000)
    np.testing.assert_array_equal(cloud.views[0].frames, ds.codec.decode(want[:1])[0])
    # eps scale 0: every sample is the clip's mean, so the cloud sits on the clip
    cloud.set_eps_scale(0.0)
    qtbot.waitUntil(lambda: np.allclose(_cloud_xy(teach), s.coords[12], atol=1e-4), timeout=5000)
    assert "sample std / σ = 0.000" in cloud.stats.text()
    cloud.set_eps_scale(20.0)  # the slider is logarithmic: 0.01 .. 100
    assert cloud.eps_scale == pytest.approx(20.0, rel=0.03)
    k = cloud.eps_scale
    qtbot.waitUntil(
        lambda: cloud.z is not None and np.allclose(cloud.z - ds.mu[12], k * (want - ds.mu[12]), atol=1e-4),
        timeout=5000,
    )
    assert f"expected {k:.2f}" in cloud.stats.text()


def test_cloud_is_removed_when_the_clip_changes_or_the_option_is_off(window, teach, qtbot):
    s, ds = window.state, window.state.dataset
    s.select([1])
    teach.show_panel("samples")
    cloud = teach.samples
    cloud.count.setValue(40)
    qtbot.waitUntil(lambda: len(_cloud_xy(teach)) == 40, timeout=5000)
    s.select([2])
    assert len(_cloud_xy(teach)) == 0  # at once, before the new cloud arrives
    qtbot.waitUntil(lambda: cloud.z is not None and np.allclose(cloud.z.mean(0), ds.mu[2], atol=0.5), timeout=5000)
    cloud.on_map.setChecked(False)
    assert len(_cloud_xy(teach)) == 0
    cloud.on_map.setChecked(True)
    qtbot.waitUntil(lambda: len(_cloud_xy(teach)) == 40, timeout=5000)
    teach.dock.close()  # the dock closed: nothing of it stays on the map
    qtbot.waitUntil(lambda: not cloud.active, timeout=5000)
    assert len(_cloud_xy(teach)) == 0


def test_fast_selection_changes_show_only_the_last_clips_cloud(window, teach, qtbot):
    s, ds = window.state, window.state.dataset
    teach.show_panel("samples")
    cloud = teach.samples
    cloud.count.setValue(20)
    qtbot.waitUntil(lambda: window.worker.pending == 0 and cloud.z is not None, timeout=5000)
    shown = []
    cloud.cloud_shown.connect(lambda z, _xy: shown.append(np.array(z)))
    ds.codec.gate = gate = threading.Event()  # hold the worker on the first clip's decode
    for i in range(3, 40, 3):
        s.select([i])
    gate.set()
    want = teaching.posterior_samples(ds.mu[39], ds.logvar[39], 20, 1.0, cloud.seed.value())
    st = window.worker.stats

    def all_results_handled():  # every computed result has reached the GUI thread (shown or dropped)
        return window.worker.pending == 0 and st["computed"] == st["delivered"] + st["dropped"]

    qtbot.waitUntil(lambda: len(shown) >= 1 and all_results_handled(), timeout=5000)
    assert len(shown) == 1  # clip 3's finished result was dropped, the superseded ones never ran
    np.testing.assert_allclose(shown[0], want)
    np.testing.assert_allclose(cloud.z, want)


def test_a_result_overtaken_by_newer_requests_is_not_drawn(window, teach, qtbot):
    """The decode worker hands over a finished result even when newer ones wait; the panel compares
    request ids and draws only the newest."""
    teach.show_panel("samples")
    cloud = teach.samples
    cloud.source.setCurrentText(SOURCES[1])  # prior: only this panel's channel reacts to Resample
    cloud.count.setValue(20)
    qtbot.waitUntil(lambda: window.worker.pending == 0 and cloud.z is not None, timeout=5000)
    codec, entered, gate = window.state.dataset.codec, threading.Event(), threading.Event()
    real_decode = codec.decode

    def held_decode(z):
        entered.set()
        gate.wait(10)
        return real_decode(z)

    codec.decode = held_decode
    shown = []
    cloud.cloud_shown.connect(lambda z, _xy: shown.append(np.array(z)))
    cloud.resample.click()  # this request runs and is held in the decoder
    qtbot.waitUntil(entered.is_set, timeout=5000)
    for _ in range(3):
        cloud.resample.click()
    gate.set()
    st = window.worker.stats
    qtbot.waitUntil(
        lambda: window.worker.pending == 0 and st["computed"] == st["delivered"] + st["dropped"] and len(shown) >= 1,
        timeout=5000,
    )
    assert len(shown) == 1
    np.testing.assert_allclose(shown[0], teaching.prior_samples(6, 20, 1.0, cloud.seed.value()))


def test_prior_samples_do_not_depend_on_the_clip(window, teach, qtbot):
    s = window.state
    teach.show_panel("samples")
    cloud = teach.samples
    cloud.source.setCurrentText(SOURCES[1])
    cloud.count.setValue(64)
    qtbot.waitUntil(lambda: cloud.z is not None and len(cloud.z) == 64, timeout=5000)
    np.testing.assert_allclose(cloud.z, teaching.prior_samples(6, 64, 1.0, cloud.seed.value()))
    z = cloud.z
    s.select([50])
    assert len(_cloud_xy(teach)) == 64  # a prior cloud belongs to no clip: it stays
    cloud.resample.click()
    qtbot.waitUntil(lambda: cloud.z is not None and not np.array_equal(cloud.z, z), timeout=5000)
    assert "prior samples" in cloud.stats.text()


def test_lerp_vs_slerp_plot_and_side_by_side_decodes(window, teach, qtbot):
    s, ds = window.state, window.state.dataset
    teach.show_panel("paths")
    paths = teach.paths
    assert "Pick A and B" in paths.info.text()
    s.set_interpolation(a=0, b=1)
    with qtbot.waitSignal(paths.decoded, timeout=5000) as sig:
        pass
    t, lerp_clip, slerp_clip = sig.args
    p = paths.profile
    assert t == 0.5 and p.typical == pytest.approx(np.sqrt(6))
    x, y = paths.lerp_curve.getData()
    np.testing.assert_allclose(
        y, np.linalg.norm(np.linspace(ds.mu[0], ds.mu[1], 101).astype(np.float64), axis=1), rtol=1e-5
    )
    assert p.lerp[50] < p.slerp[50]  # the straight line cuts inside the shell
    zl = (ds.mu[0] + ds.mu[1]) / 2
    np.testing.assert_array_equal(lerp_clip, ds.codec.decode(zl[None])[0])
    assert not np.array_equal(lerp_clip, slerp_clip)
    assert paths.typical_line.value() == pytest.approx(np.sqrt(6))
    paths.pick_random_ends()
    qtbot.waitUntil(lambda: f"A = clip {s.interp_a}" in paths.info.text(), timeout=5000)
    assert s.interp_a != s.interp_b


def test_tour_opens_steps_closes_and_reopens_from_help(window, teach, qtbot):
    tour = teach.open_tour()
    assert tour.is_open and tour.current == 0 and "map" in tour.title.text().lower()
    assert tour.highlight.target is window.map and not tour.back_button.isEnabled()
    targets = []
    tour.step_changed.connect(lambda k: targets.append(tour.highlight.target))
    for _ in range(5):
        tour.next_button.click()
    assert targets == [window.player, window.probe, window.interpolation, window.sliders, teach.elbo]
    assert teach.dock.isVisible() and teach.tabs.currentIndex() == 0
    assert tour.next_button.text() == "Done"
    tour.back_button.click()
    assert tour.current == 4 and window.tabs.currentWidget() is window.sliders
    tour.next_button.click()
    with qtbot.waitSignal(tour.closed, timeout=2000):
        tour.next_button.click()  # Done
    assert not tour.is_open and not tour.highlight.isVisible()
    action = next(a for a in window.context.help_menu().actions() if a.text().replace("&", "") == "Guided tour")
    action.trigger()
    assert tour.is_open and tour.current == 0 and teach.tour is tour
    with qtbot.waitSignal(tour.closed, timeout=2000):
        tour.close_button.click()
    assert not tour.is_open


def test_tour_text_comes_from_resources_and_bad_files_say_why(tmp_path):
    from latentlab.gui.teach.tour import TARGETS, TourError, load_steps

    steps = load_steps()
    assert [s.target for s in steps] == list(TARGETS)
    assert all(len(s.text) > 80 for s in steps)
    bad = tmp_path / "tour.json"
    bad.write_text('{"format": "latentlab-tour", "steps": [{"target": "nowhere", "title": "x", "text": "y"}]}')
    with pytest.raises(TourError, match="step 1 needs a target"):
        load_steps(bad)
    with pytest.raises(TourError, match="cannot read"):
        load_steps(tmp_path / "missing.json")


def test_elbo_panel_shows_the_models_terms_for_a_real_vae(window, teach, qtbot):
    """A tiny real VideoVAE behind the dataset: the panel's numbers are ml.teaching's for that clip."""
    torch = pytest.importorskip("torch")
    from latentlab.ml.codec import ClipCodec
    from latentlab.ml.config import VAEConfig
    from latentlab.ml.model import VideoVAE
    from latentlab.ml.teaching import clip_elbo

    fake = window.state.dataset.codec
    cfg = VAEConfig(
        frames=fake.frames,
        height=fake.height,
        width=fake.width,
        channels=3,
        latent_dim=fake.latent_dim,
        base_width=4,
        frame_code=16,
    )
    torch.manual_seed(0)
    model = VideoVAE(cfg)
    window.state.set_codec(ClipCodec(model, cfg.to_dict(), "tiny"))
    teach.show_panel("elbo")
    teach.elbo.samples.setValue(4)
    with qtbot.waitSignal(
        teach.elbo.elbo_shown, timeout=20_000, check_params_cb=lambda i, e: i == 9 and e.n_samples == 4
    ) as sig:
        window.state.select([9])
    _, shown = sig.args
    want = clip_elbo(model, window.state.dataset.read_clips(np.array([9]))[0], n_samples=4, seed=9)
    assert shown.nll == pytest.approx(want.nll, rel=1e-6) and shown.kl == pytest.approx(want.kl, rel=1e-6)
    text = teach.elbo.text.text()
    fmt = lambda v: f"{v:,.2f}".replace(",", "\u2009")  # noqa: E731
    for number in (want.reconstruction, want.kl, want.elbo):
        assert fmt(number) in text
    assert "Gaussian" in text and "S = 4" in text
    np.testing.assert_allclose(teach.elbo.kl_dims, want.kl_per_dim)

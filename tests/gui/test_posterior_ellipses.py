"""View → Posterior ellipses: selected clips' posteriors outlined on the map, following selection and map."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QAction

from latentlab.core.map_covariance import ELLIPSE_SEGMENTS
from latentlab.core.projection import fit_projection
from latentlab.gui.map.posterior_ellipses import MAX_ELLIPSES, PosteriorEllipsesExtension
from tests.gui import mouse


def _extension(window) -> PosteriorEllipsesExtension:
    return next(e for e in window.context.extensions if isinstance(e, PosteriorEllipsesExtension))


def _action(window) -> QAction:
    return next(a for a in window.view_menu.actions() if a.text().replace("&", "") == "Posterior ellipses")


def _polylines(item) -> list[np.ndarray]:
    """The path's sub-paths as ``(S, 2)`` point arrays."""
    path = item.path()
    lines, cur = [], []
    for i in range(path.elementCount()):
        e = path.elementAt(i)
        if e.isMoveTo() and cur:
            lines.append(np.array(cur))
            cur = []
        cur.append((e.x, e.y))
    if cur:
        lines.append(np.array(cur))
    return lines


def test_box_selected_clips_on_a_pca_map_get_their_projected_covariance(window, qtbot):
    ext, act = _extension(window), _action(window)
    ds, proj = window.state.dataset, window.state.projection
    assert proj.method == "pca" and act.isEnabled() and not ext.item.isVisible()
    act.trigger()
    assert act.isChecked()
    c = window.state.coords
    lo = c[7] - 0.3
    hi = c[7] + 0.3
    window.map.set_tool("box")
    mouse.drag(window.map, [tuple(lo), tuple((lo + hi) / 2), tuple(hi)])
    sel = window.state.selection
    assert 7 in sel and sel.size >= 1
    qtbot.waitUntil(lambda: ext.ellipses is not None and list(ext.ellipses.clips) == list(sel), timeout=5000)
    assert ext.item.isVisible()
    lines = _polylines(ext.item)
    assert len(lines) == sel.size and all(len(p) == ELLIPSE_SEGMENTS + 1 for p in lines)
    a = proj.state["components"]
    for i, pts in zip(sel, lines):
        cov = a @ np.diag(np.exp(ds.logvar[i].astype(np.float64))) @ a.T
        d = pts - proj.coords[i]
        np.testing.assert_allclose(np.einsum("si,ij,sj->s", d, np.linalg.inv(cov), d), 1.0, rtol=1e-3)  # 1 sigma
    said = window.statusBar().currentMessage()
    assert "1-σ outline" in said and "exact" in said and "zoom in" not in said  # the tiny set's σ is ~0.6
    window.state.select([])
    qtbot.waitUntil(lambda: not ext.item.isVisible(), timeout=5000)
    window.state.select([3])
    qtbot.waitUntil(lambda: ext.ellipses is not None and list(ext.ellipses.clips) == [3], timeout=5000)
    act.trigger()  # off
    assert not ext.item.isVisible() and ext.item.path().elementCount() == 0


def test_tsne_like_map_is_drawn_and_follows_the_map(window, qtbot):
    ext, act = _extension(window), _action(window)
    ds = window.state.dataset
    act.trigger()
    many = np.arange(0, ds.n_clips, 2)
    window.state.select(many)
    qtbot.waitUntil(lambda: ext.ellipses is not None and ext.ellipses.exact, timeout=5000)
    rng = np.random.default_rng(0)
    warped = np.tanh(window.state.coords / 3) * 5 + 0.05 * rng.normal(size=window.state.coords.shape)
    proj = fit_projection(ds.mu, "precomputed", coords=warped.astype(np.float32))
    window.state.set_projection(proj, None)
    qtbot.waitUntil(lambda: ext.ellipses is not None and not ext.ellipses.exact, timeout=5000)
    lines = _polylines(ext.item)
    assert len(lines) == many.size and all(np.isfinite(p).all() for p in lines)
    np.testing.assert_allclose(ext.ellipses.centres, warped[many], atol=1e-5)
    assert ext._cache[1] is proj and set(ext._cache[2]) == set(many.tolist())  # each clip's fit is kept
    window.state.select([1, 2])
    qtbot.waitUntil(lambda: ext.ellipses is not None and list(ext.ellipses.clips) == [1, 2], timeout=5000)
    assert set(ext._cache[2]) == set(many.tolist()) | {1}
    assert MAX_ELLIPSES >= many.size
    window.state.set_dataset(None)
    assert not ext.item.isVisible()


def test_at_most_max_ellipses_are_drawn(window, qtbot, monkeypatch):
    from latentlab.gui.map import posterior_ellipses

    monkeypatch.setattr(posterior_ellipses, "MAX_ELLIPSES", 5)
    ext = _extension(window)
    _action(window).trigger()
    window.state.select(np.arange(40))
    qtbot.waitUntil(lambda: ext.ellipses is not None, timeout=5000)
    assert len(_polylines(ext.item)) == 5


def test_ellipses_too_small_to_see_are_said_so(open_window, qtbot):
    from tests.gui.fakes import tiny_loaded

    loaded = tiny_loaded()
    loaded.dataset.logvar[:] = -14.0  # a very sure encoder: sigma 0.001
    window = open_window(loaded)
    ext = _extension(window)
    _action(window).trigger()
    window.state.select([4, 5])
    qtbot.waitUntil(lambda: ext.ellipses is not None, timeout=5000)
    assert "zoom in" in window.statusBar().currentMessage()

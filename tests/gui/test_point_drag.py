"""Dragging a clip's point with the real mouse: a ghost follows, the decoder renders from the clip's own
latent; release puts it back, Shift+release pins it (drawn, played, interpolated to, tagged, exported)."""

from __future__ import annotations

import json

import numpy as np
from PySide6.QtCore import Qt

from latentlab.core.pinned_points import TagPinned
from latentlab.gui.map.pinned_points import star_positions
from tests.gui import mouse
from tests.gui.drag_steps import SHIFT, inward, px_path, settled


def _expected_z(window, clip, start, pos):
    inverse = window.state.inverse
    z0, z1 = (inverse.invert(np.array([p]), anchor=clip).z[0] for p in (start, pos))
    return window.state.dataset.mu[clip] + z1 - z0


def test_the_decode_requests_start_at_the_clips_latent_and_follow_the_mouse(window, qtbot, monkeypatch):
    ext, m, clip, p0 = settled(window, qtbot)
    asked = []
    channel = ext.probe.channel
    real = channel.request
    monkeypatch.setattr(channel, "request", lambda fn: asked.append(fn) or real(fn))
    mouse.drag(m, inward(m, p0, 80), release=False)
    frames = [fn() for fn in asked]  # what each request renders (replaced ones included), run here
    mu = window.state.dataset.mu[clip]
    np.testing.assert_array_equal(frames[0].result.z, mu)  # the press: the clip's own latent, bit for bit
    moved = [np.linalg.norm(f.result.z - mu) for f in frames]
    assert len(frames) >= 5 and moved[-1] > moved[1] > 0  # and it moves away as the mouse does
    assert frames[-1].result.pos == ext.drag.ghost_pos()
    mouse.send(
        m.plot.viewport(), mouse.QEvent.Type.MouseButtonRelease, mouse.to_viewport(m, *p0), mouse.LEFT, mouse.NONE
    )


def test_dragging_a_point_decodes_from_the_clip_and_puts_it_back(window, qtbot):
    ext, m, clip, p0 = settled(window, qtbot)
    coords_before = np.array(window.state.coords, copy=True)
    drawn_before = np.array(m.coords, copy=True)
    selection_before = window.state.selection.copy()
    path = inward(m, p0, 70)
    mouse.drag(m, path, release=False)
    assert ext.drag.active and ext.drag.drag.clip == clip
    ghost, last = ext.drag.ghost_pos(), mouse.to_viewport(m, *path[-1])
    here = mouse.to_viewport(m, *ghost)
    assert abs(here.x() - last.x()) < 1.5 and abs(here.y() - last.y()) < 1.5  # the ghost is at the cursor
    assert window.tabs.currentWidget() is window.probe  # the live render shows in the probe panel
    assert window.probe.decoded.caption == f"dragging clip {clip}"
    x, y = ext.drag.tether.getData()  # tethered to the clip's point, which stays put
    np.testing.assert_allclose([x[0], y[0]], window.state.coords[clip], rtol=1e-6)
    qtbot.waitUntil(lambda: window.probe.result.pos == ext.drag.drag.pos, timeout=5000)
    moved = window.probe.result
    start = ext.drag.drag.start
    np.testing.assert_allclose(moved.z, _expected_z(window, clip, start, moved.pos), atol=1e-5)
    assert not np.allclose(moved.z, window.state.dataset.mu[clip])  # it changed with the movement
    # Back to the very pixel pressed: the latent is the clip's own, bit for bit.
    vp = m.plot.viewport()
    mouse.send(vp, mouse.QEvent.Type.MouseMove, mouse.to_viewport(m, *path[0]), mouse.NONE, mouse.LEFT)
    qtbot.waitUntil(lambda: window.probe.result.pos == start, timeout=5000)
    np.testing.assert_array_equal(window.probe.result.z, window.state.dataset.mu[clip])
    mouse.send(vp, mouse.QEvent.Type.MouseButtonRelease, mouse.to_viewport(m, *path[0]), mouse.LEFT, mouse.NONE)
    assert not ext.drag.active and ext.drag.ghost_pos() is None  # the ghost is gone
    np.testing.assert_array_equal(window.state.coords, coords_before)  # the clip's point never moved
    np.testing.assert_array_equal(m.coords, drawn_before)
    assert not ext.drag.tether.isVisible()
    qtbot.waitUntil(lambda: window.probe.result.pos == window.state.probe, timeout=5000)  # the probe's again
    assert window.probe.decoded.caption == "decoded at the probe"
    assert len(ext.points) == 0  # released without Shift: nothing kept
    np.testing.assert_array_equal(window.state.selection, selection_before)  # a drag is not a click


def test_empty_space_still_pans_and_a_click_still_selects(window, qtbot):
    ext, m, clip, p0 = settled(window, qtbot)
    (x0, x1), (y0, y1) = m.view.viewRange()
    corner = (x0 + 0.01 * (x1 - x0), y0 + 0.01 * (y1 - y0))
    assert m.pick(*corner) < 0
    mouse.drag(m, px_path(m, corner, 80, 0))
    assert m.view.viewRange()[0][0] < x0  # panned
    assert ext.drag.ghost_pos() is None and len(ext.points) == 0
    mouse.click(m, *p0)
    assert list(window.state.selection) == [clip] and window.state.current == clip


def test_box_tool_drags_a_box_even_from_a_point(window, qtbot):
    ext, m, clip, p0 = settled(window, qtbot)
    m.set_tool("box")
    path = inward(m, p0, 40, turn=0.5)
    step = (np.array(path[-1]) - p0) * 3 / 40  # pressed 3 px before the point (within picking distance)
    path[0] = tuple(np.array(p0) - step)
    assert m.pick(*path[0]) == clip
    mouse.drag(m, path)
    assert ext.drag.ghost_pos() is None and not ext.drag.active
    assert clip in window.state.selection


def test_shift_release_pins_a_point_that_plays_interpolates_tags_and_exports(window, qtbot, tmp_path):
    ext, m, clip, p0 = settled(window, qtbot)
    path = inward(m, p0, 80, turn=0.3)
    mouse.drag(m, path, modifiers=SHIFT)
    assert len(ext.points) == 1
    (point,) = list(ext.points)
    assert point.source == clip and ext.dock.isVisible()
    np.testing.assert_allclose(star_positions(ext.layer), [point.pos])  # drawn where it was dropped
    assert [lab.toPlainText() for lab in ext.layer.labels] == ["pinned 1"]
    assert "pinned 1 · from clip" in ext.panel.list.item(0).text()
    assert not np.allclose(point.z, window.state.dataset.mu[clip])
    # Played: the probe panel decodes the pinned latent.
    qtbot.mouseClick(ext.panel.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: np.array_equal(window.probe.result.z, point.z), timeout=5000)
    # A star clicked on the map plays it too.
    window.state.move_probe(*map(float, window.state.coords[0]))
    qtbot.waitUntil(lambda: not np.array_equal(window.probe.result.z, point.z), timeout=5000)
    mouse.click(m, *point.pos)
    qtbot.waitUntil(lambda: np.array_equal(window.probe.result.z, point.z), timeout=5000)
    # Interpolated to: A = the clip in the player, B = the pinned point.
    window.state.select([3])
    qtbot.mouseClick(ext.panel.interp_button, Qt.MouseButton.LeftButton)
    panel = window.interpolation
    assert "A: clip 3" in panel.ends.text() and "B: pinned 1" in panel.ends.text()
    np.testing.assert_allclose(panel.path_z[0], window.state.dataset.mu[3], atol=1e-5)
    np.testing.assert_allclose(panel.path_z[-1], point.z, atol=1e-5)
    assert panel.slider.isEnabled()
    # Tagged, with undo.
    ext.panel.tag_edit.setText("keeper")
    qtbot.mouseClick(ext.panel.tag_button, Qt.MouseButton.LeftButton)
    assert ext.points.get(point.id).tags == ("keeper",) and "tags: keeper" in ext.panel.list.item(0).text()
    # Exported: its decoded clip and latent, marked generated.
    job = ext.export(str(tmp_path / "pins"))
    with qtbot.waitSignal(job.succeeded, timeout=10000):
        pass
    doc = json.loads((tmp_path / "pins" / "pinned.json").read_text())
    (row,) = doc["points"]
    assert row["generated"] is True and row["tags"] == ["keeper"] and row["source_index"] == clip
    np.testing.assert_allclose(row["latent"], point.z, rtol=1e-6)
    assert (tmp_path / "pins" / row["video"]).stat().st_size > 0
    # Removed, and back with Edit → Undo.
    qtbot.mouseClick(ext.panel.remove_button, Qt.MouseButton.LeftButton)
    assert len(ext.points) == 0 and len(star_positions(ext.layer)) == 0
    window.context.curation.menus.undo_action.trigger()
    assert [p.id for p in ext.points] == [point.id]


def test_a_new_dataset_clears_the_pinned_points(window, qtbot):
    ext, m, clip, p0 = settled(window, qtbot)
    mouse.drag(m, inward(m, p0, 40), modifiers=SHIFT)
    assert len(ext.points) == 1
    window.state.set_dataset(None)
    assert len(ext.points) == 0 and len(star_positions(ext.layer)) == 0 and not ext.undo.can_undo


def test_a_new_map_draws_the_stars_where_it_projects_their_latents(window, qtbot):
    from latentlab.core.inverse import make_inverse
    from latentlab.core.projection import fit_projection

    ext, m, clip, p0 = settled(window, qtbot)
    mouse.drag(m, inward(m, p0, 60), modifiers=SHIFT)
    (point,) = list(ext.points)
    mu = window.state.dataset.mu
    projection = fit_projection(mu, "pca")
    projection.coords = projection.coords * 2.0 + 5.0  # another map of the same clips
    moved = fit_projection(mu, "precomputed", coords=projection.coords)
    window.state.set_projection(moved, make_inverse(mu, moved))
    expected = moved.transform(point.z[None])[0]
    qtbot.waitUntil(lambda: np.allclose(star_positions(ext.layer), [expected], atol=1e-4), timeout=5000)
    assert point.pos != tuple(expected) and ext.points.get(point.id).pos == point.pos  # dropped there, drawn here


def test_exported_pinned_points_import_again_and_a_wrong_file_is_one_line(window, qtbot, tmp_path):
    ext, m, clip, p0 = settled(window, qtbot)
    mouse.drag(m, inward(m, p0, 60), modifiers=SHIFT)
    ext.undo.push(TagPinned(ext.points, 1, "kept"))
    (before,) = list(ext.points)
    job = ext.export(str(tmp_path / "pins"))
    with qtbot.waitSignal(job.succeeded, timeout=10000):
        pass
    mouse.drag(m, inward(m, p0, 30, turn=1.0), modifiers=SHIFT)
    assert [p.id for p in ext.points] == [1, 2]
    assert ext.import_file(str(tmp_path / "pins" / "pinned.json")) == 1
    back = list(ext.points)[-1]
    assert back.id == 3 and back.tags == ("kept",) and back.pos == before.pos and back.source == before.source
    np.testing.assert_array_equal(back.z, before.z)
    ext.undo.undo()  # the import is one step
    assert [p.id for p in ext.points] == [1, 2]
    bad = tmp_path / "other.json"
    bad.write_text('{"points": []}')
    assert ext.import_file(str(bad)) == 0
    assert "other.json cannot be imported: it is not a pinned-points file" in window.statusBar().currentMessage()

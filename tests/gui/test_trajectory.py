"""A video as a trajectory on the map: the user's path from a clip's context menu to the scrubber."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from latentlab.gui.map.trajectory_extension import TrajectoryExtension
from tests.gui import mouse
from tests.gui.fakes import fake_open_dataset
from tests.video_stores import random_video_store

PER_VIDEO = 12  # clips of each video, 1/3 s apart (4 frames at 12 fps each)


@pytest.fixture
def videos(tmp_path):
    return random_video_store(tmp_path / "videos", clips_per_video=PER_VIDEO)


@pytest.fixture
def shown(open_window, videos, monkeypatch):
    """A window on the two-video store; right-clicks open their menu into ``menus``."""
    menus: list[QMenu] = []
    monkeypatch.setattr(QMenu, "popup", lambda menu, *_a: menus.append(menu))
    w = open_window(fake_open_dataset(str(videos.path), "model"))
    return w, next(e for e in w.context.extensions if isinstance(e, TrajectoryExtension)), menus


def right_click_entry(w, menus, clip: int):
    x, y = map(float, w.state.coords[clip])
    mouse.click(w.map, x, y, button=Qt.MouseButton.RightButton)
    assert menus, "the right-click opened no menu"
    return [a for a in menus[-1].actions() if a.text().startswith("Show its video")]


def test_a_clips_video_is_joined_in_time_order_and_scrubbed(shown, videos, qtbot):
    w, ext, menus = shown
    panel, overlay = ext.panel, ext.overlay
    assert not ext.dock.isVisible()  # no dock until a path is asked for
    (entry,) = right_click_entry(w, menus, PER_VIDEO + 5)  # the sixth clip of b.mp4, at 5/3 s
    assert entry.text() == "Show its video (b.mp4, at 0:01)"
    with qtbot.waitSignal(panel.shown, timeout=5000) as seen:
        entry.trigger()
    assert seen.args == [PER_VIDEO + 5] and ext.dock.isVisible()

    ours = np.flatnonzero(videos.table["source_id"] == 1)
    in_time = ours[np.argsort(videos.table["start_time"][ours])]
    np.testing.assert_allclose(overlay.points, w.state.coords[in_time], rtol=1e-6)
    assert overlay.line.zValue() > w.map.raster.zValue()  # drawn above the points
    np.testing.assert_allclose(overlay.marker_xy, w.state.coords[PER_VIDEO + 5], rtol=1e-6)
    np.testing.assert_array_equal(panel.view.frames, videos.read([PER_VIDEO + 5])[0])

    # The scrubber to 2 5/6 s: frame 2 of clip 8 of b.mp4, the marker half-way to the next clip's point.
    with qtbot.waitSignal(panel.shown, timeout=5000) as seen:
        panel.scrubber.setValue(34)
    clip = PER_VIDEO + 8
    assert seen.args == [clip] and panel.view.index == 2
    np.testing.assert_array_equal(panel.view.frames, videos.read([clip])[0])
    np.testing.assert_allclose(overlay.marker_xy, w.state.coords[[clip, clip + 1]].mean(0), rtol=1e-5)
    assert panel.view.caption == f"b.mp4 · 0:02 · clip {clip}" and panel.time.text() == "0:02 / 0:04"
    panel.scrubber.setValue(35)  # within the same clip: the next frame, nothing read again
    assert panel.view.index == 3 and panel.position.clip == clip

    # The frames clicked: the player plays that clip and names its video and time.
    with qtbot.waitSignal(w.player.shown, timeout=5000):
        panel.view.clicked.emit()
    assert w.state.current == clip
    assert f"clip {clip} · b.mp4, at 0:02" in w.player.numbers.text()


def test_the_list_of_videos_and_playing_to_the_end(shown, videos, qtbot):
    w, ext, _menus = shown
    panel = ext.panel
    assert [panel.sources.itemText(i) for i in range(panel.sources.count())] == ["a.mp4 (12 clips)", "b.mp4 (12 clips)"]
    assert panel.note.text().startswith("Pick a video") and not panel.scrubber.isEnabled()
    w.state.select([3])
    view = next(a for a in w.view_menu.actions() if a.text() == "Show a &video's path…")
    view.trigger()  # the current clip's video
    assert ext.path.name == "a.mp4" and panel.sources.currentText() == "a.mp4 (12 clips)"
    panel.sources.activated.emit(1)  # the user picks b.mp4 in the list
    assert ext.path.name == "b.mp4"
    np.testing.assert_allclose(ext.overlay.points, w.state.coords[PER_VIDEO:], rtol=1e-6)
    panel.scrubber.setValue(panel.scrubber.maximum() - 3)
    panel.play.click()
    qtbot.waitUntil(lambda: not panel.play.isChecked(), timeout=5000)  # stops at the video's end
    assert panel.scrubber.value() == panel.scrubber.maximum()
    np.testing.assert_allclose(ext.overlay.marker_xy, w.state.coords[2 * PER_VIDEO - 1], rtol=1e-6)


def test_a_new_map_redraws_the_path_and_another_dataset_clears_it(shown, qtbot, loaded):
    w, ext, menus = shown
    right_click_entry(w, menus, 4)[0].trigger()
    ext.panel.scrubber.setValue(6)
    moved = dataclasses.replace(w.state.projection, coords=w.state.coords * 2 + 1)
    w.state.preview_layout(moved.coords)
    assert not ext.overlay.line.isVisible()  # the points are moving: no stale path over them
    w.state.set_projection(moved, w.state.inverse)
    assert ext.overlay.line.isVisible() and ext.panel.scrubber.value() == 6
    np.testing.assert_allclose(ext.overlay.points, moved.coords[:PER_VIDEO], rtol=1e-6)
    np.testing.assert_allclose(ext.overlay.marker_xy, moved.coords[[1, 2]].mean(0), rtol=1e-5)
    ext.panel.clear_button.click()
    assert len(ext.overlay.points) == 0 and ext.path is None
    right_click_entry(w, menus, 4)[0].trigger()
    ext.dock.close()  # closing the panel takes its path off the map
    assert len(ext.overlay.points) == 0 and ext.path is None
    right_click_entry(w, menus, 4)[0].trigger()
    assert ext.dock.isVisible() and len(ext.overlay.points) == PER_VIDEO
    w.show_loaded(loaded)  # data without source videos
    assert len(ext.overlay.points) == 0 and ext.overlay.marker_xy is None and ext.path is None
    assert ext.panel.sources.count() == 0 and "no source videos" in ext.panel.note.text()


def test_sample_data_says_it_has_no_videos(window):
    ext = next(e for e in window.context.extensions if isinstance(e, TrajectoryExtension))
    view = next(a for a in window.view_menu.actions() if a.text() == "Show a &video's path…")
    view.trigger()
    assert "no source videos" in window.statusBar().currentMessage()
    assert ext.path is None and len(ext.overlay.points) == 0 and not window.status.last_error


def test_a_map_of_fewer_clips_than_its_store_offers_no_paths(open_window, videos):
    """Latents of part of a store (a store appended to since): clip indices would point at other clips."""
    from latentlab.app.dataset import Loaded, make_dataset
    from latentlab.core.inverse import make_inverse
    from latentlab.core.projection import fit_projection
    from tests.gui.fakes import FakeCodec

    codec = FakeCodec(latent_dim=4, frames=4, size=16)
    mu, logvar = codec.encode(videos.read(range(PER_VIDEO)))
    ds = make_dataset("part", mu, logvar, codec, videos, read_clips=videos.read, clusters=False)
    projection = fit_projection(mu, "pca")
    w = open_window(Loaded(ds, projection, make_inverse(mu, projection)))
    ext = next(e for e in w.context.extensions if isinstance(e, TrajectoryExtension))
    assert ext.index is None and "store holds 24" in ext.panel.note.text()
    assert ext.show_chosen() is None and "no video paths" in w.statusBar().currentMessage()

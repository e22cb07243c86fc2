"""View → Region labels: the map's clusters named on the map and in the Regions dock; a click zooms to one."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from PySide6.QtCore import Qt

from latentlab.core.explorer_state import ClipField
from latentlab.gui.map.region_extension import RegionExtension

SHAPES = ("square", "circle", "heart", "star")


def regions_of(window) -> RegionExtension:
    return next(e for e in window.context.extensions if isinstance(e, RegionExtension))


def view_action(window, text: str):
    return next(a for a in window.view_menu.actions() if a.text().replace("&", "") == text)


@pytest.fixture
def shaped(window, loaded):
    """The tiny dataset's four latent clusters (clip i is in cluster i % 4) as a ``shape`` field, the
    map coloured by it (as a sample dataset's class is)."""
    n = loaded.dataset.n_clips
    window.state.add_field(ClipField("shape", np.arange(n) % 4, SHAPES))
    window.state.set_colour_field("shape")
    return window


def turn_on(window, qtbot) -> RegionExtension:
    ext = regions_of(window)
    view_action(window, "Region labels").trigger()
    qtbot.waitUntil(lambda: ext.found is not None, timeout=5000)
    return ext


def test_region_labels_name_each_cluster_by_its_majority_shape(shaped, qtbot):
    w = shaped
    ext = turn_on(w, qtbot)
    regions, coords = ext.found.regions, w.state.coords
    assert len(regions) == 4
    truth = np.arange(w.state.dataset.n_clips) % 4
    drawn = [item for item in ext.labels.items if item.scene() is w.map.view.scene() and item.isVisible()]
    assert len(drawn) == 4
    named = set()
    for r, item in enumerate(drawn):
        members = truth[regions.labels == r]
        top = int(np.bincount(members).argmax())
        label = item.textItem.toPlainText()  # "circle 100%", and what sets it apart (" · high KL") if anything
        assert label.split(" · ")[0] == f"{SHAPES[top]} {np.mean(members == top):.0%}"
        named.add(SHAPES[top])
        centre = np.median(coords[regions.labels == r], axis=0)  # the label sits on its cluster
        spread = np.ptp(coords, axis=0).max()
        assert np.hypot(item.pos().x() - centre[0], item.pos().y() - centre[1]) < 0.15 * spread
    assert named == set(SHAPES)
    assert ext.dock.isVisible() and ext.panel.list.count() == 4
    assert ext.panel.list.item(0).text().startswith(drawn[0].textItem.toPlainText() + " · ")
    assert "named by shape" in ext.panel.note.text()

    assert ext.labels.shown == ext.labels.texts  # four clusters far apart: no label hides another

    view_action(w, "Region labels").trigger()  # off: nothing drawn
    assert ext.labels.items == [] and not any(
        type(i).__name__ == "TextItem" for i in w.map.view.addedItems if i.isVisible()
    )


def test_clicking_a_region_zooms_the_map_to_it_and_selects_its_clips(shaped, qtbot):
    w = shaped
    ext = turn_on(w, qtbot)
    (fx0, fx1), (fy0, fy1) = w.context.view_range()
    row = 2
    clips = ext.found.regions.clips(row)
    item = ext.panel.list.item(row)
    qtbot.mouseClick(
        ext.panel.list.viewport(), Qt.MouseButton.LeftButton, pos=ext.panel.list.visualItemRect(item).center()
    )
    qtbot.waitUntil(lambda: np.array_equal(w.state.selection, clips), timeout=5000)
    (x0, x1), (y0, y1) = w.context.view_range()
    xy = w.state.coords[clips]
    assert np.all((xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1))
    assert (x1 - x0) * (y1 - y0) < 0.5 * (fx1 - fx0) * (fy1 - fy0)  # zoomed in
    others = w.state.coords[np.setdiff1d(np.arange(len(w.state.coords)), clips)]
    in_view = (others[:, 0] >= x0) & (others[:, 0] <= x1) & (others[:, 1] >= y0) & (others[:, 1] <= y1)
    assert in_view.mean() < 0.5  # most clips of the other clusters are out of view


def test_overlapping_labels_hide_behind_the_largest_until_zoomed_in(shaped, qtbot):
    w = shaped
    ext = turn_on(w, qtbot)
    (x0, x1), (y0, y1) = w.context.view_range()
    far = 200 * max(x1 - x0, y1 - y0)  # zoomed far out: the four labels fall on one spot
    w.context.set_view_range((-far, far), (-far, far))
    assert ext.labels.shown == ext.labels.texts[:1]  # the largest region's label is the one left
    w.context.set_view_range((x0, x1), (y0, y1))
    assert ext.labels.shown == ext.labels.texts


def test_labels_follow_the_colour_field_and_a_new_map(shaped, qtbot, loaded):
    w = shaped
    ext = turn_on(w, qtbot)
    w.state.add_field(ClipField("size", np.arange(w.state.dataset.n_clips) % 2, ("small", "big")))
    w.state.set_colour_field("size")  # coloured by another class: the regions are named by it now
    qtbot.waitUntil(lambda: ext.found is not None and ext.found.field == "size", timeout=5000)
    assert all(t.split()[0] in ("small", "big") for t in ext.labels.texts)
    named = ext.labels.texts
    w.state.preview_layout(np.asarray(loaded.projection.coords) * 2)  # a map being fitted: its labels hide
    assert ext.labels.shown == []
    w.map.show_projection()  # the fit was cancelled: the map it showed is back, and its labels
    assert ext.labels.shown == named
    w.state.preview_layout(np.asarray(loaded.projection.coords) * 2)
    w.state.set_projection(copy.copy(loaded.projection), loaded.inverse)  # the fit ended: its regions are found
    qtbot.waitUntil(lambda: ext.found is not None and ext.found.projection is w.state.projection, timeout=5000)
    assert ext.labels.shown == named


def test_a_map_without_categories_still_gets_numbered_regions(window, qtbot, loaded):
    ds = loaded.dataset
    for name in [k for k, f in ds.fields.items() if f.categorical]:
        del ds.fields[name]
    window.state.set_colour_field("KL")
    ext = turn_on(window, qtbot)
    assert [t.split(" · ")[0] for t in ext.labels.texts] == [f"region {i + 1}" for i in range(len(ext.found.regions))]
    assert "no categorical field" in ext.panel.note.text()


def test_with_several_source_videos_each_label_names_its_top_video(shaped, qtbot):
    w = shaped
    n = w.state.dataset.n_clips
    w.state.add_field(ClipField("source", (np.arange(n) % 4 >= 2).astype(np.int64), ("a.mp4", "b.mp4")))
    ext = turn_on(w, qtbot)
    videos = w.state.dataset.fields["source"].values
    for r, text in enumerate(ext.labels.texts):
        members = videos[ext.found.regions.labels == r]
        top = int(np.bincount(members).argmax())
        share = f"{np.mean(members == top):.0%}"
        assert text.splitlines()[1] == f"{'ab'[top]}.mp4 {share}"
        assert ext.panel.list.item(r).text().endswith(f" · {'ab'[top]}.mp4 ({share})")


def test_tagging_a_regions_clips_renames_it_by_the_tag(shaped, qtbot):
    w = shaped
    ext = turn_on(w, qtbot)
    item = ext.panel.list.item(1)
    qtbot.mouseClick(
        ext.panel.list.viewport(), Qt.MouseButton.LeftButton, pos=ext.panel.list.visualItemRect(item).center()
    )
    clips = ext.found.regions.clips(1)
    qtbot.waitUntil(lambda: np.array_equal(w.state.selection, clips), timeout=5000)
    before = ext.found
    w.context.curation.tag_selection("landmark")  # the map is coloured by tag now: the labels follow
    qtbot.waitUntil(lambda: ext.found is not before and ext.found.field == "tag", timeout=5000)
    assert ext.labels.texts[1] == "landmark 100%"
    others = [label for r, label in enumerate(ext.found.labels) if r != 1]
    assert all(label.field == "shape" and label.category in SHAPES for label in others)  # untagged: by shape
    assert "named by tag and shape" in ext.panel.note.text()

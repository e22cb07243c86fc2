"""Pinned points: add, remove and tag with undo; export records marked as generated."""

from __future__ import annotations

import json

import numpy as np
import pytest

from latentlab.core.pinned_points import PinnedPoints, PinPoint, TagPinned, UnpinPoint, pinned_records
from latentlab.core.undo import UndoStack


def _pin(points, stack, z, pos=(1.0, 2.0), source=3):
    p = points.new_point(z, pos, source)
    stack.push(PinPoint(points, p))
    return p


def test_pin_unpin_and_undo_keep_the_order_and_never_reuse_ids():
    points, stack = PinnedPoints(), UndoStack()
    seen = []
    points.changed.connect(lambda: seen.append(len(points)))
    a = _pin(points, stack, np.zeros(4))
    b = _pin(points, stack, np.ones(4), pos=(5, 6), source=9)
    assert [p.name for p in points] == ["pinned 1", "pinned 2"]
    np.testing.assert_array_equal(points.positions(), [[1, 2], [5, 6]])
    stack.push(UnpinPoint(points, a.id))
    assert [p.id for p in points] == [b.id]
    stack.undo()
    assert [p.id for p in points] == [a.id, b.id]  # back where it was
    stack.undo()
    stack.undo()
    assert len(points) == 0
    c = _pin(points, stack, np.ones(4))
    assert c.id == 3  # ids are never reused, even after undo
    assert seen  # every edit said so


def test_tags_live_on_the_point_and_undo():
    points, stack = PinnedPoints(), UndoStack()
    p = _pin(points, stack, np.zeros(3))
    stack.push(TagPinned(points, p.id, "cats"))
    stack.push(TagPinned(points, p.id, "night"))
    assert points.get(p.id).tags == ("cats", "night")
    stack.push(TagPinned(points, p.id, "cats", remove=True))
    assert points.get(p.id).tags == ("night",)
    stack.undo()
    assert points.get(p.id).tags == ("cats", "night")
    with pytest.raises(ValueError, match="blank"):
        TagPinned(points, p.id, "  ")
    with pytest.raises(KeyError):
        TagPinned(points, 99, "x")


def test_bad_latents_are_refused():
    with pytest.raises(ValueError, match="finite"):
        PinnedPoints().new_point(np.array([0.0, np.nan]), (0, 0), 0)


def test_records_are_json_and_marked_generated():
    points, stack = PinnedPoints(), UndoStack()
    p = _pin(points, stack, np.array([0.5, -1.5], np.float32), pos=(0.25, 4.0), source=1)
    stack.push(TagPinned(points, p.id, "keep"))
    rows = pinned_records(list(points), ["k0", "k1"])
    assert rows == [
        {
            "id": 1,
            "name": "pinned 1",
            "generated": True,
            "source_index": 1,
            "source_key": "k1",
            "map_pos": [0.25, 4.0],
            "tags": ["keep"],
            "latent": [0.5, -1.5],
        }
    ]
    json.dumps(rows)


def test_an_interpolation_end_can_be_a_generated_latent():
    from latentlab.core.explorer_state import Dataset, ExplorerState

    mu = np.random.default_rng(0).normal(size=(20, 4)).astype(np.float32)
    dataset = Dataset("tiny", mu, np.zeros_like(mu), None, read_clips=lambda idx: None)
    state = ExplorerState()
    state.set_dataset(dataset)
    seen = []
    state.interpolation_changed.connect(seen.append)
    assert state.interpolation_end("a") is None
    state.set_interpolation(a=2)
    z = np.arange(4, dtype=np.float32)
    state.set_generated_end("b", "pinned 1", z)
    assert seen[-1] == (2, -1, "slerp")
    name, za = state.interpolation_end("a")
    assert name == "clip 2" and np.array_equal(za, mu[2])
    name, zb = state.interpolation_end("b")
    assert name == "pinned 1" and np.array_equal(zb, z)
    with pytest.raises(ValueError, match="latent of 3 values"):
        state.set_generated_end("a", "x", np.zeros(3))
    with pytest.raises(ValueError, match="'a' or 'b'"):
        state.set_generated_end("c", "x", z)
    state.set_interpolation(b=5)  # a clip replaces the generated end
    assert state.interpolation_end("b")[0] == "clip 5"
    state.set_generated_end("b", "pinned 1", z)
    state.set_dataset(dataset)
    assert state.interpolation_end("b") is None


def test_records_read_back_as_the_same_points_and_damage_is_named():
    from latentlab.core.pinned_points import points_from_records

    points, stack = PinnedPoints(), UndoStack()
    a = _pin(points, stack, np.array([0.5, -1.5], np.float32), source=1)
    stack.push(TagPinned(points, a.id, "keep"))
    rows = json.loads(json.dumps(pinned_records(list(points), ["k0", "k1"])))
    (back,) = points_from_records(rows, latent_dim=2, clip_keys=["k1", "k0"])  # another order of the store
    assert back.id == a.id and back.tags == ("keep",) and back.pos == a.pos and back.source == 0
    np.testing.assert_array_equal(back.z, a.z)
    with pytest.raises(ValueError, match="latent of 2 values; this model has 3"):
        points_from_records(rows, latent_dim=3)
    with pytest.raises(ValueError, match="pinned point 1 is damaged"):
        points_from_records([{"id": 1}], latent_dim=2)


def test_a_projects_points_are_shown_or_kept_whole_with_a_one_line_note():
    from latentlab.core.pinned_points import largest_id, project_points

    points, stack = PinnedPoints(), UndoStack()
    _pin(points, stack, np.arange(4), source=1)
    gone = points.new_point(np.ones(4), (0, 0), source=-1)  # its clip is not in the store any more
    stack.push(PinPoint(points, gone))
    records = pinned_records(list(points), ["k0", "k1", "k2"])
    assert [r["source_key"] for r in records] == ["k1", None]
    shown, kept, note = project_points(records, 4, ["x", "k1"])
    assert [(p.id, p.source) for p in shown] == [(1, 1), (2, -1)] and kept == [] and note is None
    shown, kept, note = project_points(records, 8, ["k1"])  # another model: none shown, all kept
    assert shown == [] and kept == records and "2 pinned points are not shown" in note and "\n" not in note
    assert largest_id(kept) == 2 and largest_id([{"id": True}, {}]) == 0
    again = PinnedPoints()
    again.restore([], reserved=largest_id(kept))
    assert len(again) == 0 and again.next_id == 3  # a new point never takes a kept one's id
    again.restore(project_points(records, 4, ["k1"])[0])
    assert [p.id for p in again] == [1, 2] and again.next_id == 3

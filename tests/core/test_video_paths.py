"""A source video as a path on the map: clips in time order, clip → (video, time), scrubber positions."""

from __future__ import annotations

import numpy as np
import pytest

from latentlab.core.video_paths import VideoIndex, clip_place, format_time, no_videos_reason
from latentlab.media.clip_store_format import table_dtype


def table(rows) -> np.ndarray:
    """A store table of ``(source_id, start_time)`` rows: 4-frame clips at 8 fps (0.5 s each)."""
    t = np.zeros(len(rows), table_dtype(()))
    for i, (sid, start) in enumerate(rows):
        t[i] = (sid, round(start * 8), round(start * 8) + 4, start, start + 0.5, 8.0)
    return t


SOURCES = [{"id": 0, "path": "/videos/a.mp4"}, {"id": 1, "path": "/videos/sub/b.mov"}]
# Two videos interleaved and out of order in the store (as after compaction or a parallel ingest).
ROWS = [(1, 1.0), (0, 1.0), (0, 0.0), (1, 0.0), (0, 0.5), (1, 0.5)]


def test_a_sources_clips_come_in_time_order():
    index = VideoIndex(SOURCES, table(ROWS))
    assert index.sources() == [(0, "a.mp4", 3), (1, "b.mov", 3)]
    a, b = index.path(0), index.path(1)
    assert a.clips.tolist() == [2, 4, 1] and b.clips.tolist() == [3, 5, 0]
    assert a.name == "a.mp4" and (a.t0, a.t1) == (0.0, 1.5)
    coords = np.arange(12, dtype=np.float32).reshape(6, 2)
    np.testing.assert_array_equal(a.points(coords), coords[[2, 4, 1]])
    with pytest.raises(KeyError):
        index.path(7)


def test_a_clip_knows_its_video_and_time():
    index = VideoIndex(SOURCES, table([(0, 0.0), (1, 72.25)]))
    place = index.place(1)
    assert (place.source_id, place.name, place.start_time) == (1, "b.mov", 72.25)
    assert place.describe() == "b.mov, at 1:12"
    with pytest.raises(IndexError):
        index.place(2)


def test_a_scrubber_time_gives_the_clip_the_frame_and_the_marker():
    index = VideoIndex(SOURCES, table(ROWS))
    coords = np.zeros((6, 2), np.float32)
    coords[[2, 4, 1]] = [(0, 0), (10, 0), (10, 20)]
    path = index.path(0)
    start = path.position(0.0, coords, frames=4)
    assert (start.k, start.clip, start.frame, start.xy) == (0, 2, 0, (0.0, 0.0))
    mid = path.position(0.25, coords, frames=4)  # half-way through the first clip: frame 2 of 4
    assert (mid.clip, mid.frame, mid.fraction) == (2, 2, 0.5) and mid.xy == (5.0, 0.0)
    second = path.position(0.75, coords, frames=4)
    assert (second.clip, second.frame, second.xy) == (4, 2, (10.0, 10.0))
    end = path.position(99.0, coords, frames=4)  # clamped to the video's end: the last frame of the last clip
    assert (end.time, end.clip, end.frame, end.xy) == (1.5, 1, 3, (10.0, 20.0))
    before = path.position(-5.0, coords, frames=4)
    assert before.clip == 2 and before.frame == 0


def test_a_gap_between_clips_holds_the_last_frame():
    """Clips cut with a stride longer than a clip leave gaps: the time in a gap shows the clip before."""
    index = VideoIndex(SOURCES[:1], table([(0, 0.0), (0, 2.0)]))
    pos = index.path(0).position(1.5, np.array([[0, 0], [4, 0]], np.float32), frames=4)
    assert (pos.clip, pos.frame) == (0, 3) and pos.xy == (3.0, 0.0)


def test_unusable_rates_and_names_do_not_break_a_path():
    t = table([(0, 0.0), (0, 0.5)])
    t["fps"] = [0.0, np.nan]
    t["start_time"][1] = t["end_time"][1] = np.nan  # a garbled row: its time from its frame numbers
    index = VideoIndex([{"id": 0}], t)  # a source with no path
    path = index.path(0)
    assert path.name == "source 0" and np.all(path.fps > 0)
    assert np.isfinite(path.start).all() and np.isfinite(path.end).all() and path.clips.tolist() == [0, 1]
    assert path.position(0.2, np.zeros((2, 2)), frames=4).frame >= 0


def test_stores_without_source_videos_say_why():
    class Procedural:
        factor_names = ["shape"]

        def __len__(self):
            return 10

    class Videos(Procedural):
        factor_names: list[str] = []

    assert "no source videos" in no_videos_reason(None)
    assert "generated" in no_videos_reason(Procedural())
    assert no_videos_reason(Videos()) is None


def test_times_read_like_a_player():
    assert [format_time(s) for s in (0, 12.9, 72, 3723)] == ["0:00", "0:12", "1:12", "1:02:03"]


def test_one_clips_place_is_read_from_the_store_alone(tmp_path):
    from tests.video_stores import random_video_store

    store = random_video_store(tmp_path / "s", clips_per_video=5)
    place = clip_place(store, 7)  # the third clip of b.mp4, 1/3 s apart
    assert (place.name, place.source_id, round(place.start_time, 3)) == ("b.mp4", 1, 0.667)
    assert place == VideoIndex.of_store(store).place(7)
    assert clip_place(store, 10) is None and clip_place(None, 0) is None


def test_a_clips_caption_names_its_video_and_time_when_there_is_one(tmp_path):
    from latentlab.core.video_paths import clip_caption
    from tests.video_stores import random_video_store

    store = random_video_store(tmp_path / "s", clips_per_video=5)
    assert clip_caption(store, 7) == "clip 7 · b.mp4, at 0:00"
    assert clip_caption(None, 42) == "clip 42"  # sample data: no source videos

"""The hover card names the clip under the mouse: with its source video and time when the store has videos."""

from __future__ import annotations

from latentlab.media.demo_data import write_demo_store
from tests.gui import mouse
from tests.gui.fakes import SPEC, fake_open_dataset
from tests.video_stores import random_video_store


def _hover_caption(qtbot, w, clip: int) -> tuple[int, str]:
    """``(clip hovered, the card's caption)`` with the mouse on ``clip``'s point (another may lie on top)."""
    m = w.map
    x, y = map(float, w.state.coords[clip])
    shown = m.pick(x, y)
    assert shown >= 0
    mouse.hover(m, x, y)
    qtbot.waitUntil(lambda: m.thumb.isVisible() and m.thumb.tag == shown, timeout=5000)
    return shown, m.thumb.caption


def test_the_hover_card_says_which_video_and_when(open_window, qtbot, tmp_path):
    videos = random_video_store(tmp_path / "videos", clips_per_video=12)
    w = open_window(fake_open_dataset(str(videos.path), "model"))
    clip, caption = _hover_caption(qtbot, w, 12 + 5)  # the sixth clip of b.mp4, at 5/3 s
    row = videos.table[clip]
    name, seconds = ("a.mp4", "b.mp4")[int(row["source_id"])], int(row["start_time"])
    assert caption == f"clip {clip} · {name}, at 0:{seconds:02d}"


def test_sample_data_keeps_the_clip_number(open_window, qtbot, tmp_path):
    store = tmp_path / "sample"
    write_demo_store(store, SPEC)
    w = open_window(fake_open_dataset(str(store), "model"))
    clip, caption = _hover_caption(qtbot, w, 5)
    assert caption == f"clip {clip}"

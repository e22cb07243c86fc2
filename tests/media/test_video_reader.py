"""The tolerant frame iterator: what it reads, and what it says about files that break."""

from __future__ import annotations

import os
import sys
import tracemalloc

import cv2
import numpy as np
import pytest

from latentlab.media.clip_cutter import CutSettings
from latentlab.media.ingest_worker import cut_file
from latentlab.media.video_reader import VideoOpenError, VideoReader, check_readable
from latentlab.media.video_writer import VideoWriteError, write_gif, write_video
from tests.media.helpers import corrupt, rotate_mp4_90, set_avi_frame_count, truncate


def read_all(path, **kw):
    with VideoReader(path, **kw) as reader:
        frames = list(reader.frames())
    return frames, reader.stats


def naive_count(path) -> int:
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.read()[0]:
        n += 1
    return n


@pytest.mark.parametrize("ext", [".mp4", ".avi", ".webm"])
def test_reads_every_frame_as_rgb_with_timestamps(tmp_path, ext):
    frames = np.zeros((10, 48, 64, 3), np.uint8)
    frames[..., 0] = 220  # pure red in RGB
    path = write_video(tmp_path / f"red{ext}", frames, 10.0)
    got, stats = read_all(path)
    assert len(got) == stats.frames_read == 10
    image, t, index = got[3]
    assert image.shape == (48, 64, 3) and image.dtype == np.uint8
    assert image[..., 0].mean() > 180 and image[..., 2].mean() < 40  # RGB, not BGR
    times = np.array([g[1] for g in got])
    assert np.allclose(times, np.arange(10) / 10.0, atol=2e-3)
    assert [g[2] for g in got] == list(range(10)) and stats.problems() == []


def test_empty_file(tmp_path):
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(VideoOpenError, match=r"empty file \(0 bytes\)"):
        VideoReader(tmp_path / "empty.mp4")


def test_text_file_named_mp4(tmp_path):
    (tmp_path / "notes.mp4").write_text("these are my notes, not a video\n" * 20)
    with pytest.raises(VideoOpenError, match="not a video: the file holds text"):
        VideoReader(tmp_path / "notes.mp4")


def test_mp4_cut_before_its_index(make_video):
    path = truncate(make_video("cut.mp4", n=40), 0.5)  # OpenCV writes the moov box at the end
    with pytest.raises(VideoOpenError, match="without its index"):
        VideoReader(path)


def test_truncated_avi_reads_its_first_part(make_video):
    path = truncate(make_video("cut.avi", n=60), 0.5)
    frames, stats = read_all(path)
    assert 10 < len(frames) < 40
    assert any("ended early" in p for p in stats.problems())


def test_corrupted_middle_is_read_past(make_video):
    path = corrupt(make_video("broken.mp4", n=300), start=0.5, length=0.05)
    frames, stats = read_all(path)
    naive = naive_count(path)
    assert naive < 200  # a loop that stops at the first failed read loses the second half
    assert len(frames) > 270 and stats.failed_reads > 0
    assert any("damaged region" in p for p in stats.problems())
    times = [f[1] for f in frames]
    assert all(b > a for a, b in zip(times, times[1:]))


def test_header_frame_count_that_lies_low(make_video):
    path = set_avi_frame_count(make_video("liar.avi", n=40), 5)
    assert cv2.VideoCapture(str(path)).get(cv2.CAP_PROP_FRAME_COUNT) == 5  # the header really lies
    frames, stats = read_all(path)
    assert len(frames) == 40 and stats.header_frames == 5 and stats.problems() == []


def test_grayscale_source_comes_back_with_three_channels(tmp_path):
    writer = cv2.VideoWriter(str(tmp_path / "grey.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48), False)
    assert writer.isOpened()
    for i in range(12):
        writer.write(np.full((48, 64), 20 * i, np.uint8))
    writer.release()
    frames, _ = read_all(tmp_path / "grey.avi")
    assert len(frames) == 12
    image = frames[5][0]
    assert image.shape == (48, 64, 3)
    assert np.array_equal(image[..., 0], image[..., 1]) and abs(int(image.mean()) - 100) <= 3


def test_odd_frame_size(make_video):
    frames, stats = read_all(make_video("odd.mp4", n=12, h=47, w=63))
    assert len(frames) == 12
    h, w = stats.frame_size
    assert abs(h - 47) <= 1 and abs(w - 63) <= 1  # the codec may round odd sizes


def test_rotation_metadata_is_applied_once(tmp_path):
    frames = np.zeros((12, 48, 64, 3), np.uint8)  # landscape, a red square at the top-left
    frames[:, :8, :8] = (255, 0, 0)
    path = rotate_mp4_90(write_video(tmp_path / "phone.mp4", frames, 12.0))
    got, stats = read_all(path)
    image = got[0][0]
    assert stats.rotation == 90
    assert image.shape == (64, 48, 3)  # portrait, as the phone meant it
    red = np.argwhere(image[..., 0] > 200)
    # rotated 90 degrees clockwise once: the top-left square is now at the top-right
    assert red[:, 0].max() < 10 and red[:, 1].min() > 38


def test_non_ascii_path(make_video):
    frames, _ = read_all(make_video("vidéos/été 東京 🎥.mp4", n=9))
    assert len(frames) == 9


def test_broken_symlink_and_fifo(tmp_path):
    (tmp_path / "gone.mp4").symlink_to(tmp_path / "deleted.mp4")
    with pytest.raises(VideoOpenError, match="broken symbolic link"):
        check_readable(tmp_path / "gone.mp4")
    os.mkfifo(tmp_path / "pipe.mp4")
    with pytest.raises(VideoOpenError, match="named pipe"):  # refused without opening: no hang
        VideoReader(tmp_path / "pipe.mp4")


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0,
    reason="root reads files whatever their mode; covered by the broken-symlink and FIFO cases",
)
def test_unreadable_file(make_video):
    path = make_video("secret.mp4")
    path.chmod(0)
    try:
        with pytest.raises(VideoOpenError, match="permission denied"):
            VideoReader(path)
    finally:
        path.chmod(0o644)


def test_huge_frames_are_shrunk_as_they_are_read(tmp_path):
    h, w = 1440, 2560
    big = np.zeros((12, h, w, 3), np.uint8)
    big[:, :, : w // 2] = 200
    path = write_video(tmp_path / "big.avi", big, 12.0)
    del big
    clips = []
    tracemalloc.start()
    try:
        cut_file(path, CutSettings(frames=4), clips.append)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    frame_bytes = h * w * 3
    assert len(clips) == 3 and clips[0].clip.shape == (4, 64, 64, 3)
    assert frame_bytes <= peak < 3 * frame_bytes  # one decoded frame at a time, not the whole video


def test_write_video_errors_and_gif(tmp_path):
    with pytest.raises(VideoWriteError, match="unknown video extension"):
        write_video(tmp_path / "x.xyz", np.zeros((2, 8, 8, 3), np.uint8), 10)
    with pytest.raises(VideoWriteError, match="uint8"):
        write_video(tmp_path / "x.mp4", np.zeros((2, 8, 8, 3), np.float32), 10)
    with pytest.raises(VideoWriteError, match="could not open"):
        write_video(tmp_path / "no" / "such" / "folder.mp4", np.zeros((2, 8, 8, 3), np.uint8), 10)
    from PIL import Image

    frames = np.arange(5, dtype=np.uint8)[:, None, None, None] * 40 + np.zeros((5, 8, 8, 3), np.uint8)
    gif = write_gif(tmp_path / "a.gif", frames, fps=10)
    with Image.open(gif) as im:
        assert im.n_frames == 5 and im.size == (8, 8) and im.info["duration"] == 100


def test_completeness_is_judged_by_the_time_covered():
    from latentlab.media.video_reader import ReadStats

    # an AVI whose header counts 444 frames at 30 fps (14.8 s) but holds 68 real frames over all of it
    whole = ReadStats(frames_read=68, header_frames=444, header_fps=30.0, last_time=14.75)
    assert not whole.ended_early and whole.problems() == []
    cut = ReadStats(frames_read=68, header_frames=444, header_fps=30.0, last_time=2.2)
    assert cut.ended_early and "truncated file?" in cut.problems()[0]
    guessed = ReadStats(frames_read=68, header_frames=444, header_fps=30.0, last_time=14.75, synthetic_timestamps=68)
    assert guessed.ended_early  # without real timestamps the count decides

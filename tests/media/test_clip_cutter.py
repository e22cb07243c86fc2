"""Resizing with aspect handling, timestamp resampling and clip cutting (no video files needed)."""

from __future__ import annotations

import numpy as np
import pytest

from latentlab.media.clip_cutter import ClipCutter, CutSettings, TimedFrame, TimestampResampler, make_resizer


def resample(times, fps):
    r = TimestampResampler(fps)
    out = []
    for i, t in enumerate(times):
        out += r.push(TimedFrame(np.zeros((1, 1, 3), np.uint8), t, i))
    return out + r.finish()


def test_resampling_picks_the_nearest_timestamp_without_drift():
    src = np.arange(300) / 30.0  # 10 s at 30 fps
    out = resample(src, 10.0)
    assert [f.index for f in out] == list(range(0, 300, 3))
    assert np.allclose([f.time for f in out], np.arange(100) / 10.0)


def test_variable_frame_rate_is_resampled_by_time_not_by_index():
    rng = np.random.default_rng(0)
    src = np.cumsum(rng.uniform(0.02, 0.05, 400))  # jittery phone timestamps, ~11.6 s
    src -= src[0]
    out = resample(src, 12.0)
    assert len(out) == int(src[-1] * 12) + 1 or len(out) == int(src[-1] * 12) + 2
    for f in out:  # each output frame is the source frame nearest its target time
        assert abs(src[f.index] - f.time) == pytest.approx(np.abs(src - f.time).min())


def resample_skipping(times, fps):
    """Like :func:`resample`, but frames the resampler does not want are never pushed."""
    r = TimestampResampler(fps)
    out, pushed = [], 0
    for i, t in enumerate(times):
        if r.wants(t) or i == 0:
            out += r.push(TimedFrame(np.zeros((1, 1, 3), np.uint8), t, i))
            pushed += 1
    return out + r.finish(), pushed


@pytest.mark.parametrize("src_fps, fps", [(30.0, 12.0), (30.0, 10.0), (25.0, 24.0), (24.0, 30.0)])
def test_skipping_unwanted_frames_changes_nothing_at_a_constant_rate(src_fps, fps):
    times = np.arange(500) / src_fps
    full = [(f.index, f.time) for f in resample(times, fps)]
    skipped, pushed = resample_skipping(times, fps)
    assert [(f.index, f.time) for f in skipped] == full
    if fps < src_fps / 2:
        assert pushed < 0.75 * len(times)  # most frames were never converted


def test_skipping_on_variable_rate_is_at_most_one_frame_off():
    rng = np.random.default_rng(3)
    times = np.cumsum(rng.uniform(0.02, 0.06, 600))
    full = resample(times, 10.0)
    skipped, _ = resample_skipping(times, 10.0)
    assert len(skipped) == len(full)
    assert max(abs(a.index - b.index) for a, b in zip(full, skipped)) <= 1


def test_upsampling_repeats_frames_and_pass_through_keeps_all():
    out = resample(np.arange(10) / 10.0, 30.0)
    assert len(out) == 28 + 1  # 0 .. 0.9 s at 30 fps, plus a target within half a frame after the last
    assert [f.index for f in out[:6]] == [0, 0, 1, 1, 1, 2]
    assert [f.index for f in resample([0.0, 0.5, 0.7], None)] == [0, 1, 2]


def _wide_frame():
    img = np.zeros((40, 120, 3), np.uint8)  # left third red, middle green, right third blue
    img[:, :40, 0] = img[:, 40:80, 1] = img[:, 80:, 2] = 255
    return img


def test_crop_keeps_the_centre_of_wide_and_tall_frames():
    out = make_resizer(CutSettings(height=16, width=16, fit="crop"))(_wide_frame())
    assert out.shape == (16, 16, 3) and out[..., 1].min() == 255 and out[..., [0, 2]].max() == 0
    tall = np.ascontiguousarray(_wide_frame().transpose(1, 0, 2))  # portrait: red top, blue bottom
    out = make_resizer(CutSettings(height=16, width=16, fit="crop"))(tall)
    assert out[..., 1].min() == 255


def test_pad_keeps_everything_with_black_bars_and_stretch_distorts():
    out = make_resizer(CutSettings(height=30, width=30, fit="pad"))(_wide_frame())
    assert out.shape == (30, 30, 3)
    assert out[:5].max() == 0 and out[-5:].max() == 0  # bars above and below
    assert out[15, 2, 0] == 255 and out[15, 15, 1] == 255 and out[15, 27, 2] == 255
    out = make_resizer(CutSettings(height=30, width=30, fit="stretch"))(_wide_frame())
    assert out[0, 2, 0] == 255 and out[0, 27, 2] == 255


@pytest.mark.parametrize("mode", ["fast", "area"])
def test_large_downscale_averages_instead_of_aliasing(mode):
    stripes = np.zeros((512, 512, 3), np.uint8)
    stripes[:, ::2] = 255  # one-pixel stripes: any honest average is mid-grey
    out = make_resizer(CutSettings(height=32, width=32, resize=mode))(stripes)
    assert abs(float(out.mean()) - 127.5) < 4 and out.std() < 4


def test_cutter_stride_and_records():
    cutter = ClipCutter(frames=8, step=4, fps=None, fallback_fps=25.0)
    clips = []
    for i in range(20):
        rec = cutter.push(TimedFrame(np.full((4, 4, 3), i, np.uint8), i / 10.0, i))
        if rec is not None:
            clips.append(rec)
    assert [c.start_frame for c in clips] == [0, 4, 8, 12]
    assert [c.end_frame for c in clips] == [8, 12, 16, 20]
    assert clips[1].clip[:, 0, 0, 0].tolist() == list(range(4, 12))
    assert clips[1].fps == pytest.approx(10.0) and clips[1].end_time == pytest.approx(0.4 + 0.8)


def test_cutter_grey_and_gaps_between_clips():
    cutter = ClipCutter(frames=2, step=5, fps=12.0, fallback_fps=25.0, channels=1)
    recs = [r for i in range(12) if (r := cutter.push(TimedFrame(np.full((4, 4, 3), 100, np.uint8), i, i)))]
    assert [r.start_frame for r in recs] == [0, 5, 10]
    assert recs[0].clip.shape == (2, 4, 4, 1) and recs[0].clip.max() == 100 and recs[0].fps == 12.0


def test_settings_are_checked():
    for bad in (dict(channels=2), dict(fit="zoom"), dict(stride=0), dict(fps=0), dict(frames=0)):
        with pytest.raises(ValueError):
            CutSettings(**bad)


@pytest.mark.parametrize("jump", [3600.0, -3600.0])
def test_a_broken_timeline_restarts_resampling_instead_of_filling_the_gap(jump):
    """25 fps for 2 s, a timestamp jump of an hour (forward or back), 2 s more: about 48 frames at 12 fps,
    not 43 000 copies of one frame (forward) or nothing at all (back)."""
    times = [i / 25 for i in range(50)] + [jump + i / 25 for i in range(50)]
    out = resample(times, 12.0)
    assert 44 <= len(out) <= 50
    assert [f.index for f in out] == sorted(f.index for f in out)  # still in decode order


def test_a_slow_time_lapse_is_still_resampled_not_restarted():
    """Regular 2-second gaps are the video's own rate, not a broken timeline."""
    out = resample([2.0 * i for i in range(10)], 1.0)
    assert len(out) == 19  # one output per second from 0 to 18 s

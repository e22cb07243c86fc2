"""Moving handwritten digits: deterministic, held-out handwriting, factors where the digit is."""

from __future__ import annotations

import numpy as np

from latentlab.media.digits_data import FACTOR_NAMES, DigitsSpec, digit_images, generate_digit_clips, write_digits_store
from latentlab.media.sample_data import SAMPLE_DATASETS, sample_for_config


def test_same_spec_same_bytes_and_ranges_are_independent(tmp_path):
    spec = DigitsSpec(n_clips=600, frames=4, size=32, seed=3)
    whole, fw = generate_digit_clips(spec, 0, 600)
    parts = [generate_digit_clips(spec, a, b - a) for a, b in ((0, 111), (111, 600))]
    assert np.array_equal(whole, np.concatenate([p[0] for p in parts]))
    again, _ = generate_digit_clips(spec, 0, 600)
    other, _ = generate_digit_clips(DigitsSpec(n_clips=600, frames=4, size=32, seed=4), 0, 600)
    assert np.array_equal(whole, again) and not np.array_equal(whole, other)
    store = write_digits_store(tmp_path / "d", DigitsSpec(n_clips=300, frames=8, size=32, seed=1))
    assert list(store.factors()) == list(FACTOR_NAMES) and len(store) == 300
    assert store.attrs["digits"]["images"] == "train"


def test_test_images_are_handwriting_the_training_images_never_show():
    _, _, train_ids = digit_images(16, "train")
    _, test_classes, test_ids = digit_images(16, "test")
    assert not set(train_ids) & set(test_ids)
    assert len(train_ids) + len(test_ids) == 1797 and set(test_classes) == set(range(10))
    _, f = generate_digit_clips(DigitsSpec(n_clips=500, seed=2, images="test"), 0, 500)
    assert set(f["image"].astype(int)) <= set(test_ids)


def test_the_smallest_frames_still_leave_the_digit_room_to_move():
    clips, f = generate_digit_clips(DigitsSpec(n_clips=20, frames=4, size=8, seed=1), 0, 20)
    assert clips.shape == (20, 4, 8, 8, 3) and clips.max() > 0
    assert np.ptp(f["x_mid"]) > 0 and np.ptp(f["y_mid"]) > 0


def test_the_digit_is_where_its_factors_say():
    clips, f = generate_digit_clips(DigitsSpec(n_clips=40, frames=8, size=32, seed=5), 0, 40)
    assert set(np.unique(f["digit"])) <= set(range(10))
    centres = (np.arange(32) + 0.5) / 32
    for i in range(5):
        frame = clips[i, 4, :, :, 0].astype(float)  # the middle frame
        ink_x = frame.sum(axis=0) @ centres / frame.sum()  # where the ink is centred
        ink_y = frame.sum(axis=1) @ centres / frame.sum()
        assert abs(ink_x - f["x_mid"][i]) < 0.005 and abs(ink_y - f["y_mid"][i]) < 0.005
    assert (clips[..., 0] == clips[..., 1]).all()  # white on black


def test_sample_registry_knows_both_kinds_and_the_config_of_their_models():
    assert set(SAMPLE_DATASETS) == {"sprites", "digits"}
    assert sample_for_config({"data": {"sample_kind": "digits"}}) is SAMPLE_DATASETS["digits"]
    assert sample_for_config({"data": {"demo_spec": {"n_clips": 5}}}) is SAMPLE_DATASETS["sprites"]
    assert sample_for_config({"data": {}}) is None
    assert SAMPLE_DATASETS["digits"].spec(n_clips=7, unknown=1).n_clips == 7

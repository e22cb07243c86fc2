import threading

import numpy as np
import pytest

from latentlab.ml.checkpoint import load_checkpoint
from latentlab.ml.live_training import LiveTraining, aligned_map, sample_indices
from latentlab.ml.trainer import Trainer, TrainSettings

SETTINGS = TrainSettings(
    epochs=2, batch_size=8, lr=3e-3, lr_warmup=0.1, kl_warmup=0.25, val_fraction=0.1, seed=3, device="cpu"
)
STEPS_PER_EPOCH = 86 // 8  # 96 clips, 10 for validation


def _run_in_thread(trainer, live):
    out = {}

    def target():
        try:
            out["metrics"] = trainer.fit([live])
        except BaseException as exc:  # noqa: BLE001 - re-raised by the test
            out["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    return thread, out


def test_two_epochs_give_loss_terms_per_step_and_one_aligned_map_per_epoch(tmp_path, tiny_config, tiny_store):
    steps, samples = [], []
    live = LiveTraining(
        tiny_store, sample_size=40, seed=1, on_step=lambda s, m: steps.append((s, m)), on_epoch=samples.append
    )
    trainer = Trainer(tiny_config, tiny_store, tmp_path / "ck", SETTINGS)
    live.attach(trainer)
    trainer.fit([live])
    assert [s for s, _ in steps] == live.steps == list(range(1, 2 * STEPS_PER_EPOCH + 1))
    assert len(live.terms["nll"]) == len(live.terms["kl"]) == len(steps)
    assert np.isfinite(live.terms["nll"]).all() and {"nll", "kl", "beta"} <= set(steps[0][1])
    assert [s.epoch for s in samples] == [1, 2] and samples == live.samples
    for s in samples:
        assert s.mu.shape == s.logvar.shape == (40, tiny_config.latent_dim)
        assert s.coords.shape == (40, 2) and np.isfinite(s.coords).all()
        assert s.kl_per_dim.shape == (tiny_config.latent_dim,) and "val_psnr" in s.metrics
    assert np.array_equal(samples[0].indices, samples[1].indices)
    assert not np.allclose(samples[0].mu, samples[1].mu)  # the weights moved between epochs
    load_checkpoint(tmp_path / "ck")


def test_the_sample_is_encoded_with_the_current_weights_without_changing_the_mode(tiny_config, tiny_store):
    from latentlab.ml.codec import ClipCodec
    from latentlab.ml.model import VideoVAE

    model = VideoVAE(tiny_config)
    live = LiveTraining(tiny_store, sample_size=12)
    for training in (True, False):
        model.train(training)
        mu, logvar = live.encode_sample(model)
        assert model.training is training
    codec = ClipCodec(VideoVAE(tiny_config), {}, "x")
    codec.model.load_state_dict(model.state_dict())
    ref_mu, ref_logvar = codec.encode(tiny_store.read(live.indices))
    np.testing.assert_allclose(mu, ref_mu, atol=1e-5)
    np.testing.assert_allclose(logvar, ref_logvar, atol=1e-5)


def test_sample_indices_are_seeded_sorted_and_capped():
    a = sample_indices(5000, 1000, seed=7)
    assert len(a) == 1000 and len(np.unique(a)) == 1000 and np.all(np.diff(a) > 0) and a.max() < 5000
    assert np.array_equal(a, sample_indices(5000, 1000, seed=7))
    assert not np.array_equal(a, sample_indices(5000, 1000, seed=8))
    assert np.array_equal(sample_indices(30, 1000), np.arange(30))


def test_aligned_map_undoes_a_flip_or_rotation_of_the_latent_space(rng):
    mu = rng.normal(size=(200, 6)) * np.array([3, 2, 1, 0.5, 0.2, 0.1])
    first = aligned_map(mu, None)
    q, _ = np.linalg.qr(rng.normal(size=(6, 6)))  # a random orthogonal change of latent axes
    for moved in (-mu, mu @ q):
        again = aligned_map(moved, first)
        np.testing.assert_allclose(again, first - first.mean(0), atol=1e-4)
    assert aligned_map(mu, np.zeros((3, 2))).shape == (200, 2)  # a map of another sample is ignored


def test_a_resumed_run_aligns_its_first_map_to_the_last_one_shown(tmp_path, tiny_config, tiny_store):
    first = LiveTraining(tiny_store, sample_size=30)
    trainer = Trainer(tiny_config, tiny_store, tmp_path / "ck", TrainSettings(**{**SETTINGS.to_dict(), "epochs": 1}))
    first.attach(trainer)
    trainer.fit([first])
    shown = first.samples[-1].coords
    flipped = -shown  # as if the last map had been drawn mirrored: the next one must follow it
    second = LiveTraining(tiny_store, sample_size=30, previous_map=flipped)
    trainer = Trainer(tiny_config, tiny_store, tmp_path / "ck", SETTINGS, resume=True)
    second.attach(trainer)
    trainer.fit([second])
    fresh = LiveTraining(tiny_store, sample_size=30)
    fresh.attach(trainer)
    fresh.on_epoch_end(2, {})  # the same weights mapped without a previous map
    aligned, unaligned = second.samples[0].coords, fresh.samples[0].coords
    assert np.linalg.norm(aligned - flipped) < np.linalg.norm(unaligned - flipped)


def test_smoothed_terms_are_a_moving_average_and_a_resume_drops_the_replayed_steps(tiny_store):
    seen = []
    live = LiveTraining(tiny_store, sample_size=4, smoothing=0.5, on_step=lambda s, m: seen.append(m))
    for step, nll in enumerate([10.0, 0.0, 0.0, 4.0], start=1):
        live.on_step(step, {"nll": nll, "kl": 1.0})
    assert live.smoothed["nll"] == [10.0, 5.0, 2.5, 3.25] and live.smoothed["kl"] == [1.0] * 4
    assert [m["nll_smooth"] for m in seen] == live.smoothed["nll"] and seen[-1]["nll"] == 4.0
    live.on_fit_start(total_steps=10, start_step=2)  # resumed from the bundle saved at step 2
    assert live.steps == [1, 2] and live.terms["nll"] == [10.0, 0.0] and live.smoothed["nll"] == [10.0, 5.0]


def test_pause_holds_the_run_between_steps_and_resume_goes_on(tmp_path, tiny_config, tiny_store):
    held, released = threading.Event(), threading.Event()
    events = []

    def on_pause(paused, step):
        events.append((paused, step))
        (held if paused else released).set()

    live = LiveTraining(tiny_store, sample_size=8, on_pause=on_pause)
    trainer = Trainer(tiny_config, tiny_store, tmp_path / "ck", SETTINGS)
    live.attach(trainer)
    live.pause()
    thread, out = _run_in_thread(trainer, live)
    try:
        assert held.wait(60)
        assert live.paused and live.steps == [1]  # held right after the first step
        assert not released.is_set() and thread.is_alive()
        live.resume()
        thread.join(120)
    finally:
        live.stop()
        thread.join(60)
    assert "error" not in out and out["metrics"]["epoch"] == 2
    assert events == [(True, 1), (False, 1)]
    assert live.steps == list(range(1, 2 * STEPS_PER_EPOCH + 1))


@pytest.mark.parametrize("how", ["stop", "host cancel"])
def test_a_paused_run_still_stops_and_saves_a_loadable_bundle(tmp_path, tiny_config, tiny_store, how):
    held = threading.Event()
    host = threading.Event()
    live = LiveTraining(tiny_store, sample_size=8, cancel=host.is_set, on_pause=lambda p, s: p and held.set())
    trainer = Trainer(tiny_config, tiny_store, tmp_path / "ck", SETTINGS)
    live.attach(trainer)
    live.pause()
    thread, out = _run_in_thread(trainer, live)
    assert held.wait(60)
    if how == "stop":
        live.stop()
    else:
        host.set()  # e.g. the GUI job was cancelled: nothing wakes the run, it polls
    thread.join(60)
    assert not thread.is_alive() and "error" not in out
    assert trainer.cancelled and live.steps == [1] and live.samples == []
    _, config = load_checkpoint(tmp_path / "ck")
    assert config["metrics"]["step"] == 1 and config["metrics"]["epoch"] == 0


def test_stop_before_the_trainer_exists_cancels_it_on_attach(tmp_path, tiny_config, tiny_store):
    live = LiveTraining(tiny_store, sample_size=8)
    live.stop()
    trainer = Trainer(tiny_config, tiny_store, tmp_path / "ck", SETTINGS)
    live.attach(trainer)
    metrics = trainer.fit([live])
    assert trainer.cancelled and metrics == {} and live.steps == []
    assert not (tmp_path / "ck" / "config.json").exists()  # nothing trained, nothing written

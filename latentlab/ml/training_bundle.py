"""A training run written to its checkpoint bundle, and read back to resume it.

The bundle (:mod:`latentlab.ml.checkpoint`) receives the weights, the training settings and a description
of the clips the model was trained on; the resume state beside it (:mod:`latentlab.ml.train_state`)
receives the optimizer, the RNG states, the position in the run and the metrics history.
:class:`~latentlab.ml.trainer.Trainer` calls :func:`save_run` after an epoch and at the end, and
:func:`load_run` on ``resume``.
"""

from __future__ import annotations

from pathlib import Path

import torch

from latentlab.media.clip_store import ClipStore
from latentlab.ml.checkpoint import CheckpointError, check_state, read_config, read_weights, save_checkpoint
from latentlab.ml.train_state import load_train_state, save_train_state


def save_run(
    out_dir: Path,
    store: ClipStore,
    model,
    opt,
    noise,
    *,
    training: dict,
    metrics: dict,
    position: tuple[int, int, int, float],
    history: list[dict],
    split: tuple[int, int, list[str], str],
) -> None:
    """Write the bundle and its resume state.

    ``position`` is ``(epoch, batch_in_epoch, step, train_seconds)``; ``split`` is
    ``(n_train, n_val, val_sources, how)``: the training and validation clip counts, the held-out videos
    and how the validation clips were chosen (:func:`latentlab.ml.data.split_note`).
    """
    epoch, batch_in_epoch, step, train_seconds = position
    n_train, n_val, val_sources, how = split
    attrs = store.attrs
    kind = "digits" if attrs.get("digits") else ("sprites" if attrs.get("demo") else None)
    data = {
        "store_name": store.path.name,
        "store_fingerprint": store.fingerprint,
        "n_clips": len(store),
        "n_train": n_train,
        "n_val": n_val,
        "split": how,
        "val_sources": val_sources,
        "demo_spec": attrs.get("demo"),  # the sprites' spec (the name older versions read)
        "sample_kind": kind,
        "sample_spec": attrs.get("digits") or attrs.get("demo"),
    }
    weights_hash = save_checkpoint(out_dir, model, training=training, data=data, metrics=metrics)
    rng = {"noise": noise.get_state().cpu(), "torch_cpu": torch.get_rng_state()}
    scalars = {
        "epoch": epoch,
        "batch_in_epoch": batch_in_epoch,
        "step": step,
        "train_seconds": train_seconds,
        "history": history,
    }
    save_train_state(out_dir, opt, rng, scalars, weights_hash)


def load_run(out_dir: Path, model, opt, noise) -> tuple[tuple[int, int, int, float], list[dict]]:
    """Restore the weights, optimizer and RNG states saved by :func:`save_run`.

    Returns ``(epoch, batch_in_epoch, step, train_seconds)`` and the metrics history.
    """
    config = read_config(out_dir)
    state, weights_hash = read_weights(out_dir, config)
    check_state(state, model, str(out_dir / "model.safetensors"))
    model.load_state_dict(state)
    try:
        rng, scalars = load_train_state(out_dir, opt, weights_hash)
        noise.set_state(rng["noise"])
        torch.set_rng_state(rng["torch_cpu"])
    except (KeyError, RuntimeError, TypeError) as exc:
        raise CheckpointError(f"{out_dir}: the RNG state cannot be restored ({exc})") from None
    position = (
        int(scalars["epoch"]),
        int(scalars["batch_in_epoch"]),
        int(scalars["step"]),
        float(scalars["train_seconds"]),
    )
    return position, list(scalars.get("history", []))

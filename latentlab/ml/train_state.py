"""Resume state beside a checkpoint bundle, stored without pickle.

``training_state.safetensors`` holds every tensor (the optimizer's moment estimates and step
counts, the RNG states as uint8 tensors); ``training_state.json`` holds the scalars (epoch, step,
optimizer hyper-parameters, history, the hash of the weights it belongs to). Resume files are user
files too, so they are parsed and validated like the weights, never unpickled.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from latentlab.core.atomic import write_bytes_atomic, write_json_atomic
from latentlab.ml.checkpoint import CheckpointError, content_hash, tensors_from_bytes, tensors_to_bytes

STATE_TENSORS = "training_state.safetensors"
STATE_JSON = "training_state.json"
STATE_SCHEMA = 1


def save_train_state(
    path: str | os.PathLike,
    optimizer: torch.optim.Optimizer,
    rng_states: dict[str, torch.Tensor],
    scalars: dict,
    weights_hash: str,
) -> None:
    """Write the optimizer, RNG states and ``scalars`` (JSON-able) for ``--resume``.

    The JSON (written last) records the hash of the tensors file and of the model weights it
    goes with, so a half-written or mismatched pair is detected on resume.
    """
    path = Path(path)
    sd = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    opt_scalars: dict[str, dict] = {}
    for idx, pstate in sd["state"].items():
        for key, value in pstate.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optimizer.{idx}.{key}"] = value
            else:
                opt_scalars.setdefault(str(idx), {})[key] = value
    for name, value in rng_states.items():
        tensors[f"rng.{name}"] = value
    blob = tensors_to_bytes(tensors)
    write_bytes_atomic(path / STATE_TENSORS, blob)
    meta = {
        "schema_version": STATE_SCHEMA,
        "weights_blake2b": weights_hash,
        "tensors_blake2b": content_hash(blob),
        "optimizer": {"type": type(optimizer).__name__, "param_groups": sd["param_groups"], "scalars": opt_scalars},
        **scalars,
    }
    write_json_atomic(path / STATE_JSON, meta)


def load_train_state(
    path: str | os.PathLike, optimizer: torch.optim.Optimizer, weights_hash: str
) -> tuple[dict[str, torch.Tensor], dict]:
    """Restore ``optimizer`` in place; return ``(rng_states, scalars)``. Raises CheckpointError."""
    path = Path(path)
    jfile, tfile = path / STATE_JSON, path / STATE_TENSORS
    if not jfile.is_file() or not tfile.is_file():
        raise CheckpointError(f"{path} holds no training state to resume from ({STATE_JSON} + {STATE_TENSORS})")
    try:
        meta = json.loads(jfile.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CheckpointError(f"{jfile} cannot be read as JSON ({exc})") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("schema_version"), int):
        raise CheckpointError(f"{jfile} is not a latentlab training state")
    if meta["schema_version"] > STATE_SCHEMA:
        raise CheckpointError(f"{jfile} was written by a newer latentlab (training state {meta['schema_version']})")
    if meta.get("weights_blake2b") != weights_hash:
        raise CheckpointError(f"{jfile} belongs to other weights than {path / 'model.safetensors'}; cannot resume")
    blob = tfile.read_bytes()
    if content_hash(blob) != meta.get("tensors_blake2b"):
        raise CheckpointError(f"{tfile} does not match {STATE_JSON} (damaged or from another save)")
    tensors = tensors_from_bytes(blob, str(tfile))
    opt = meta.get("optimizer", {})
    if not isinstance(opt, dict) or opt.get("type") != type(optimizer).__name__:
        found = opt.get("type") if isinstance(opt, dict) else type(opt).__name__
        raise CheckpointError(f"{jfile} holds {found} state; the trainer uses {type(optimizer).__name__}")
    state: dict[int, dict] = {}
    try:  # names and scalars come from a file: anything malformed is a damaged state, in words
        for name, value in tensors.items():
            if name.startswith("optimizer."):
                _, idx, key = name.split(".", 2)
                state.setdefault(int(idx), {})[key] = value
        for idx, extra in opt.get("scalars", {}).items():
            state.setdefault(int(idx), {}).update(dict(extra))
    except (ValueError, TypeError, AttributeError) as exc:
        raise CheckpointError(f"{path}: the saved optimizer state is malformed ({exc}); cannot resume") from None
    params = [p for g in optimizer.param_groups for p in g["params"]]
    for idx, pstate in state.items():
        if not 0 <= idx < len(params):
            raise CheckpointError(f"{tfile}: optimizer state for parameter {idx}, the model has {len(params)}")
        for key, value in pstate.items():
            if isinstance(value, torch.Tensor) and value.dim() > 0 and value.shape != params[idx].shape:
                raise CheckpointError(
                    f"{tfile}: optimizer {key} of parameter {idx} has shape "
                    f"{tuple(value.shape)}, the parameter {tuple(params[idx].shape)}"
                )
            if isinstance(value, torch.Tensor) and value.is_floating_point() and not torch.isfinite(value).all():
                raise CheckpointError(f"{tfile}: optimizer {key} of parameter {idx} holds NaN or Inf")
    try:
        optimizer.load_state_dict({"state": state, "param_groups": opt["param_groups"]})
    except (KeyError, ValueError, TypeError) as exc:
        raise CheckpointError(f"{jfile}: optimizer state does not fit this model ({exc})") from None
    rng = {name[4:]: value for name, value in tensors.items() if name.startswith("rng.")}
    scalars = {k: v for k, v in meta.items() if k not in ("optimizer", "tensors_blake2b")}
    return rng, scalars

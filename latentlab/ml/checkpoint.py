"""Checkpoint bundles: a folder with ``config.json`` and ``model.safetensors``; no pickle anywhere.

Layout (schema version 1)::

    CHECKPOINT/
      config.json                 format, schema_version, model config, training settings, data
                                  (store fingerprint, demo spec), metrics, library versions and the
                                  BLAKE2b of model.safetensors (written last: it commits the bundle)
      model.safetensors           the weights, float32, names as in ``VideoVAE.state_dict()``
      training_state.safetensors  optimizer tensors + RNG state (only for ``--resume``)
      training_state.json         epoch, step, optimizer scalars, history (only for ``--resume``)

Loading validates, in order, the config (present, JSON, our format, a schema version this code
reads, a valid model config), the weights file (present, matching the hash in the config, a
well-formed safetensors file), tensor names and shapes against a model built from the config,
and finiteness. Every failure raises :class:`CheckpointError` with a message naming the problem.
safetensors files are parsed, never executed; ``.pt``/``.pth`` pickles are refused outright.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import shutil
import time
from pathlib import Path

import torch

from latentlab.core.atomic import write_bytes_atomic, write_json_atomic
from latentlab.core.errors import UserError
from latentlab.ml.config import ConfigError, VAEConfig

log = logging.getLogger(__name__)

FORMAT = "latentlab-vae-checkpoint"
SCHEMA_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
PREVIOUS_WEIGHTS_FILE = "model.safetensors.prev"  # exists only while a save is replacing the weights


class CheckpointError(UserError):
    """A checkpoint that cannot be written or loaded, with a message that says why."""


def content_hash(data: bytes) -> str:
    """BLAKE2b-128 hex of bytes (the weights hash that caches key on)."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def library_versions() -> dict[str, str]:
    import numpy
    import safetensors

    from latentlab import __version__

    return {
        "latentlab": __version__,
        "torch": torch.__version__,
        "safetensors": safetensors.__version__,
        "numpy": numpy.__version__,
        "python": platform.python_version(),
    }


def tensors_to_bytes(tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None) -> bytes:
    """Serialise tensors (moved to CPU, made contiguous) to safetensors bytes."""
    from safetensors.torch import save

    return save({k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}, metadata=metadata)


def tensors_from_bytes(data: bytes, what: str) -> dict[str, torch.Tensor]:
    """Parse safetensors bytes; a malformed file raises :class:`CheckpointError` naming ``what``."""
    from safetensors.torch import load

    if len(data) < 8:
        raise CheckpointError(f"{what} is not a safetensors file: it holds only {len(data)} bytes")
    try:
        return load(data)
    except Exception as exc:  # SafetensorError, or a JSON/value error from a garbled header
        raise CheckpointError(f"{what} is damaged or not a safetensors file ({exc})") from None


def save_checkpoint(
    path: str | os.PathLike,
    model: torch.nn.Module,
    *,
    training: dict | None = None,
    data: dict | None = None,
    metrics: dict | None = None,
) -> str:
    """Write ``model`` (a :class:`~latentlab.ml.model.VideoVAE`) as a bundle; return the weights hash.

    Each file is replaced atomically and ``config.json`` is written last, carrying the hash of
    ``model.safetensors``. The weights being replaced are kept as ``model.safetensors.prev`` (a
    hard link, no copy) until the new config is in place, so a save killed between the two
    replaces leaves the previous bundle loadable (:func:`read_weights` falls back to it, with a
    warning) and never mismatched weights that load silently.
    """
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    state = {k: v for k, v in _unwrap(model).state_dict().items()}
    bad = [k for k, v in state.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        raise CheckpointError(f"refusing to save weights with NaN or Inf values in {', '.join(bad[:5])}")
    blob = tensors_to_bytes(state, metadata={"format": FORMAT})
    weights_hash = content_hash(blob)
    wfile, prev = path / WEIGHTS_FILE, path / PREVIOUS_WEIGHTS_FILE
    if wfile.is_file() and (path / CONFIG_FILE).is_file():
        _keep_previous(wfile, prev)
    write_bytes_atomic(wfile, blob)
    config = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "model": _unwrap(model).config.to_dict(),
        "training": dict(training or {}),
        "data": dict(data or {}),
        "metrics": dict(metrics or {}),
        "versions": library_versions(),
        "files": {WEIGHTS_FILE: {"blake2b": weights_hash, "bytes": len(blob)}},
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    write_json_atomic(path / CONFIG_FILE, config)
    prev.unlink(missing_ok=True)
    return weights_hash


def _keep_previous(wfile: Path, prev: Path) -> None:
    """Keep the weights that ``config.json`` still describes as ``prev`` while they are replaced."""
    prev.unlink(missing_ok=True)
    try:
        os.link(wfile, prev)  # same inode: the atomic replace of wfile leaves prev intact
    except OSError:  # a file system without hard links
        shutil.copyfile(wfile, prev)


def _unwrap(model: torch.nn.Module) -> torch.nn.Module:
    return getattr(model, "module", model)  # DistributedDataParallel keeps the model as .module


def read_config(path: str | os.PathLike) -> dict:
    """Read and validate a bundle's ``config.json`` (no weights are read)."""
    path = _bundle_dir(path)
    cfile = path / CONFIG_FILE
    if not cfile.is_file():
        raise CheckpointError(f"{path} is not a checkpoint: it has no {CONFIG_FILE}")
    try:
        config = json.loads(cfile.read_text(encoding="utf-8"))
    except RecursionError:
        raise CheckpointError(f"{cfile} cannot be read: its JSON is nested too deeply") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CheckpointError(f"{cfile} cannot be read as JSON ({exc})") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise CheckpointError(f"{cfile} is not a latentlab checkpoint config (format must be {FORMAT!r})")
    version = config.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CheckpointError(f"{cfile} has no valid schema_version (got {version!r})")
    if version > SCHEMA_VERSION:
        raise CheckpointError(
            f"{path} was written by a newer latentlab (checkpoint schema {version}); "
            f"this version reads schema {SCHEMA_VERSION} and older: please upgrade latentlab"
        )
    try:
        VAEConfig.from_dict(config.get("model"))
    except (ConfigError, TypeError, ValueError, OverflowError) as exc:
        raise CheckpointError(f"{cfile}: {exc}") from None
    _check_sections(config, cfile)
    return config


def _check_sections(config: dict, cfile: Path) -> None:
    """The optional sections must be objects, and ``files`` may only name our own files, by bare name."""
    for key in ("training", "data", "metrics", "files"):
        if not isinstance(config.get(key, {}), dict):
            raise CheckpointError(f"{cfile} is damaged: {key!r} must be an object, not {config[key]!r:.40}")
    for name, entry in config.get("files", {}).items():
        if name not in (WEIGHTS_FILE,):
            raise CheckpointError(
                f"{cfile} is damaged: 'files' names {name!r:.80}; a checkpoint holds only "
                f"{WEIGHTS_FILE} in its own folder"
            )
        if not isinstance(entry, dict) or not isinstance(entry.get("blake2b", ""), str):
            raise CheckpointError(f"{cfile} is damaged: the entry of {name} in 'files' is not an object with a hash")


def _bundle_dir(path: str | os.PathLike) -> Path:
    path = Path(path)
    if path.suffix.lower() in (".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".bin") and path.is_file():
        raise CheckpointError(
            f"{path} is a pickle-based file; latentlab never loads those because unpickling can run "
            f"arbitrary code. Use a checkpoint folder with config.json and model.safetensors."
        )
    if path.is_file() and path.name in (CONFIG_FILE, WEIGHTS_FILE):
        path = path.parent
    if not path.exists():
        raise CheckpointError(f"checkpoint {path} does not exist")
    if not path.is_dir():
        raise CheckpointError(f"{path} is not a checkpoint folder (config.json + model.safetensors)")
    return path


def read_weights(path: str | os.PathLike, config: dict) -> tuple[dict[str, torch.Tensor], str]:
    """Read ``model.safetensors``, check it against the config's hash: ``(tensors, weights_hash)``."""
    wfile = _bundle_dir(path) / WEIGHTS_FILE
    if not wfile.is_file():
        raise CheckpointError(f"{wfile.parent} has no {WEIGHTS_FILE}")
    blob = wfile.read_bytes()
    weights_hash = content_hash(blob)
    expected = config.get("files", {}).get(WEIGHTS_FILE, {}).get("blake2b")
    prev = wfile.with_name(PREVIOUS_WEIGHTS_FILE)
    if expected is not None and expected != weights_hash and prev.is_file():
        old = prev.read_bytes()  # a save was killed after replacing the weights, before the config
        if content_hash(old) == expected:
            log.warning("%s: a save was interrupted; loading the previous weights (%s)", wfile.parent, prev.name)
            blob, weights_hash = old, expected
    if expected is not None and expected != weights_hash:
        raise CheckpointError(
            f"{wfile} does not match {CONFIG_FILE} (expected BLAKE2b {expected}, found {weights_hash}): "
            f"the file was changed, damaged or its save was interrupted"
        )
    from latentlab.ml.model import upgrade_state  # names of older versions' tensors, renamed

    return upgrade_state(tensors_from_bytes(blob, str(wfile))), weights_hash


def check_state(state: dict[str, torch.Tensor], model: torch.nn.Module, what: str) -> None:
    """Names, shapes, dtypes and finiteness of ``state`` against ``model``; raise on the first problem."""
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    extra = sorted(set(state) - set(expected))
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing tensors {missing[:6]}")
        if extra:
            parts.append(f"unexpected tensors {extra[:6]}")
        raise CheckpointError(f"{what} does not fit its model config: " + "; ".join(parts))
    for name, ref in expected.items():
        t = state[name]
        if tuple(t.shape) != tuple(ref.shape):
            raise CheckpointError(
                f"{what}: tensor {name!r} has shape {tuple(t.shape)}, the model config needs {tuple(ref.shape)}"
            )
        if not t.is_floating_point():
            raise CheckpointError(f"{what}: tensor {name!r} has dtype {t.dtype}, expected floating point")
        if not torch.isfinite(t).all():
            raise CheckpointError(f"{what}: tensor {name!r} holds NaN or Inf values")


def load_checkpoint(path: str | os.PathLike, device: str | torch.device = "cpu"):
    """Load and validate a bundle: ``(model, config_dict)``, the model in eval mode on ``device``.

    Raises
    ------
    CheckpointError
        With a message naming the problem (see the module docstring for what is checked).
    """
    from latentlab.ml.model import VideoVAE

    model, config, _ = _load(path, device)
    assert isinstance(model, VideoVAE)
    return model, config


def _load(path, device):
    from latentlab.ml.model import VideoVAE

    config = read_config(path)
    state, weights_hash = read_weights(path, config)
    model = VideoVAE(VAEConfig.from_dict(config["model"]))
    check_state(state, model, f"{_bundle_dir(path) / WEIGHTS_FILE}")
    model.load_state_dict({k: v.to(torch.float32) for k, v in state.items()})
    model.to(device).eval()
    return model, config, weights_hash


def describe_checkpoint(path: str | os.PathLike) -> str:
    """A short human summary of a bundle (validates the config only, not the weights)."""
    config = read_config(path)
    m = VAEConfig.from_dict(config["model"])
    lines = [
        f"latentlab video VAE checkpoint (schema {config['schema_version']}): {_bundle_dir(path)}",
        f"  clips {m.frames} x {m.height} x {m.width} x {m.channels} -> {m.latent_dim} latents; "
        f"{m.likelihood} likelihood"
        + _sigma_words(m, config.get("metrics", {}))
        + f", beta {m.beta:g}; {m.decoder} decoder",
    ]
    tr, data, met = config.get("training", {}), config.get("data", {}), config.get("metrics", {})
    if tr:
        lines.append(
            f"  trained for {met.get('epoch', '?')} of {tr.get('epochs', '?')} epochs, batch {tr.get('batch_size', '?')}, "  # noqa: E501
            f"lr {tr.get('lr', '?')}, seed {tr.get('seed', '?')}"
            + (f", {met['train_seconds'] / 60:.1f} min" if "train_seconds" in met else "")
        )
    if data:
        if data.get("sample_kind"):
            src = f"sample {data['sample_kind']} " + json.dumps(data.get("sample_spec"))
        elif data.get("demo_spec"):
            src = "demo sprites " + json.dumps(data["demo_spec"])
        else:
            src = data.get("store_name") or data.get("store_path", "?")
            if data.get("val_sources"):
                src += f" (held out: {', '.join(map(str, data['val_sources']))})"
        lines.append(f"  data: {src}; store fingerprint {str(data.get('store_fingerprint', '?'))[:12]}")
    if "val_psnr" in met:
        lines.append(
            f"  validation: PSNR {met['val_psnr']:.2f} dB, NLL {met.get('val_nll', float('nan')):.1f} nats, "
            f"KL {met.get('val_kl', float('nan')):.1f} nats per clip"
        )
    lines.append(f"  weights {config.get('files', {}).get(WEIGHTS_FILE, {}).get('blake2b', '?')}")
    return "\n".join(lines)


def _sigma_words(m: VAEConfig, metrics: dict) -> str:
    if m.likelihood != "gaussian":
        return ""
    if m.learn_sigma:
        learnt = metrics.get("sigma")
        return f" (sigma learnt: {learnt:.4g})" if isinstance(learnt, (int, float)) else " (sigma learnt)"
    return f" (sigma {m.sigma:g})"

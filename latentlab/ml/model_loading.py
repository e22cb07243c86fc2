"""Open any supported model as a codec: one place that decides what a model folder holds.

Kinds (:func:`model_kind`):

* ``latentlab``: a bundle ``latentlab train`` wrote (config.json + model.safetensors);
* ``diffusers``: a folder ``save_pretrained`` wrote (config.json with ``_class_name`` +
  ``diffusion_pytorch_model.safetensors``), the ``diffusers`` extra;
* ``torch-module``: the user's ``package.module:factory`` plus a safetensors state dict, written
  on the command line as ``--model package.module:factory --weights FILE`` and carried as the
  spec string ``package.module:factory@FILE``.

Pickle files (``.bin``, ``.pt``, ``.pth``, ``.ckpt``, ``.pkl``) are refused: unpickling runs code.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latentlab.core.errors import UserError

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
#: How many of a store's clips the PCA pre-reduction is fitted on.
REDUCTION_SAMPLE = 512
FACTORY_PATTERN = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


def is_factory_spec(text: str) -> bool:
    """``package.module:factory`` (and not an existing path)."""
    return bool(FACTORY_PATTERN.match(text)) and not Path(text).exists()


class ModelSourceError(UserError):
    """A model path that latentlab cannot open, in words."""


class PickleRefused(ModelSourceError):
    """Weights stored as pickles: refused, with the safetensors explanation."""


@dataclass(frozen=True)
class ModelSource:
    """Where a model comes from: a folder, or ``factory`` (``module:callable``) with ``path`` its weights."""

    path: str
    factory: str | None = None

    @classmethod
    def parse(cls, text: str | os.PathLike, weights: str | os.PathLike | None = None) -> ModelSource:
        """From ``--model TEXT [--weights FILE]`` or a spec string ``module:factory@FILE``."""
        text = os.fspath(text)
        spec, at, file = text.partition("@")
        if at and is_factory_spec(spec):
            return cls(file, spec)
        if is_factory_spec(text):
            if weights is None:
                raise ModelSourceError(f"--model {text} needs --weights FILE.safetensors (the module's state dict)")
            return cls(os.fspath(weights), text)
        return cls(text)

    def spec(self) -> str:
        return f"{self.factory}@{self.path}" if self.factory else self.path


def model_kind(source: ModelSource) -> str:
    """``latentlab``, ``diffusers`` or ``torch-module``; raises ModelSourceError for anything else."""
    if source.factory:
        return "torch-module"
    path = Path(source.path)
    if path.is_file() and path.suffix.lower() in PICKLE_SUFFIXES:
        raise PickleRefused(_pickle_words(path.name, path.parent))
    if path.is_file() and path.suffix.lower() == ".safetensors":
        raise ModelSourceError(
            f"{path} is a bare state dict: give the code that builds the model too, "
            f"`--model package.module:factory --weights {path.name}`"
        )
    if path.is_file() and path.name == "config.json":
        path = path.parent
    if not path.is_dir():
        raise ModelSourceError(f"model {path} does not exist" if not path.exists() else f"{path} is not a model folder")
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # RecursionError: JSON nested too deeply
        config = None
    safetensors = list(path.glob("*.safetensors"))
    pickles = sorted(p.name for p in path.iterdir() if p.suffix.lower() in PICKLE_SUFFIXES)
    if isinstance(config, dict) and config.get("format") == "latentlab-vae-checkpoint":
        return "latentlab"
    if isinstance(config, dict) and isinstance(config.get("_class_name"), str):
        if not safetensors and pickles:
            raise PickleRefused(_pickle_words(", ".join(pickles[:3]), path))
        return "diffusers"
    if pickles and not safetensors:
        raise PickleRefused(_pickle_words(", ".join(pickles[:3]), path))
    raise ModelSourceError(
        f"{path} holds no model latentlab knows: a latentlab checkpoint (config.json + "
        "model.safetensors), a diffusers autoencoder (config.json + "
        "diffusion_pytorch_model.safetensors), or --model module:factory --weights FILE.safetensors"
    )


def loader_kind(source: ModelSource) -> str:
    """:func:`model_kind`, except that a folder that is no model at all is handed to latentlab's own
    checkpoint loader (``latentlab``), whose messages say what is wrong with a damaged bundle."""
    try:
        return model_kind(source)
    except PickleRefused:
        raise
    except ModelSourceError:
        if source.factory or Path(source.path).suffix.lower() == ".safetensors":
            raise
        return "latentlab"


def _pickle_words(names: str, folder: Path) -> str:
    return (
        f"{folder} holds pickle weights ({names}); latentlab never loads those because unpickling can run "
        "arbitrary code. Save the weights as safetensors (diffusers: save_pretrained(folder, "
        "safe_serialization=True); plain torch: safetensors.torch.save_file(model.state_dict(), path))."
    )


def load_clip_model(source: ModelSource, device: str = "auto"):
    """The :class:`~latentlab.ml.model_protocol.ClipModel` of a source (not for latentlab bundles'
    codecs: :func:`open_codec` keeps those on :class:`~latentlab.ml.codec.ClipCodec`)."""
    from latentlab.ml.device import resolve_device

    kind, dev = loader_kind(source), resolve_device(device)
    if kind == "torch-module":
        from latentlab.ml.adapters.torch_module import load_torch_module

        return load_torch_module(source.factory, source.path, dev)
    if kind == "diffusers":
        from latentlab.ml.adapters.diffusers_vae import WEIGHTS_FILE, load_diffusers_vae
        from latentlab.ml.checkpoint import content_hash

        folder = Path(source.path)
        folder = folder.parent if folder.is_file() else folder
        return load_diffusers_vae(folder, dev, content_hash((folder / WEIGHTS_FILE).read_bytes()))
    from latentlab.ml.checkpoint import _load
    from latentlab.ml.model_protocol import VideoVAEModel

    vae, _, weights_hash = _load(source.path, dev)
    return VideoVAEModel(vae, weights_hash)


def open_codec(source: ModelSource | str, device: str = "auto", store=None):
    """A codec for ``source``: a :class:`~latentlab.ml.codec.ClipCodec` for latentlab bundles, a
    :class:`~latentlab.ml.model_codec.ModelCodec` for the rest, fitted to ``store``'s clips (their
    geometry, and the PCA pre-reduction on a sample of their latents)."""
    source = source if isinstance(source, ModelSource) else ModelSource.parse(source)
    if loader_kind(source) == "latentlab":
        from latentlab.ml.codec import ClipCodec

        return ClipCodec.from_checkpoint(source.path, device=device)
    from latentlab.ml.model_codec import ModelCodec

    model = load_clip_model(source, device)
    clip = tuple(store.geometry.shape) if store is not None else default_clip(model.input_rule)
    codec = ModelCodec(model, clip)
    if store is not None and len(store) >= 2:
        _reduce(codec, store)
    return codec


def _reduce(codec, store) -> None:
    """Fit the PCA pre-reduction on a sample of the store's clips, or reuse the one fitted for this
    model and store before: a refit on a GPU may differ in the last bits, and the latent cache keys
    on the basis, so reusing it keeps the cache."""
    from latentlab.core.atomic import atomic_open
    from latentlab.core.latent_reduction import MAX_LATENT_DIMS, LatentReduction
    from latentlab.paths import user_data_dir

    if codec.flat_dim <= MAX_LATENT_DIMS:
        return
    path = user_data_dir() / "reductions" / f"{store.fingerprint[:16]}-{codec.weights_hash[:16]}.npz"
    try:
        with np.load(path, allow_pickle=False) as f:
            codec.set_reduction(LatentReduction(f["mean"], f["components"], float(f["explained"])))
        return
    except (OSError, KeyError, ValueError):
        pass  # none yet, or unreadable: fit again
    n = len(store)
    idx = np.unique(np.linspace(0, n - 1, min(n, REDUCTION_SAMPLE)).astype(np.int64))
    red = codec.fit_reduction(store.read(idx))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_open(path, "wb") as fh:
            np.savez(fh, mean=red.mean, components=red.components, explained=np.float64(red.explained))
    except OSError:
        pass  # a read-only data folder costs a refit next time


def default_clip(rule) -> tuple[int, int, int, int]:
    """A small clip geometry ``(T, H, W, C)`` the rule accepts (for ``info`` without a store)."""
    frames = rule.frames or (rule.frame_offset + rule.frame_step if rule.frame_step > 1 else 8)
    size = max(32, 8 * rule.spatial_multiple)
    return frames, rule.height or size, rule.width or size, rule.channels


def describe_model(source: ModelSource | str, device: str = "auto") -> str:
    """What ``latentlab info`` prints for a model of any kind."""
    source = source if isinstance(source, ModelSource) else ModelSource.parse(source)
    if loader_kind(source) == "latentlab":
        from latentlab.ml.checkpoint import describe_checkpoint

        return describe_checkpoint(source.path)
    codec = open_codec(source, device)
    rule = codec.clip_model.input_rule
    return "\n".join(
        [
            f"{codec.kind}: {source.spec()}",
            f"  takes {rule.describe()}",
            f"  latent of a {codec.frames}×{codec.height}×{codec.width} clip: {'×'.join(map(str, codec.latent_shape))}"
            f" ({codec.flat_dim} values" + ("" if codec.has_logvar else ", means only") + ")",
            f"  {codec.clip_model.n_parameters:,} parameters on {codec.device}; weights {codec.clip_model.weights_hash}",  # noqa: E501
        ]
    )

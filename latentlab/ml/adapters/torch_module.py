"""The user's own ``torch.nn.Module`` as a :class:`~latentlab.ml.model_protocol.ClipModel`.

``--model package.module:factory --weights model.safetensors``: latentlab imports the module (the
user's own code, theirs to run), calls ``factory()`` for the module, and loads the weights from a
safetensors state dict (parsed, never unpickled). The module provides

* ``encode(x)``: ``x`` ``(B, C, T, H, W)`` float in 0..1 (or -1..1 when the module has
  ``input_range = (-1, 1)``) -> ``mu``, ``(mu, logvar)``, or an object with ``latent_dist``;
* ``decode(z)`` -> clips ``(B, C, T, H, W)`` in the same range (a tensor, or an object with ``sample``);
* optionally the sizes it takes: ``frames``, ``height``, ``width``, ``channels``, ``frame_step``,
  ``frame_offset``, ``spatial_multiple`` (attributes of the module; none means any size).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import torch

from latentlab.core.errors import UserError
from latentlab.ml.checkpoint import content_hash, tensors_from_bytes
from latentlab.ml.model_protocol import InputRule


class TorchModuleError(UserError):
    """A ``module:factory`` model that cannot be built or loaded, in words."""


class TorchModuleModel:
    """Wraps the module the factory built."""

    def __init__(self, module: torch.nn.Module, spec: str, weights_hash: str) -> None:
        self.module = module.eval()
        self.kind = f"torch module {spec}"
        names = ("channels", "frames", "height", "width", "frame_step", "frame_offset", "spatial_multiple")
        given = {k: int(getattr(module, k)) for k in names if getattr(module, k, None) is not None}
        self.input_rule = InputRule(**given)
        lo, hi = getattr(module, "input_range", (0.0, 1.0))
        self._lo, self._span = float(lo), float(hi) - float(lo)
        params = list(module.parameters())
        self.device = params[0].device if params else torch.device("cpu")
        self.weights_hash = weights_hash
        self.n_parameters = sum(p.numel() for p in params)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        out = self.module.encode(x * self._span + self._lo)
        dist = getattr(out, "latent_dist", None)
        if dist is not None:
            return dist.mean, getattr(dist, "logvar", None)
        if isinstance(out, (tuple, list)):
            return out[0], (out[1] if len(out) > 1 else None)
        return out, None

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        y = self.module.decode(z)
        y = getattr(y, "sample", y)
        return (y.float() - self._lo) / self._span


def load_torch_module(spec: str, weights: str | os.PathLike, device: torch.device) -> TorchModuleModel:
    """Build ``spec``'s module and load ``weights`` (a ``.safetensors`` file) into it, strictly."""
    weights = Path(weights)
    if weights.suffix.lower() != ".safetensors":
        raise TorchModuleError(
            f"{weights}: the weights must be a .safetensors state dict (latentlab never unpickles "
            "files: save yours with safetensors.torch.save_file(model.state_dict(), path))"
        )
    if not weights.is_file():
        raise TorchModuleError(f"weights file {weights} does not exist")
    module_name, _, attr = spec.partition(":")
    try:
        factory = importlib.import_module(module_name)
        for part in attr.split("."):
            factory = getattr(factory, part)
    except (ImportError, AttributeError) as exc:
        raise TorchModuleError(f"cannot import {spec} ({exc}); is the module on PYTHONPATH?") from None
    module = factory()
    if not isinstance(module, torch.nn.Module) or not all(
        callable(getattr(module, m, None)) for m in ("encode", "decode")
    ):
        raise TorchModuleError(f"{spec}() must return a torch.nn.Module with encode(x) and decode(z) methods")
    blob = weights.read_bytes()
    state = tensors_from_bytes(blob, str(weights))
    bad = [k for k, v in state.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        raise TorchModuleError(f"{weights}: tensors {bad[:5]} hold NaN or Inf values")
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise TorchModuleError(f"{weights} does not fit {spec}(): {str(exc).splitlines()[0]}") from None
    return TorchModuleModel(module.to(device), spec, content_hash(blob))

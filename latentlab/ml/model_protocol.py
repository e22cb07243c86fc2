"""``ClipModel``: the one interface every model latentlab explores implements.

latentlab's own :class:`~latentlab.ml.model.VideoVAE` (through :class:`VideoVAEModel`), a diffusers
autoencoder (:mod:`latentlab.ml.adapters.diffusers_vae`) and the user's own ``torch.nn.Module``
(:mod:`latentlab.ml.adapters.torch_module`) all take float clips ``(B, C, T, H, W)`` in 0..1 and give
back latents of any shape (a vector ``(B, D)`` or a spatial tensor ``(B, C', T', H', W')``).
:class:`~latentlab.ml.model_codec.ModelCodec` turns any of them into the numpy-in, numpy-out codec
the rest of the application uses (flattening, PCA pre-reduction, fitting the clips to the model).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import torch


@dataclass(frozen=True)
class InputRule:
    """Which clip sizes a model takes.

    ``frames``/``height``/``width`` fix a size (``None``: any that fits the multiples). Frame counts
    are ``frame_offset + k * frame_step`` (causal video VAEs: offset 1, the first frame alone);
    heights and widths are multiples of ``spatial_multiple``.
    """

    channels: int = 3
    frames: int | None = None
    height: int | None = None
    width: int | None = None
    frame_step: int = 1
    frame_offset: int = 0
    spatial_multiple: int = 1

    def describe(self) -> str:
        if self.frames is not None:
            t = f"{self.frames} frames"
        elif self.frame_step == 1:
            t = "any number of frames"
        else:
            t = f"{self.frame_offset} + k·{self.frame_step} frames"
        if self.height is not None and self.width is not None:
            s = f"{self.width}×{self.height}"
        else:
            s = f"sizes in multiples of {self.spatial_multiple}" if self.spatial_multiple > 1 else "any size"
        return f"{t}, {s}, {self.channels} channels"


@runtime_checkable
class ClipModel(Protocol):
    """A clip autoencoder, in torch.

    Attributes
    ----------
    kind : str
        What it is, in words ("latentlab VideoVAE", "diffusers AutoencoderKLWan", "torch module m:f").
    input_rule : InputRule
        The clip sizes it takes.
    device : torch.device
        Where its weights are.
    weights_hash : str
        A digest of its weights (latent caches key on it).
    n_parameters : int
    """

    kind: str
    input_rule: InputRule
    device: torch.device
    weights_hash: str
    n_parameters: int

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``x`` ``(B, C, T, H, W)`` in 0..1 -> ``(mu, logvar)`` of any latent shape (logvar may be None)."""
        ...

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Latents shaped like ``mu`` -> clips ``(B, C, T, H, W)`` in 0..1."""
        ...


class VideoVAEModel:
    """latentlab's own :class:`~latentlab.ml.model.VideoVAE` as a :class:`ClipModel`."""

    def __init__(self, vae: torch.nn.Module, weights_hash: str) -> None:
        c = vae.config
        self.vae = vae.eval()
        self.kind = "latentlab VideoVAE"
        self.input_rule = InputRule(channels=c.channels, frames=c.frames, height=c.height, width=c.width)
        self.device = next(vae.parameters()).device
        self.weights_hash = weights_hash
        self.n_parameters = sum(p.numel() for p in vae.parameters())

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        return self.vae.encode(x)  # (B, D) each

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.vae.decode(z)  # (B, C, T, H, W) in 0..1

"""The model's dataclass config: everything needed to rebuild the network, carried in checkpoints.

Kept free of torch so that a checkpoint's config can be read and validated before any weights are.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Protocol

from latentlab.core.errors import UserError

LIKELIHOODS = ("gaussian", "bernoulli")
DECODERS = ("upconv", "tokens", "conv")
#: Training-data augmentations (:mod:`latentlab.ml.augment`), and those right for a user's videos.
AUGMENTATIONS = ("flip", "crop", "time", "reverse")
AUGMENT_VIDEOS = ("flip", "crop", "time")
#: Where to train and run a model (:func:`latentlab.ml.device.resolve_device`; ``auto``: a local GPU when
#: there is one). Here, without torch, so the CLI and the window can offer them cheaply.
DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")
#: Upper bounds of the integer fields: far beyond any real model, small enough to allocate.
_MAX = {"frames": 1024, "height": 4096, "width": 4096, "latent_dim": 4096, "base_width": 1024, "frame_code": 65536}
# Keys added to the model config after schema 1 and what a checkpoint written before them meant.
_LEGACY_DEFAULTS = {"decoder": "conv", "learn_sigma": False, "linear_path": False}


class ClipShape(Protocol):
    """The clip geometry a model is built for (a clip store's ``geometry`` is one)."""

    frames: int
    height: int
    width: int
    channels: int


class ConfigError(ValueError, UserError):
    """A model config that cannot describe a valid network, with a message that says why."""


@dataclass(frozen=True)
class VAEConfig:
    """Shape and hyper-parameters of :class:`latentlab.ml.model.VideoVAE`.

    Parameters
    ----------
    frames, height, width, channels
        Clip geometry ``T x H x W x C`` (C is 1 for grey, 3 for RGB).
    latent_dim
        Size ``D`` of the latent vector z of one clip.
    base_width
        Channels of the first encoder convolution; deeper layers use 2x or 4x this.
    frame_code
        Size of the per-frame feature the encoder pools over time (and of the decoder's MLP).
    beta
        Weight of the KL term in the loss (1 is the ELBO).
    likelihood
        ``"gaussian"`` (fixed standard deviation ``sigma`` per pixel, values in 0..1) or
        ``"bernoulli"`` (pixel intensities as probabilities).
    sigma
        Standard deviation of the Gaussian likelihood, in units of the full pixel range; with
        ``learn_sigma`` its starting value.
    decoder
        ``"upconv"`` (:mod:`latentlab.ml.upconv_decoder`: token GEMMs, then transposed
        convolutions; no patch seams), ``"tokens"`` (:mod:`latentlab.ml.token_decoder`: per-patch
        GEMMs) or ``"conv"`` (the transposed-conv decoder of :mod:`latentlab.ml.model`; checkpoints
        written before this field existed use it).
    learn_sigma
        Learn the Gaussian likelihood's standard deviation with the weights (one value for all
        pixels, "sigma-VAE", Rybkin et al. 2021): it settles at the reconstruction's RMS error, so
        the reconstruction and KL terms are weighed as the data warrant instead of by a guessed
        ``sigma``. Checkpoints written before this field existed used a fixed ``sigma``.
    linear_path
        Add a linear encoder and decoder path started at whitened PCA of the training clips, with the
        networks as residuals that start at zero (:mod:`latentlab.ml.linear_path`): the model begins
        as probabilistic PCA. Needs the Gaussian likelihood; the decoder then outputs pixel values.
    """

    frames: int = 8
    height: int = 32
    width: int = 32
    channels: int = 3
    latent_dim: int = 16
    base_width: int = 32
    frame_code: int = 192
    beta: float = 1.0
    likelihood: str = "gaussian"
    sigma: float = 0.05
    decoder: str = "upconv"
    learn_sigma: bool = True
    linear_path: bool = False

    def __post_init__(self) -> None:
        for name in ("frames", "height", "width", "latent_dim", "base_width", "frame_code"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"model config: {name} must be a positive integer, got {value!r}")
            if value > _MAX[name]:  # a hostile or mistyped config must not allocate a network that size
                raise ConfigError(f"model config: {name} must be at most {_MAX[name]}, got {value!r}")
        if self.channels not in (1, 3):
            raise ConfigError(f"model config: channels must be 1 or 3, got {self.channels!r}")
        if min(self.height, self.width) < 8:
            raise ConfigError(f"model config: frames must be at least 8x8 pixels, got {self.height}x{self.width}")
        n = self.n_scales
        if self.height % (1 << n) or self.width % (1 << n):
            raise ConfigError(
                f"model config: height and width must be multiples of {1 << n} "
                f"(the network halves them {n} times), got {self.height}x{self.width}"
            )
        if self.likelihood not in LIKELIHOODS:
            raise ConfigError(f"model config: likelihood must be one of {LIKELIHOODS}, got {self.likelihood!r}")
        if not (isinstance(self.beta, (int, float)) and math.isfinite(self.beta) and self.beta >= 0):
            raise ConfigError(f"model config: beta must be a finite number >= 0, got {self.beta!r}")
        if self.decoder not in DECODERS:
            raise ConfigError(f"model config: decoder must be one of {DECODERS}, got {self.decoder!r}")
        if not isinstance(self.learn_sigma, bool):
            raise ConfigError(f"model config: learn_sigma must be true or false, got {self.learn_sigma!r}")
        if not isinstance(self.linear_path, bool):
            raise ConfigError(f"model config: linear_path must be true or false, got {self.linear_path!r}")
        if self.linear_path and self.decoder != "upconv":
            raise ConfigError("model config: linear_path needs the upconv decoder")
        if self.linear_path and self.likelihood != "gaussian":
            raise ConfigError(
                "model config: linear_path needs the gaussian likelihood (its decoder outputs pixel values)"
            )
        if not (isinstance(self.sigma, (int, float)) and math.isfinite(self.sigma) and self.sigma > 0):
            raise ConfigError(f"model config: sigma must be a finite number > 0, got {self.sigma!r}")

    @property
    def n_scales(self) -> int:
        """How many times the encoder halves (and the decoder doubles) the frame: down to ~4 px."""
        return max(1, int(math.log2(min(self.height, self.width) // 4)))

    @property
    def clip_shape(self) -> tuple[int, int, int, int]:
        """``(C, T, H, W)``: the layout of one clip inside the network."""
        return (self.channels, self.frames, self.height, self.width)

    @classmethod
    def for_clips(cls, geometry: ClipShape, **hyper) -> VAEConfig:
        """A config for clips of ``geometry`` (a store's ``frames``, ``height``, ``width``, ``channels``)
        with the hyper-parameters ``hyper``: the one way the window and ``latentlab train`` build one."""
        g = geometry
        return cls(frames=g.frames, height=g.height, width=g.width, channels=g.channels, **hyper)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> VAEConfig:
        """Build a config from JSON data; unknown or missing keys raise :class:`ConfigError`."""
        if not isinstance(data, dict):
            raise ConfigError(f"model config must be a JSON object, got {type(data).__name__}")
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ConfigError(f"model config has unknown keys {unknown}")
        # A key added after schema 1 and absent from the file means what the file's writer built.
        data = {**{k: v for k, v in _LEGACY_DEFAULTS.items() if k not in data}, **data}
        missing = sorted(names - set(data))
        if missing:
            raise ConfigError(f"model config lacks keys {missing}")
        return cls(**data)

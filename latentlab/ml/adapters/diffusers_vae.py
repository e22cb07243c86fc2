"""A diffusers autoencoder folder as a :class:`~latentlab.ml.model_protocol.ClipModel`.

The folder is what ``save_pretrained`` writes: ``config.json`` (with ``_class_name``) and
``diffusion_pytorch_model.safetensors``. It is read with ``from_pretrained(folder,
local_files_only=True)`` and the hub's offline switch on: nothing is ever downloaded. Image VAEs
(``AutoencoderKL``) run frame by frame; video VAEs take the whole clip. Means and log-variances come
from the model's latent distribution. Needs ``pip install latentlab[diffusers]``.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import torch

from latentlab.core.errors import UserError
from latentlab.ml.model_protocol import InputRule

WEIGHTS_FILE = "diffusion_pytorch_model.safetensors"
#: Image autoencoders latentlab applies frame by frame.
IMAGE_CLASSES = ("AutoencoderKL", "AsymmetricAutoencoderKL", "AutoencoderDC")
#: Video autoencoders tried and tested (others of diffusers' ``AutoencoderKL*`` are tried alike).
VIDEO_CLASSES = (
    "AutoencoderKLWan",
    "AutoencoderKLCogVideoX",
    "AutoencoderKLLTXVideo",
    "AutoencoderKLHunyuanVideo",
    "AutoencoderKLMochi",
    "AutoencoderKLCosmos",
)


class DiffusersError(UserError):
    """A diffusers folder that cannot be loaded, in words."""


def _pow2(n) -> int:
    return 2 ** max(0, int(n))


def _multiples(vae, class_name: str) -> tuple[int, int]:
    """``(spatial, temporal)`` compression of the model, from its attributes or its config."""
    cfg = vae.config
    with warnings.catch_warnings():  # some classes deprecate these attributes in favour of the config
        warnings.simplefilter("ignore")
        spatial = cfg.get("spatial_compression_ratio") or getattr(vae, "spatial_compression_ratio", None)
        temporal = cfg.get("temporal_compression_ratio") or getattr(vae, "temporal_compression_ratio", None)
    if class_name == "AutoencoderKLWan":  # its config's scale factors are defaults, not what it builds
        spatial = _pow2(len(cfg["dim_mult"]) - 1)
        temporal = _pow2(sum(bool(d) for d in cfg["temperal_downsample"]))
    if not spatial:
        blocks = cfg.get("block_out_channels") or cfg.get("encoder_block_out_channels") or (0,) * 4
        spatial = _pow2(len(blocks) - 1)
    return int(spatial), int(temporal or 1)


class DiffusersVAE:
    """A diffusers autoencoder; frames are folded into the batch for image VAEs."""

    def __init__(self, vae: torch.nn.Module, class_name: str, weights_hash: str) -> None:
        self.vae = vae.eval()
        self.class_name = class_name
        self.per_frame = class_name in IMAGE_CLASSES
        self.kind = f"diffusers {class_name}" + (" (frame by frame)" if self.per_frame else "")
        spatial, temporal = _multiples(vae, class_name)
        channels = int(vae.config.get("in_channels", 3))
        if self.per_frame:
            self.input_rule = InputRule(channels=channels, spatial_multiple=spatial)
        else:
            self.input_rule = InputRule(
                channels=channels, frame_step=temporal, frame_offset=1 if temporal > 1 else 0, spatial_multiple=spatial
            )
        self.device = next(vae.parameters()).device
        self.weights_hash = weights_hash
        self.n_parameters = sum(p.numel() for p in vae.parameters())

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        b, c, t, h, w = x.shape
        x = x * 2 - 1  # diffusers autoencoders take -1..1
        if self.per_frame:
            x = x.transpose(1, 2).reshape(b * t, c, h, w)  # (B*T, C, H, W)
        out = self.vae.encode(x)
        dist = getattr(out, "latent_dist", None)
        if dist is not None:
            mu, logvar = dist.mean, getattr(dist, "logvar", None)
        else:  # autoencoders without a distribution (e.g. AutoencoderDC) give latents
            mu, logvar = getattr(out, "latent", out), None
        if self.per_frame:
            mu = mu.reshape(b, t, *mu.shape[1:]).transpose(1, 2)  # (B, C', T, H', W')
            logvar = None if logvar is None else logvar.reshape(b, t, *logvar.shape[1:]).transpose(1, 2)
        return mu, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        if self.per_frame:
            b, c, t = z.shape[:3]
            y = self.vae.decode(z.transpose(1, 2).reshape(b * t, c, *z.shape[3:])).sample  # (B*T, C, H, W)
            y = y.reshape(b, t, *y.shape[1:]).transpose(1, 2)
        else:
            y = self.vae.decode(z).sample  # (B, C, T, H, W)
        return (y.float() + 1) / 2


def is_diffusers_folder(folder: Path) -> bool:
    import json

    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(config, dict) and isinstance(config.get("_class_name"), str)


def load_diffusers_vae(folder: str | os.PathLike, device: torch.device, weights_hash: str) -> DiffusersVAE:
    """Load the autoencoder in ``folder`` (local files only) onto ``device``."""
    import json

    folder = Path(folder)
    class_name = json.loads((folder / "config.json").read_text(encoding="utf-8"))["_class_name"]
    if not (folder / WEIGHTS_FILE).is_file():
        raise DiffusersError(f"{folder} has a diffusers config.json but no {WEIGHTS_FILE}")
    if not class_name.startswith(("Autoencoder", "AsymmetricAutoencoder")):
        raise DiffusersError(f"{folder} holds a diffusers {class_name}, not an autoencoder")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # from_pretrained of a folder never needs the hub
    os.environ.setdefault("DIFFUSERS_OFFLINE", "1")
    try:
        import diffusers
    except ImportError:
        raise DiffusersError(
            f"{folder} is a diffusers {class_name}: install the extra with `pip install latentlab[diffusers]`"
        ) from None
    cls = getattr(diffusers, class_name, None)
    if cls is None:
        raise DiffusersError(f"this diffusers ({diffusers.__version__}) has no {class_name}: upgrade diffusers")
    try:
        vae = cls.from_pretrained(
            str(folder), local_files_only=True, use_safetensors=True, low_cpu_mem_usage=False, torch_dtype=torch.float32
        )
    except (OSError, ValueError, TypeError, RuntimeError, KeyError) as exc:
        raise DiffusersError(f"{folder}: diffusers cannot load this {class_name} ({exc})") from None
    return DiffusersVAE(vae.to(device), class_name, weights_hash)

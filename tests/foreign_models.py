"""Tiny models trained "elsewhere" for the bring-your-own-VAE tests: diffusers autoencoders saved with
``save_pretrained`` and a plain ``torch.nn.Module`` behind ``tests.foreign_models:tiny_module``.
Random weights, a handful of channels: each loads and encodes a small store in about a second."""

from __future__ import annotations

from pathlib import Path

import torch

#: Tiny configurations of the diffusers autoencoders the tests cover (class name, keyword arguments).
DIFFUSERS_CONFIGS = {
    "AutoencoderKL": dict(
        block_out_channels=(8, 16),
        down_block_types=("DownEncoderBlock2D",) * 2,
        up_block_types=("UpDecoderBlock2D",) * 2,
        latent_channels=4,
        norm_num_groups=4,
        layers_per_block=1,
        sample_size=16,
    ),
    "AutoencoderKLWan": dict(
        base_dim=8, z_dim=4, dim_mult=[1, 2], num_res_blocks=1, temperal_downsample=[True], attn_scales=[]
    ),
    "AutoencoderKLCogVideoX": dict(
        block_out_channels=(8, 16),
        down_block_types=("CogVideoXDownBlock3D",) * 2,
        up_block_types=("CogVideoXUpBlock3D",) * 2,
        latent_channels=4,
        norm_num_groups=4,
        layers_per_block=1,
        temporal_compression_ratio=2,
        sample_height=16,
        sample_width=16,
    ),
    "AutoencoderKLLTXVideo": dict(
        block_out_channels=(8, 16, 16, 16),
        decoder_block_out_channels=(8, 16, 16, 16),
        layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1),
        latent_channels=4,
        spatio_temporal_scaling=(True, True, False, False),
        decoder_spatio_temporal_scaling=(True, True, False, False),
        patch_size=1,
        patch_size_t=1,
    ),
}


def save_tiny_diffusers(class_name: str, folder: Path) -> Path:
    """A randomly initialised ``class_name`` written by ``save_pretrained`` into ``folder``."""
    import diffusers

    torch.manual_seed(0)
    model = getattr(diffusers, class_name)(**DIFFUSERS_CONFIGS[class_name])
    model.save_pretrained(str(folder))
    return folder


class TinyModule(torch.nn.Module):
    """A user's own clip VAE: spatial latents (4 x T x H/2 x W/2), mean and log-variance."""

    spatial_multiple = 2

    def __init__(self) -> None:
        super().__init__()
        self.enc = torch.nn.Conv3d(3, 8, kernel_size=(1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1))
        self.dec = torch.nn.ConvTranspose3d(4, 3, kernel_size=(1, 2, 2), stride=(1, 2, 2))

    def encode(self, x):  # (B, 3, T, H, W) in 0..1
        mu, logvar = self.enc(x).chunk(2, dim=1)  # (B, 4, T, H/2, W/2) each
        return mu, logvar

    def decode(self, z):
        return torch.sigmoid(self.dec(z))  # (B, 3, T, H, W)


def tiny_module() -> TinyModule:
    return TinyModule()


def save_tiny_module(path: Path) -> Path:
    """``tiny_module()``'s random weights as a safetensors state dict at ``path``."""
    from safetensors.torch import save_file

    torch.manual_seed(0)
    save_file(tiny_module().state_dict(), str(path))
    return path

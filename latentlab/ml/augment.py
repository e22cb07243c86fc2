"""Data augmentation that is right for video clips, applied to a batch on its device.

Each clip of a batch ``(B, C, T, H, W)`` in 0..1 gets its own random draw of:

* ``flip``: mirrored left-right (half the clips). Right for footage of the world; wrong where
  handedness is content (text, digits), so the sample datasets train without it.
* ``crop``: shifted by up to 1/8 of the frame in x and y, the border filled by repeating the edge
  pixels (a random crop of a slightly larger frame; the frame size stays).
* ``time``: shifted by one frame forwards or backwards in time, the end frame repeated (a clip cut a
  little earlier or later).
* ``reverse``: played backwards (half the clips). Only where the user says so: many motions
  (falling, pouring, walking) look wrong backwards, and a model that learnt them reversed shows it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from latentlab.ml.config import AUGMENTATIONS


def check_augmentations(names) -> tuple[str, ...]:
    """The names as a tuple, or ValueError naming the unknown ones."""
    names = tuple(n for n in names if n)
    unknown = [n for n in names if n not in AUGMENTATIONS]
    if unknown:
        raise ValueError(f"unknown augmentation {', '.join(unknown)}; choose from {', '.join(AUGMENTATIONS)}")
    return names


def augment(x: torch.Tensor, names: tuple[str, ...], generator: torch.Generator) -> torch.Tensor:
    """A randomly augmented copy of ``x`` ``(B, C, T, H, W)``; ``x`` itself is left as it is."""
    if not names:
        return x
    b, c, t, h, w = x.shape
    dev = x.device

    def coin() -> torch.Tensor:  # (B,) bool, half of them True
        return torch.rand(b, generator=generator, device=dev) < 0.5

    if "flip" in names:
        x = torch.where(coin()[:, None, None, None, None], x.flip(-1), x)
    if "reverse" in names:
        x = torch.where(coin()[:, None, None, None, None], x.flip(2), x)
    if "time" in names and t > 1:
        shift = torch.randint(-1, 2, (b,), generator=generator, device=dev)  # (B,) in -1, 0, 1
        idx = (torch.arange(t, device=dev)[None, :] + shift[:, None]).clamp(0, t - 1)  # (B, T)
        x = torch.gather(x, 2, idx[:, None, :, None, None].expand(b, c, t, h, w))
    if "crop" in names:
        m = max(1, min(h, w) // 8)
        dy = torch.randint(-m, m + 1, (b,), generator=generator, device=dev)
        dx = torch.randint(-m, m + 1, (b,), generator=generator, device=dev)
        frames = F.pad(x.reshape(b, c * t, h, w), (m, m, m, m), mode="replicate")  # (B, C*T, H+2m, W+2m)
        rows = torch.arange(h, device=dev)[None, :] + m + dy[:, None]  # (B, H)
        cols = torch.arange(w, device=dev)[None, :] + m + dx[:, None]  # (B, W)
        frames = torch.gather(frames, 2, rows[:, None, :, None].expand(b, c * t, h, w + 2 * m))
        frames = torch.gather(frames, 3, cols[:, None, None, :].expand(b, c * t, h, w))
        x = frames.reshape(b, c, t, h, w)
    return x

"""A clip classifier used as a judge: does a reconstruction or a prior sample show a class at all?

PSNR flatters sprites on a dark background (a clip of mean pixels scores ~19 dB), so models are
judged by what a viewer sees: a small CNN trained on *real* clips reads the class (a sprite's shape,
a digit) from reconstructions and from decoded prior samples. It is trained on sharp clips and on
blurred copies of them, so that softness alone is not counted as a wrong class, and its accuracy on
real held-out clips is reported beside every figure it gives (the ceiling).

The judge is an instrument, not part of any model: ``latentlab eval`` and ``benchmarks/`` train one
on the clips at hand (seeded, about a minute on two CPU threads).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from latentlab.ml.data import to_model_layout


class ClipClassifier(nn.Module):
    """Per-frame conv features averaged over time -> class logits. Input ``(B, C, T, H, W)`` in 0..1.

    It looks at the first, middle and last frames only (the class shows in every frame; three keep
    the judge fast enough to train in a minute on two CPU threads).
    """

    def __init__(self, channels: int, n_classes: int, width: int = 16) -> None:
        super().__init__()
        w = width
        self.features = nn.Sequential(
            nn.Conv2d(channels, w, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(w, w, 3, stride=2, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(w, 2 * w, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(2 * w, 2 * w, 3, stride=2, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(2 * w, 4 * w, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.AdaptiveMaxPool2d(1),
        )
        self.head = nn.Linear(4 * w, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t_all = x.shape[2]
        x = x[:, :, sorted({0, t_all // 2, t_all - 1})]  # (B, C, 3, H, W)
        b, c, t, h, w = x.shape
        f = self.features(x.transpose(1, 2).reshape(b * t, c, h, w)).flatten(1)  # (B*T, 4w)
        return self.head(f.view(b, t, -1).mean(1))  # (B, K)


def _blur(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Each clip of ``x`` ``(B, C, T, H, W)`` blurred by a Gaussian of its own ``sigma`` (pixels)."""
    b, c, t, h, w = x.shape
    r = 3
    k = torch.arange(-r, r + 1, dtype=x.dtype)
    g = torch.exp(-0.5 * (k[None, :] / sigma.clamp_min(1e-3)[:, None]) ** 2)  # (B, 2r+1)
    g = g / g.sum(1, keepdim=True)
    frames = x.permute(0, 2, 1, 3, 4).reshape(1, b * t * c, h, w)  # one group per (clip, frame, channel)
    kern = g.repeat_interleave(t * c, 0)  # (B*T*C, 2r+1)
    frames = F.conv2d(F.pad(frames, (r, r, 0, 0), mode="replicate"), kern[:, None, None, :], groups=b * t * c)
    frames = F.conv2d(F.pad(frames, (0, 0, r, r), mode="replicate"), kern[:, None, :, None], groups=b * t * c)
    return frames.view(b, t, c, h, w).permute(0, 2, 1, 3, 4)


@dataclass
class Judge:
    """A trained :class:`ClipClassifier` and how it did on real held-out clips."""

    model: ClipClassifier
    n_classes: int
    real_accuracy: float  # on the held-out real clips given to :func:`train_judge`
    train_seconds: float

    @torch.inference_mode()
    def probabilities(self, clips: np.ndarray | torch.Tensor, batch: int = 256) -> np.ndarray:
        """Class probabilities ``(N, K)`` of uint8 clips ``(N, T, H, W, C)`` or floats ``(N, C, T, H, W)``."""
        self.model.eval()
        out = []
        for a in range(0, len(clips), batch):
            part = clips[a : a + batch]
            x = to_model_layout(torch.from_numpy(np.ascontiguousarray(part))) if isinstance(part, np.ndarray) else part
            out.append(torch.softmax(self.model(x.float()), 1).numpy())
        return np.concatenate(out) if out else np.zeros((0, self.n_classes))


def train_judge(
    clips_u8: np.ndarray,
    labels: np.ndarray,
    n_classes: int,
    *,
    steps: int = 1500,
    batch: int = 64,
    seed: int = 0,
    held_out: float = 0.1,
) -> Judge:
    """Train a judge on real clips ``(N, T, H, W, C)`` uint8 with integer ``labels``.

    Half of every batch is blurred by a random Gaussian (sigma 0.5..1.5 pixels). The last
    ``held_out`` fraction of the clips is kept out and gives :attr:`Judge.real_accuracy`.
    """
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    n = len(clips_u8)
    n_val = max(1, int(n * held_out))
    train_x, val_x = clips_u8[: n - n_val], clips_u8[n - n_val :]
    train_y = torch.as_tensor(labels[: n - n_val], dtype=torch.long)
    model = ClipClassifier(clips_u8.shape[-1], n_classes)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    t0 = time.perf_counter()
    model.train()
    for step in range(steps):
        idx = torch.randint(0, len(train_x), (batch,), generator=g)
        x = to_model_layout(torch.from_numpy(train_x[idx.numpy()]))  # (B, C, T, H, W)
        x = x[:, :, sorted({0, x.shape[2] // 2, x.shape[2] - 1})]  # the frames the classifier reads
        sig = 0.5 + torch.rand(batch, generator=g)
        blurred = _blur(x, sig)
        keep = (torch.rand(batch, generator=g) < 0.5)[:, None, None, None, None]
        x = torch.where(keep, x, blurred)
        for group in opt.param_groups:
            group["lr"] = 2e-3 * 0.5 * (1 + np.cos(np.pi * step / steps))
        loss = F.cross_entropy(model(x), train_y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    judge = Judge(model, n_classes, 0.0, time.perf_counter() - t0)
    pred = judge.probabilities(val_x).argmax(1)
    judge.real_accuracy = float((pred == labels[n - n_val :]).mean())
    return judge


def blur_clips(clips_u8: np.ndarray, sigma: float) -> np.ndarray:
    """uint8 clips ``(N, T, H, W, C)`` blurred by a Gaussian of ``sigma`` pixels (for checks of the judge)."""
    x = to_model_layout(torch.from_numpy(np.ascontiguousarray(clips_u8)))
    y = _blur(x, torch.full((len(clips_u8),), float(sigma)))
    return (y.permute(0, 2, 3, 4, 1) * 255).round().clamp(0, 255).to(torch.uint8).numpy()

"""A short evaluation of any model's codec: reconstruction quality and speed (``latentlab eval`` for
models that latentlab did not train; its own checkpoints get the full report of ``ml.metrics``)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class CodecReport:
    """What ``latentlab eval`` prints for a diffusers or torch-module model."""

    model: str
    n_clips: int
    latent_dim: int
    mse: float
    psnr: float
    psnr_per_frame: list
    mean_sigma: float | None
    encode_ms_per_clip: float
    decode_ms_per_clip: float
    device: str

    def to_dict(self) -> dict:
        return asdict(self)

    def text(self) -> str:
        sigma = "" if self.mean_sigma is None else f"; posterior mean sigma {self.mean_sigma:.4f}"
        return "\n".join(
            [
                self.model,
                f"{self.n_clips} clips: reconstruction MSE {self.mse:.5f} per pixel (0..1), PSNR {self.psnr:.2f} dB",
                "  PSNR per frame: " + " ".join(f"{p:.1f}" for p in self.psnr_per_frame),
                f"latent: {self.latent_dim} dims{sigma}",
                f"speed on {self.device}: encode {self.encode_ms_per_clip:.1f} ms, decode {self.decode_ms_per_clip:.1f} ms per clip",  # noqa: E501
            ]
        )


def _psnr(mse: float) -> float:
    return float(10 * np.log10(1.0 / max(mse, 1e-12)))


def codec_report(codec, clips_u8: np.ndarray, batch: int = 16) -> CodecReport:
    """Encode and decode ``clips_u8`` ``(N, T, H, W, C)`` with ``codec``, timing both."""
    mus, logvars, recons = [], [], []
    t_enc = t_dec = 0.0
    for a in range(0, len(clips_u8), batch):
        t0 = time.perf_counter()
        mu, logvar = codec.encode(clips_u8[a : a + batch])
        t1 = time.perf_counter()
        recons.append(codec.decode(mu))
        t_dec += time.perf_counter() - t1
        t_enc += t1 - t0
        mus.append(mu)
        logvars.append(logvar)
    x = clips_u8.astype(np.float32) / 255.0
    y = np.concatenate(recons).astype(np.float32) / 255.0
    err = (x - y) ** 2  # (N, T, H, W, C)
    per_frame = [_psnr(float(m)) for m in err.mean(axis=(0, 2, 3, 4))]
    sigma = float(np.exp(0.5 * np.concatenate(logvars)).mean()) if getattr(codec, "has_logvar", True) else None
    n = max(len(clips_u8), 1)
    describe = getattr(codec, "describe", None)
    return CodecReport(
        model=describe() if describe else repr(codec),
        n_clips=len(clips_u8),
        latent_dim=int(codec.latent_dim),
        mse=float(err.mean()),
        psnr=_psnr(float(err.mean())),
        psnr_per_frame=per_frame,
        mean_sigma=sigma,
        encode_ms_per_clip=1000 * t_enc / n,
        decode_ms_per_clip=1000 * t_dec / n,
        device=str(codec.device),
    )

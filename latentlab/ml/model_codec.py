"""``ModelCodec``: any :class:`~latentlab.ml.model_protocol.ClipModel` as a numpy-in, numpy-out codec.

It has the interface of :class:`~latentlab.ml.codec.ClipCodec` (``encode``, ``decode``,
``reconstruct``, ``latent_dim``, ``frames``/``height``/``width``/``channels``, ``weights_hash``,
``device``), for clips of the *store's* geometry, whatever the model takes:

* clips are padded (last frame and edge pixels repeated) up to the frame count and spatial multiples
  the model accepts, or resized to a model's fixed size, and decoded clips are cropped or resized
  back; a geometry that cannot be fitted raises :class:`ModelGeometryError` with one line;
* latents of any shape are flattened; past ``MAX_LATENT_DIMS`` values a PCA pre-reduction fitted on
  the data's latents (:meth:`fit_reduction`) maps them to at most that many dims and back.
"""

from __future__ import annotations

import threading

import numpy as np
import torch
import torch.nn.functional as F

from latentlab.core.errors import UserError
from latentlab.core.latent_reduction import MAX_LATENT_DIMS, LatentReduction
from latentlab.ml.checkpoint import content_hash
from latentlab.ml.data import from_model_layout, to_model_layout
from latentlab.ml.model_protocol import ClipModel, InputRule


class ModelGeometryError(UserError):
    """The store's clips cannot be fitted to a size the model takes."""


def fitted_size(rule: InputRule, clip: tuple[int, int, int, int]) -> tuple[int, int, int]:
    """``(T*, H*, W*)`` the model runs on for clips ``(T, H, W, C)`` (raises ModelGeometryError)."""
    t, h, w, c = clip
    if c != rule.channels and not (c == 1 and rule.channels == 3):
        raise ModelGeometryError(f"the clips have {c} channel(s) but the model takes {rule.channels}")
    if rule.frames is not None:
        if rule.frames != t:
            raise ModelGeometryError(
                f"the model takes clips of exactly {rule.frames} frames and these have {t}: "
                f"cut the videos again with `latentlab ingest ... --frames {rule.frames}`"
            )
        ft = t
    else:
        step, off = max(1, rule.frame_step), rule.frame_offset
        ft = off + max(0, -(-(t - off) // step)) * step
        ft = ft if ft >= max(t, 1) else ft + step
    if rule.height is not None and rule.width is not None:
        return ft, rule.height, rule.width
    m = max(1, rule.spatial_multiple)
    fh, fw = -(-h // m) * m, -(-w // m) * m
    if fh > 4 * h or fw > 4 * w:
        raise ModelGeometryError(
            f"the model takes sizes in multiples of {m} pixels; clips of {w}×{h} would have to "
            f"be padded to {fw}×{fh}: ingest the videos at a larger --size"
        )
    return ft, fh, fw


class ModelCodec:
    """Encode and decode clips of shape ``clip (T, H, W, C)`` with ``model``.

    Attributes
    ----------
    clip_model : ClipModel
        The model (not ``model``: views that need latentlab's own VAE, such as the ELBO panel, look
        for that name and say the model gives no likelihood).
    latent_shape : tuple
        The model's latent shape for one clip (e.g. ``(C', T', H', W')``).
    reduction : LatentReduction | None
        The PCA pre-reduction once fitted; ``latent_dim`` is then its size.
    has_logvar : bool
        False when the model gives only means (``logvar`` is then zeros).
    """

    def __init__(self, model: ClipModel, clip: tuple[int, int, int, int], max_batch: int = 64) -> None:
        self.clip_model = model
        self.kind = model.kind
        self.frames, self.height, self.width, self.channels = (int(v) for v in clip)
        self.fit_t, self.fit_h, self.fit_w = fitted_size(model.input_rule, clip)
        self.device = str(model.device)
        self.max_batch = max(1, int(max_batch))
        self.reduction: LatentReduction | None = None
        self._lock = threading.Lock()
        self.latent_shape, self.has_logvar = self._probe()
        self.flat_dim = int(np.prod(self.latent_shape))
        self.latent_dim = self.flat_dim
        self.config = {"kind": self.kind, "latent_shape": list(self.latent_shape)}
        self.weights_hash = self._base_hash = content_hash(f"{model.weights_hash}-{clip}".encode())

    # ------------------------------------------------------------------------------ geometry
    def _probe(self) -> tuple[tuple[int, ...], bool]:
        """Encode and decode one blank clip: the latent shape, and the decoder's frame count checked
        (some causal decoders take only some of the counts the rule allows: the next ones are tried)."""
        rule = self.clip_model.input_rule
        for _ in range(4):
            x = torch.full((1, rule.channels, self.fit_t, self.fit_h, self.fit_w), 0.5, device=self.clip_model.device)
            try:
                with torch.inference_mode():
                    mu, logvar = self.clip_model.encode(x)
                    y = self.clip_model.decode(mu)
            except RuntimeError as exc:  # a size the model's layers cannot take
                raise ModelGeometryError(
                    f"the model cannot run on clips of {self.fit_t}×{self.fit_h}×{self.fit_w} "
                    f"(T×H×W; it takes {rule.describe()}): {str(exc).splitlines()[0]}"
                ) from exc
            if tuple(y.shape[2:]) == (self.fit_t, self.fit_h, self.fit_w):
                return tuple(mu.shape[1:]), logvar is not None
            if rule.frames is not None or y.shape[3:] != x.shape[3:]:
                break
            self.fit_t += max(1, rule.frame_step)
        raise ModelGeometryError(
            f"the model does not decode clips of {self.frames} frames of {self.width}×{self.height} "
            f"back to their size (it takes {rule.describe()}; it returned {tuple(y.shape[2:])})"
        )

    def _to_model(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, T, H, W)`` 0..1 of the store's size -> the size the model runs on."""
        if x.shape[1] == 1 and self.clip_model.input_rule.channels == 3:
            x = x.expand(-1, 3, -1, -1, -1)
        t, h, w = x.shape[2:]
        rule = self.clip_model.input_rule
        if rule.height is not None and (h, w) != (self.fit_h, self.fit_w):
            b = x.shape[0]
            frames = x.transpose(1, 2).reshape(b * t, -1, h, w)  # (B*T, C, H, W)
            frames = F.interpolate(frames, size=(self.fit_h, self.fit_w), mode="area")
            x = frames.reshape(b, t, -1, self.fit_h, self.fit_w).transpose(1, 2)
            h, w = self.fit_h, self.fit_w
        pad = (0, self.fit_w - w, 0, self.fit_h - h, 0, self.fit_t - t)
        return F.pad(x, pad, mode="replicate") if any(pad) else x

    def _from_model(self, y: torch.Tensor) -> torch.Tensor:
        """Decoded ``(B, C, T*, H*, W*)`` -> the store's size."""
        y = y[:, :, : self.frames]
        rule = self.clip_model.input_rule
        if rule.height is not None and (self.fit_h, self.fit_w) != (self.height, self.width):
            b, c, t = y.shape[:3]
            frames = y.transpose(1, 2).reshape(b * t, c, self.fit_h, self.fit_w)
            frames = F.interpolate(frames, size=(self.height, self.width), mode="bilinear", align_corners=False)
            y = frames.reshape(b, t, c, self.height, self.width).transpose(1, 2)
        y = y[:, :, :, : self.height, : self.width]
        if self.channels == 1 and y.shape[1] == 3:
            y = y.mean(dim=1, keepdim=True)
        return y.clamp(0, 1)

    # ------------------------------------------------------------------------------ reduction
    def fit_reduction(self, clips_u8: np.ndarray, max_dims: int = MAX_LATENT_DIMS) -> LatentReduction | None:
        """Fit the PCA pre-reduction on these clips' latents when the flattened latent is larger
        than ``max_dims`` (a no-op otherwise). Changes ``latent_dim`` and ``weights_hash``."""
        if self.flat_dim <= max_dims:
            return None
        self.reduction = None
        mu, _ = self._encode_flat(clips_u8)
        return self.set_reduction(LatentReduction.fit(mu, max_dims))

    def set_reduction(self, reduction: LatentReduction) -> LatentReduction:
        """Use ``reduction`` (fitted earlier on this model's latents of these clips)."""
        if reduction.flat_dim != self.flat_dim:
            raise ValueError(f"the reduction is for {reduction.flat_dim} values, the latent has {self.flat_dim}")
        self.reduction, self.latent_dim = reduction, reduction.dims
        basis = content_hash(reduction.components.tobytes() + reduction.mean.tobytes())
        self.weights_hash = content_hash(f"{self._base_hash}-pca-{basis}".encode())
        return reduction

    # ------------------------------------------------------------------------------ API
    def _encode_flat(self, clips_u8: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        clips_u8 = np.asarray(clips_u8)
        clips_u8 = clips_u8[None] if clips_u8.ndim == 4 else clips_u8
        want = (self.frames, self.height, self.width, self.channels)
        if clips_u8.ndim != 5 or tuple(clips_u8.shape[1:]) != want or clips_u8.dtype != np.uint8:
            raise ValueError(
                f"clips must be uint8 (B, {', '.join(map(str, want))}); got {clips_u8.dtype} {clips_u8.shape}"
            )
        mus, logvars = [np.zeros((0, self.flat_dim), np.float32)], [np.zeros((0, self.flat_dim), np.float32)]
        with self._lock, torch.inference_mode():
            for a in range(0, len(clips_u8), self.max_batch):
                x = to_model_layout(
                    torch.from_numpy(np.ascontiguousarray(clips_u8[a : a + self.max_batch])), self.clip_model.device
                )  # (b, C, T, H, W)
                mu, logvar = self.clip_model.encode(self._to_model(x))
                mus.append(mu.float().reshape(len(mu), -1).cpu().numpy())  # (b, F)
                lv = torch.zeros_like(mu) if logvar is None else logvar
                logvars.append(lv.float().reshape(len(mu), -1).cpu().numpy())
        return np.concatenate(mus), np.concatenate(logvars)

    def encode(self, clips_u8: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(mu, logvar)``, each ``(B, latent_dim)`` float32, of clips ``(B, T, H, W, C)`` uint8."""
        mu, logvar = self._encode_flat(clips_u8)
        if self.reduction is None:
            return mu, logvar
        return self.reduction.reduce(mu), self.reduction.reduce_logvar(logvar)

    def decode(self, z: np.ndarray) -> np.ndarray:
        """Clips ``(B, T, H, W, C)`` uint8 decoded from ``z`` ``(B, latent_dim)``."""
        z = np.asarray(z, np.float32)
        z = z[None] if z.ndim == 1 else z
        if z.ndim != 2 or z.shape[1] != self.latent_dim or not np.isfinite(z).all():
            raise ValueError(f"latents must be finite, of shape (B, {self.latent_dim}); got {z.shape}")
        flat = self.reduction.expand(z) if self.reduction is not None else z  # (B, F)
        out = [np.zeros((0, self.frames, self.height, self.width, self.channels), np.uint8)]
        with self._lock, torch.inference_mode():
            for a in range(0, len(flat), self.max_batch):
                zz = torch.from_numpy(flat[a : a + self.max_batch]).to(self.clip_model.device)
                zz = zz.reshape(len(zz), *self.latent_shape)  # (b, C', T', H', W') or (b, D)
                out.append(from_model_layout(self._from_model(self.clip_model.decode(zz).float())))
        return np.concatenate(out)

    def reconstruct(self, clips_u8: np.ndarray) -> np.ndarray:
        """Decode the posterior mean of each clip: ``(B, T, H, W, C)`` uint8."""
        return self.decode(self.encode(clips_u8)[0])

    def describe(self) -> str:
        """One line: kind, latent shape, reduction, how the clips are fitted."""
        shape = "×".join(map(str, self.latent_shape))
        words = f"{self.kind}: latent {shape}" + (f" = {self.flat_dim} values" if len(self.latent_shape) > 1 else "")
        if self.reduction is not None:
            words += f", {self.reduction.describe()}"
        if (self.fit_t, self.fit_h, self.fit_w) != (self.frames, self.height, self.width):
            words += (
                f"; clips of {self.frames}×{self.height}×{self.width} run as "
                f"{self.fit_t}×{self.fit_h}×{self.fit_w} (T×H×W)"
            )
        return words

    def __repr__(self) -> str:
        return f"ModelCodec({self.describe()}, device={self.device!r})"

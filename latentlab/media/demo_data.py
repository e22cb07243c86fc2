"""Procedural demo data: short clips of one bouncing sprite on a dark background.

Every clip shows one sprite (circle, square, diamond or triangle) of a random colour and size that
moves at constant velocity and bounces off the frame's edges. The generator is seeded and fully
vectorised: the same parameters always give the same bytes, and 20 000 clips of 8 x 64 x 64 take a
few seconds. Each clip's ground-truth factors go into the store's table, so that a model's latents
can be checked against them (linear probes, colouring the map):

=============  ==================================================================
factor         meaning
=============  ==================================================================
shape          0 circle, 1 square, 2 diamond, 3 triangle
size           sprite radius as a fraction of the frame width
x, y           sprite centre in the clip's first frame, 0..1 (x right, y down)
x_mid, y_mid   sprite centre in the clip's middle frame, 0..1
vx, vy         velocity in frame widths per frame (sign before any bounce)
r, g, b        sprite colour, 0..1
=============  ==================================================================
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from latentlab.core.fingerprint import text_fingerprint
from latentlab.media.clip_store import ClipGeometry, ClipStore

SHAPES = ("circle", "square", "diamond", "triangle")
FACTOR_NAMES = ("shape", "size", "x", "y", "x_mid", "y_mid", "vx", "vy", "r", "g", "b")
BACKGROUND = np.array([12, 14, 20], np.float32)  # a dark blue-grey, RGB


@dataclass(frozen=True)
class DemoSpec:
    """Parameters of the procedural dataset (all of them go into the store's fingerprint)."""

    n_clips: int = 20_000
    frames: int = 8
    size: int = 64
    seed: int = 0
    fps: float = 12.0


def _sample_factors(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    shape = rng.integers(0, len(SHAPES), n)
    size = rng.uniform(0.09, 0.2, n)
    x = rng.uniform(size, 1 - size)
    y = rng.uniform(size, 1 - size)
    speed = rng.uniform(0.0, 0.06, n)
    angle = rng.uniform(0, 2 * np.pi, n)
    hue = rng.uniform(0, 1, n)
    sat = rng.uniform(0.55, 1.0, n)
    val = rng.uniform(0.65, 1.0, n)
    rgb = _hsv_to_rgb(hue, sat, val)
    return dict(
        shape=shape.astype(np.float64), size=size, x=x, y=y,
        vx=speed * np.cos(angle), vy=speed * np.sin(angle), r=rgb[:, 0], g=rgb[:, 1], b=rgb[:, 2],
    )


def _hsv_to_rgb(h: np.ndarray, s: np.ndarray, v: np.ndarray) -> np.ndarray:
    i = np.floor(h * 6).astype(int) % 6
    f = h * 6 - np.floor(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    table = np.stack([
        np.stack([v, t, p], 1), np.stack([q, v, p], 1), np.stack([p, v, t], 1),
        np.stack([p, q, v], 1), np.stack([t, p, v], 1), np.stack([v, p, q], 1),
    ], 0)  # (6, n, 3)
    return table[i, np.arange(len(h))]


def _bounce(p0: np.ndarray, v: np.ndarray, lo: np.ndarray, hi: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Positions (n, T) of points moving from p0 at speed v, reflected inside [lo, hi]."""
    span = (hi - lo)[:, None]
    u = (p0 - lo)[:, None] + v[:, None] * t[None, :]  # unfolded path
    u = np.mod(u, 2 * span)
    return lo[:, None] + np.where(u > span, 2 * span - u, u)


def _render(f: dict[str, np.ndarray], frames: int, size: int) -> tuple[np.ndarray, dict]:
    n = len(f["x"])
    t = np.arange(frames, dtype=np.float64)
    r = f["size"]
    xs = _bounce(f["x"], f["vx"], r, 1 - r, t)  # (n, T)
    ys = _bounce(f["y"], f["vy"], r, 1 - r, t)
    grid = (np.arange(size, dtype=np.float32) + 0.5) / size
    shape = f["shape"].astype(int)
    alpha = np.empty((n, frames, size, size), np.float32)  # (n, T, H, W)
    for k in range(len(SHAPES)):  # each shape's distance only for its own clips
        sel = np.flatnonzero(shape == k)
        if not sel.size:
            continue
        dx = grid[None, None, None, :] - xs[sel, :, None, None].astype(np.float32)  # (m, T, 1, W)
        dy = grid[None, None, :, None] - ys[sel, :, None, None].astype(np.float32)  # (m, T, H, 1)
        rr = r[sel, None, None, None].astype(np.float32)
        if k == 0:
            sdf = np.sqrt(dx * dx + dy * dy) - rr
        elif k == 1:
            sdf = np.maximum(np.abs(dx), np.abs(dy)) - 0.85 * rr
        elif k == 2:
            sdf = (np.abs(dx) + np.abs(dy)) * np.float32(1 / np.sqrt(2)) - 0.8 * rr
        else:  # apex up (y grows downwards): three half-planes, exact inside, close at the edge
            side = np.maximum(0.866 * dx - 0.5 * dy, -0.866 * dx - 0.5 * dy)
            sdf = np.maximum(dy - 0.5 * rr, side - 0.5 * rr)
        alpha[sel] = sdf
    # One pixel of anti-aliasing: alpha = clip(0.5 - sdf * size, 0, 1), in place.
    np.multiply(alpha, -size, out=alpha)
    np.add(alpha, 0.5, out=alpha)
    np.clip(alpha, 0.0, 1.0, out=alpha)
    colour = np.stack([f["r"], f["g"], f["b"]], 1).astype(np.float32) * 255 - BACKGROUND  # (n, 3)
    img = np.empty((n, frames, size, size, 3), np.uint8)
    for c in range(3):
        img[..., c] = alpha * colour[:, c, None, None, None] + (BACKGROUND[c] + 0.5)
    mid = frames // 2
    extra = {"x_mid": xs[:, mid], "y_mid": ys[:, mid]}
    return img, extra


def generate_clips(spec: DemoSpec, start: int, count: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Clips ``start .. start+count`` of the dataset: ``(count, T, H, W, 3)`` uint8 and factors.

    Each chunk of 250 clips has its own seed derived from ``spec.seed``, so any range can be
    generated independently and the result does not depend on how the range is split.
    """
    out, factors = [], {k: [] for k in FACTOR_NAMES}
    chunk = 250
    for c in range(start // chunk, (start + count - 1) // chunk + 1 if count else start // chunk):
        rng = np.random.default_rng([spec.seed, c])
        f = _sample_factors(rng, chunk)
        lo, hi = max(start, c * chunk) - c * chunk, min(start + count, (c + 1) * chunk) - c * chunk
        f = {k: v[lo:hi] for k, v in f.items()}
        clips, extra = _render(f, spec.frames, spec.size)
        f.update(extra)
        out.append(clips)
        for k in FACTOR_NAMES:
            factors[k].append(f[k])
    if not out:
        return np.zeros((0, spec.frames, spec.size, spec.size, 3), np.uint8), {k: np.zeros(0) for k in FACTOR_NAMES}
    return np.concatenate(out), {k: np.concatenate(v) for k, v in factors.items()}


def write_demo_store(
    path: str | os.PathLike,
    spec: DemoSpec = DemoSpec(),
    progress: Callable[[int, int], None] | None = None,
) -> ClipStore:
    """Write the procedural dataset to a new clip store at ``path`` and return it opened.

    ``progress(done, total)`` is called after every batch of clips.
    """
    geometry = ClipGeometry(spec.frames, spec.size, spec.size, 3)
    store = ClipStore.create(Path(path), geometry, factor_names=FACTOR_NAMES, attrs={"demo": asdict(spec)})
    params = asdict(spec)
    source = {
        "path": "procedural:sprites",
        "fingerprint": text_fingerprint("sprites-v1", repr(sorted(params.items()))),
        "params": params,
        "status": "ok",
    }
    batch = 1000
    with store.appender(source) as app:
        for start in range(0, spec.n_clips, batch):
            count = min(batch, spec.n_clips - start)
            clips, factors = generate_clips(spec, start, count)
            idx = np.arange(start, start + count)
            app.append_batch(
                clips,
                factors=factors,
                start_frame=idx * spec.frames,
                end_frame=(idx + 1) * spec.frames,
                start_time=idx * spec.frames / spec.fps,
                end_time=(idx + 1) * spec.frames / spec.fps,
                fps=np.full(count, spec.fps),
            )
            if progress is not None:
                progress(start + count, spec.n_clips)
    return store

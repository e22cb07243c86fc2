"""Procedural demo data: short clips of one bouncing sprite on a dark background.

Every clip shows one sprite (circle, square, plus sign or triangle) of a random colour and size that
moves at constant velocity and bounces off the frame's edges. The generator is seeded and fully
vectorised: the same parameters always give the same bytes, and 20 000 clips of 8 x 64 x 64 take a
few seconds. Each clip's ground-truth factors go into the store's table, so that a model's latents
can be checked against them (linear probes, colouring the map).

Sprites are large (an equivalent radius of 5-11 pixels at 32 x 32, 8 on average), so that their
shape survives the model's resolution, and every shape of one ``size`` covers the same area (a
circle of radius ``size``): size is then what a viewer sees, whatever the shape, where a triangle as
wide as a circle would look like a smaller sprite. The continuous factors are drawn from truncated normal
distributions centred in their range: a VAE's Gaussian prior then lays each of them out along a
direction of the latent space almost linearly, where a uniform factor would be bent into the prior's
shape (its best linear read-out explains at most 95.5 % of its variance), and a clipped one would pile
clips on its bounds. Motion is described at the clip's middle frame (position and velocity there; a
bounce before or after reflects the path), which is what the whole clip shows. Positions keep most
sprites off the walls: about one clip in eight bounces within its eight frames, so that the velocity a
clip shows is, for most clips, one straight line.

=============  ==================================================================
factor         meaning
=============  ==================================================================
shape          0 circle, 1 square, 2 cross, 3 triangle
size           radius of the circle of the sprite's area, as a fraction of the frame width
x, y           sprite centre (centroid) in the clip's first frame, 0..1 (x right, y down)
x_mid, y_mid   sprite centre in the clip's middle frame, 0..1
vx, vy         velocity at the middle frame, in frame widths per frame
r, g, b        sprite colour, 0..1
=============  ==================================================================
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from latentlab.core.fingerprint import text_fingerprint
from latentlab.core.frame_rate import FALLBACK_FPS
from latentlab.media.clip_store import ClipGeometry, ClipStore

SHAPES = ("circle", "square", "cross", "triangle")
FACTOR_NAMES = ("shape", "size", "x", "y", "x_mid", "y_mid", "vx", "vy", "r", "g", "b")
BACKGROUND = np.array([12, 14, 20], np.float32)  # a dark blue-grey, RGB


@dataclass(frozen=True)
class DemoSpec:
    """Parameters of the procedural dataset (all of them go into the store's fingerprint)."""

    n_clips: int = 20_000
    frames: int = 8
    size: int = 32  # the bundled model's size
    seed: int = 0
    fps: float = FALLBACK_FPS


def _truncated_normal(rng: np.random.Generator, n: int, mean, sd, lo, hi) -> np.ndarray:
    """``n`` draws of N(mean, sd^2) restricted to [lo, hi] (redrawn until inside; bounds may be arrays)."""
    lo, hi = np.broadcast_to(lo, (n,)), np.broadcast_to(hi, (n,))
    out = mean + sd * rng.standard_normal(n)
    bad = np.flatnonzero((out < lo) | (out > hi))
    while bad.size:
        out[bad] = mean + sd * rng.standard_normal(bad.size)
        bad = bad[(out[bad] < lo[bad]) | (out[bad] > hi[bad])]
    return out


# Each shape's extent from its centroid, in units of ``size`` (the radius of the circle of the same
# area): left/right, up, down. Square: half-side sqrt(pi)/2. Plus sign: arms of half-length L and
# half-width 0.35 L cover 2.31 L^2. Triangle (apex up): inradius rho = sqrt(pi / (3 sqrt 3)), apex
# 2 rho above the centroid, base rho below it, half-width sqrt(3) rho.
_SQUARE = math.sqrt(math.pi) / 2
_CROSS = math.sqrt(math.pi / 2.31)
_RHO = math.sqrt(math.pi / (3 * math.sqrt(3)))
_EXTENT = np.array(
    [(1.0, 1.0, 1.0), (_SQUARE, _SQUARE, _SQUARE), (_CROSS, _CROSS, _CROSS), (math.sqrt(3) * _RHO, 2 * _RHO, _RHO)]
)


def _limits(shape: np.ndarray, size: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Where each sprite's centroid may go: x in [lo_x, hi_x], y in [lo_y, hi_y] (the sprite inside the frame)."""
    e = _EXTENT[shape.astype(int)] * size[:, None]  # (n, 3): side, up, down
    return e[:, 0], 1 - e[:, 0], e[:, 1], 1 - e[:, 2]


def _sample_factors(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    shape = rng.integers(0, len(SHAPES), n)
    size = _truncated_normal(rng, n, 0.25, 0.04, 0.17, 0.33)
    lo_x, hi_x, lo_y, hi_y = _limits(shape, size)
    x = _truncated_normal(rng, n, 0.5, 0.07, lo_x, hi_x)
    y = _truncated_normal(rng, n, 0.5, 0.07, lo_y, hi_y)
    vx = _truncated_normal(rng, n, 0.0, 0.017, -0.06, 0.06)
    vy = _truncated_normal(rng, n, 0.0, 0.017, -0.06, 0.06)
    rgb = [_truncated_normal(rng, n, 0.68, 0.18, 0.3, 1.0) for _ in range(3)]
    return dict(shape=shape.astype(np.float64), size=size, x_mid=x, y_mid=y, vx=vx, vy=vy, r=rgb[0], g=rgb[1], b=rgb[2])


def _bounce(p0: np.ndarray, v: np.ndarray, lo: np.ndarray, hi: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Positions (n, T) of points moving from p0 at speed v, reflected inside [lo, hi]."""
    span = (hi - lo)[:, None]
    u = (p0 - lo)[:, None] + v[:, None] * t[None, :]  # unfolded path
    u = np.mod(u, 2 * span)
    return lo[:, None] + np.where(u > span, 2 * span - u, u)


def _render(f: dict[str, np.ndarray], frames: int, size: int) -> tuple[np.ndarray, dict]:
    n = len(f["x_mid"])
    mid = frames // 2
    t = np.arange(frames, dtype=np.float64) - mid  # frames relative to the middle one
    r = f["size"]
    shape = f["shape"].astype(int)
    lo_x, hi_x, lo_y, hi_y = _limits(shape, r)
    xs = _bounce(f["x_mid"], f["vx"], lo_x, hi_x, t)  # (n, T) centroids
    ys = _bounce(f["y_mid"], f["vy"], lo_y, hi_y, t)
    grid = (np.arange(size, dtype=np.float32) + 0.5) / size
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
            sdf = np.maximum(np.abs(dx), np.abs(dy)) - _SQUARE * rr
        elif k == 2:  # a plus sign: the union of two bars 0.7 L wide
            ax, ay, arm = np.abs(dx), np.abs(dy), _CROSS * rr
            sdf = np.minimum(np.maximum(ax - 0.35 * arm, ay - arm), np.maximum(ax - arm, ay - 0.35 * arm))
        else:  # apex up (y grows downwards): three half-planes at the inradius, exact inside, close at the edge
            side = np.maximum(0.866 * dx - 0.5 * dy, -0.866 * dx - 0.5 * dy)
            sdf = np.maximum(dy, side) - _RHO * rr
        alpha[sel] = sdf
    # One pixel of anti-aliasing: alpha = clip(0.5 - sdf * size, 0, 1), in place.
    np.multiply(alpha, -size, out=alpha)
    np.add(alpha, 0.5, out=alpha)
    np.clip(alpha, 0.0, 1.0, out=alpha)
    colour = np.stack([f["r"], f["g"], f["b"]], 1).astype(np.float32) * 255 - BACKGROUND  # (n, 3)
    img = np.empty((n, frames, size, size, 3), np.uint8)
    for c in range(3):
        img[..., c] = alpha * colour[:, c, None, None, None] + (BACKGROUND[c] + 0.5)
    extra = {"x": xs[:, 0], "y": ys[:, 0]}
    return img, extra


def generate_clips(spec: DemoSpec, start: int, count: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Clips ``start .. start+count`` of the dataset: ``(count, T, H, W, 3)`` uint8 and factors.

    Each chunk of clips has its own seed derived from ``spec.seed``, so any range can be generated
    independently and the result does not depend on how the range is split.
    """

    def chunk(c: int, lo: int, hi: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        f = _sample_factors(np.random.default_rng([spec.seed, c]), CHUNK)
        f = {k: v[lo:hi] for k, v in f.items()}
        clips, extra = _render(f, spec.frames, spec.size)
        return clips, f | extra

    return generate_chunked(start, count, (spec.frames, spec.size, spec.size, 3), FACTOR_NAMES, chunk)


CHUNK = 250  # clips drawn from one seed


def generate_chunked(
    start: int,
    count: int,
    clip_shape: tuple[int, ...],
    factor_names: tuple[str, ...],
    chunk: Callable[[int, int, int], tuple[np.ndarray, dict[str, np.ndarray]]],
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Clips ``start .. start+count`` of a procedural dataset drawn :data:`CHUNK` clips per seed.

    ``chunk(c, lo, hi)`` makes clips ``lo .. hi`` of chunk ``c`` (uint8 ``(hi - lo, *clip_shape)``)
    and their factors.
    """
    out, factors = [], {k: [] for k in factor_names}
    for c in range(start // CHUNK, (start + count - 1) // CHUNK + 1 if count else start // CHUNK):
        lo, hi = max(start, c * CHUNK) - c * CHUNK, min(start + count, (c + 1) * CHUNK) - c * CHUNK
        clips, f = chunk(c, lo, hi)
        out.append(clips)
        for k in factor_names:
            factors[k].append(f[k])
    if not out:
        return np.zeros((0, *clip_shape), np.uint8), {k: np.zeros(0) for k in factor_names}
    return np.concatenate(out), {k: np.concatenate(v) for k, v in factors.items()}


def demo_fingerprint(spec: DemoSpec) -> str:
    """The generator's fingerprint of ``spec``: it changes with the spec and with the generator's
    version, so a store made by another version is known for what it is."""
    return text_fingerprint("sprites-v4", repr(sorted(asdict(spec).items())))


def write_demo_store(
    path: str | os.PathLike,
    spec: DemoSpec = DemoSpec(),
    progress: Callable[[int, int], None] | None = None,
) -> ClipStore:
    """Write the procedural sprite dataset to a new clip store at ``path`` and return it opened.

    ``progress(done, total)`` is called after every batch of clips.
    """
    geometry = ClipGeometry(spec.frames, spec.size, spec.size, 3)
    params = asdict(spec)
    return write_generated_store(
        path,
        geometry,
        FACTOR_NAMES,
        {"demo": params},
        "procedural:sprites",
        demo_fingerprint(spec),
        params,
        lambda start, count: generate_clips(spec, start, count),
        spec.n_clips,
        spec.fps,
        progress,
    )


def write_generated_store(
    path: str | os.PathLike,
    geometry: ClipGeometry,
    factor_names: tuple[str, ...],
    attrs: dict,
    source_path: str,
    fingerprint: str,
    params: dict,
    generate: Callable[[int, int], tuple[np.ndarray, dict[str, np.ndarray]]],
    n_clips: int,
    fps: float,
    progress: Callable[[int, int], None] | None = None,
) -> ClipStore:
    """A new store at ``path`` holding clips ``generate(start, count)`` for ``0 .. n_clips`` (one source)."""
    store = ClipStore.create(Path(path), geometry, factor_names=factor_names, attrs=attrs)
    source = {"path": source_path, "fingerprint": fingerprint, "params": params, "status": "ok"}
    batch = 1000
    with store.appender(source) as app:
        for start in range(0, n_clips, batch):
            count = min(batch, n_clips - start)
            clips, factors = generate(start, count)
            idx = np.arange(start, start + count)
            app.append_batch(
                clips,
                factors=factors,
                start_frame=idx * geometry.frames,
                end_frame=(idx + 1) * geometry.frames,
                start_time=idx * geometry.frames / fps,
                end_time=(idx + 1) * geometry.frames / fps,
                fps=np.full(count, fps),
            )
            if progress is not None:
                progress(start + count, n_clips)
    return store

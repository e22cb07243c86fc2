"""Moving handwritten digits: a second sample dataset, built from the digits scikit-learn ships.

Like Moving MNIST (Srivastava et al. 2015), every clip shows one handwritten digit moving at constant
velocity and bouncing off the frame's edges, white on black. The digits are the 1 797 real
handwritten 8 x 8 digits of ``sklearn.datasets.load_digits`` (UCI optical recognition of
handwritten digits; shipped inside scikit-learn, nothing is downloaded), enlarged to 5/8 of the
frame's side (20 x 20 pixels in a 32 x 32 frame), so that the strokes that tell one digit from
another cover enough pixels to matter. Clips are seeded and reproducible byte for byte, like the
sprites of :mod:`latentlab.media.demo_data`.

The digit moves smoothly: it is placed with sub-pixel accuracy (bilinear), so a slow digit glides
rather than jumping a whole pixel every other frame. Position and velocity are drawn from truncated
normal distributions, as the sprites' are, and keep most digits off the walls (about one clip in
seven bounces within its eight frames).

The digit images are split once: every fifth image (359) is kept out of ``images="train"`` and is
all that ``images="test"`` uses, so a model trained on the first can be judged on handwriting it
never saw.

=============  ==================================================================
factor         meaning
=============  ==================================================================
digit          the digit's class, 0..9
image          index of the digit image in scikit-learn's set
x, y           where the digit's ink is centred (its centroid) in the clip's first frame, 0..1
               (x right, y down)
x_mid, y_mid   the ink's centroid in the clip's middle frame, 0..1
vx, vy         velocity at the middle frame, in frame widths per frame
=============  ==================================================================
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import lru_cache

import cv2
import numpy as np

from latentlab.core.fingerprint import text_fingerprint
from latentlab.media.clip_store import ClipGeometry, ClipStore
from latentlab.media.demo_data import (
    CHUNK,
    DemoSpec,
    _bounce,
    _truncated_normal,
    generate_chunked,
    write_generated_store,
)

DIGITS = tuple(str(d) for d in range(10))
FACTOR_NAMES = ("digit", "image", "x", "y", "x_mid", "y_mid", "vx", "vy")
IMAGE_SPLITS = ("train", "test")
_HELD_OUT_EVERY = 5  # every fifth image of scikit-learn's set is held out of "train"
GLYPH_FRACTION = 0.625  # the digit's side as a fraction of the frame's


def glyph_side(frame: int) -> int:
    """The digit's side in pixels in a ``frame x frame`` clip (5 in the smallest, 8 x 8: room to move)."""
    return round(frame * GLYPH_FRACTION)


@dataclass(frozen=True)
class DigitsSpec(DemoSpec):
    """Parameters of the moving-digits dataset: the sprites' (:class:`DemoSpec`) and which of
    scikit-learn's handwriting ``images`` to draw (all of them go into the store's fingerprint)."""

    images: str = "train"

    def __post_init__(self) -> None:
        if self.images not in IMAGE_SPLITS:
            raise ValueError(f"images must be one of {IMAGE_SPLITS}, got {self.images!r}")
        if self.size < 8:
            raise ValueError(f"digit clips need frames of at least 8 x 8 pixels, got {self.size}")


@lru_cache(maxsize=8)
def digit_images(side: int, images: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's digits of one split, enlarged to ``side x side``: ``(M, side, side)`` float32 in
    0..1, their classes ``(M,)`` and their indices in the full set ``(M,)``."""
    from sklearn.datasets import load_digits

    data = load_digits()
    index = np.arange(len(data.target))
    held_out = index % _HELD_OUT_EVERY == 0
    keep = held_out if images == "test" else ~held_out
    small = (data.images[keep] / 16.0).astype(np.float32)  # (M, 8, 8), 0..1
    big = np.stack([cv2.resize(im, (side, side), interpolation=cv2.INTER_CUBIC) for im in small])
    return np.clip(big, 0.0, 1.0), data.target[keep].astype(np.int64), index[keep]


def _sample_factors(rng: np.random.Generator, n: int, n_images: int, half: float) -> dict[str, np.ndarray]:
    pick = rng.integers(0, n_images, n)
    x = _truncated_normal(rng, n, 0.5, 0.07, half, 1 - half)
    y = _truncated_normal(rng, n, 0.5, 0.07, half, 1 - half)
    vx = _truncated_normal(rng, n, 0.0, 0.017, -0.05, 0.05)
    vy = _truncated_normal(rng, n, 0.0, 0.017, -0.05, 0.05)
    return dict(pick=pick, x_mid=x, y_mid=y, vx=vx, vy=vy)


def generate_digit_clips(spec: DigitsSpec, start: int, count: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Clips ``start .. start+count``: ``(count, T, H, W, 3)`` uint8 and their factors.

    Each chunk of 250 clips has its own seed, so any range can be generated on its own.
    """
    side = glyph_side(spec.size)
    glyphs, classes, image_ids = digit_images(side, spec.images)
    # Where each glyph's ink is centred relative to its box's centre, as a fraction of the frame: a
    # "1" written left of the middle of its box is seen left, and that is where the factors put it.
    cells = np.arange(side) + 0.5 - side / 2
    ink = glyphs.sum(axis=(1, 2))
    ink_dx = (glyphs.sum(axis=1) @ cells) / ink / spec.size
    ink_dy = (glyphs.sum(axis=2) @ cells) / ink / spec.size
    half = side / 2 / spec.size  # the digit's half-width as a fraction of the frame
    t = np.arange(spec.frames, dtype=np.float64) - spec.frames // 2

    def chunk(c: int, lo: int, hi: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        f = _sample_factors(np.random.default_rng([spec.seed, c, 1]), CHUNK, len(glyphs), half)
        f = {k: v[lo:hi] for k, v in f.items()}
        m = hi - lo
        lim = np.full(m, half)
        xs = _bounce(f["x_mid"], f["vx"], lim, 1 - lim, t)  # (m, T) centres, 0..1
        ys = _bounce(f["y_mid"], f["vy"], lim, 1 - lim, t)
        clips = np.zeros((m, spec.frames, spec.size, spec.size), np.float32)
        left = xs * spec.size - side / 2  # the glyph's top-left corner, in (fractional) pixels
        top = ys * spec.size - side / 2
        g = glyphs[f["pick"]]  # (m, side, side)
        out = (spec.size, spec.size)
        for i in range(m):
            for k in range(spec.frames):
                shift = np.array([[1.0, 0.0, left[i, k]], [0.0, 1.0, top[i, k]]])
                clips[i, k] = cv2.warpAffine(g[i], shift, out, flags=cv2.INTER_LINEAR, borderValue=0.0)
        u8 = np.rint(clips * 255.0).astype(np.uint8)
        factors = dict(
            digit=classes[f["pick"]].astype(np.float64),
            image=image_ids[f["pick"]].astype(np.float64),
            x=xs[:, 0] + ink_dx[f["pick"]],
            y=ys[:, 0] + ink_dy[f["pick"]],
            x_mid=f["x_mid"] + ink_dx[f["pick"]],
            y_mid=f["y_mid"] + ink_dy[f["pick"]],
            vx=f["vx"],
            vy=f["vy"],
        )
        return np.repeat(u8[..., None], 3, axis=-1), factors  # white on black, RGB

    return generate_chunked(start, count, (spec.frames, spec.size, spec.size, 3), FACTOR_NAMES, chunk)


def digits_fingerprint(spec: DigitsSpec) -> str:
    """The generator's fingerprint of ``spec`` (changes with the spec and the generator's version)."""
    return text_fingerprint("digits-v2", repr(sorted(asdict(spec).items())))


def write_digits_store(
    path: str | os.PathLike,
    spec: DigitsSpec = DigitsSpec(),
    progress: Callable[[int, int], None] | None = None,
) -> ClipStore:
    """Write the moving-digits dataset to a new clip store at ``path`` and return it opened."""
    geometry = ClipGeometry(spec.frames, spec.size, spec.size, 3)
    params = asdict(spec)
    return write_generated_store(
        path,
        geometry,
        FACTOR_NAMES,
        {"digits": params},
        "procedural:digits",
        digits_fingerprint(spec),
        params,
        lambda start, count: generate_digit_clips(spec, start, count),
        spec.n_clips,
        spec.fps,
        progress,
    )

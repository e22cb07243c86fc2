"""The frame rate clips play and are written at when nothing better is known."""

from __future__ import annotations

#: Frames per second for clips whose own rate is unknown or unusable (0, negative, NaN), for
#: decoded samples that have none, and the rate the procedural sample datasets are made at.
FALLBACK_FPS = 12.0


def usable_fps(fps: float | None) -> float:
    """``fps`` as a float when it is a usable rate (> 0), else :data:`FALLBACK_FPS`."""
    return float(fps) if fps is not None and fps > 0 else FALLBACK_FPS

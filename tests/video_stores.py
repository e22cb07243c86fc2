"""Small stores that look like a user's ingested videos (not procedural sample data) for the tests."""

from __future__ import annotations

import numpy as np

from latentlab.media.clip_store import ClipGeometry, ClipStore


def random_video_store(path, names=("a.mp4", "b.mp4"), clips_per_video: int = 40, seed: int = 0) -> ClipStore:
    """A store of 4 x 16 x 16 x 3 clips of random pixels, one source per name (``/videos/NAME``), in time order."""
    store = ClipStore.create(path, ClipGeometry(4, 16, 16, 3))
    rng = np.random.default_rng(seed)
    n = clips_per_video
    for name in names:
        with store.appender({"path": f"/videos/{name}", "fingerprint": name, "status": "ok"}) as app:
            app.append_batch(
                rng.integers(0, 255, (n, 4, 16, 16, 3), dtype=np.uint8),
                start_frame=np.arange(n) * 4,
                end_frame=np.arange(n) * 4 + 4,
                start_time=np.arange(n) / 3,
                end_time=np.arange(n) / 3 + 1 / 3,
                fps=np.full(n, 12.0),
            )
    return store

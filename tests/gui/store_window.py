"""A window showing a real clip store (the fake codec's geometry) with two tags: the export and
pinned-point tests' common start."""

from __future__ import annotations

import numpy as np

from latentlab.app.dataset import Loaded, make_dataset
from latentlab.core.inverse import make_inverse
from latentlab.core.projection import fit_projection
from latentlab.core.tags import CreateTag
from latentlab.media.demo_data import DemoSpec, write_demo_store


def show_store(window, folder, codec, n_clips: int = 12):
    """Write an ``n_clips`` demo store into ``folder``, show it in ``window`` with a PCA map, and create
    the tags "cat" and "dog ü" (no clip tagged yet); returns the store."""
    store = write_demo_store(folder, DemoSpec(n_clips=n_clips, frames=codec.frames, size=codec.height))
    mu = codec.encode(store.read(range(len(store))))[0]
    ds = make_dataset("t", mu, np.full_like(mu, -1.0), codec, store=store, clusters=False)
    projection = fit_projection(mu, "pca")
    window.show_loaded(Loaded(ds, projection, make_inverse(mu, projection), str(store.path)))
    cur = window.context.curation
    cur.undo.push(CreateTag(cur.book, "cat"))
    cur.undo.push(CreateTag(cur.book, "dog ü"))
    return store

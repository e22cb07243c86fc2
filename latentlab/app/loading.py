"""Loading what the explorer shows: store + model -> latents -> fields -> first map. No Qt here.

Every function runs on a worker thread (the window's job runner) and takes
``progress(fraction, text)`` and ``cancel() -> bool`` callbacks. The demo store is generated once
into :func:`latentlab.paths.user_data_dir` from the spec recorded in the demo checkpoint, and its
latents are cached beside it by :func:`latentlab.ml.embedding.embed_store`, so later starts only
read files.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from latentlab.app.dataset import Loaded, make_dataset
from latentlab.app.demo import demo_spec, ensure_demo_store
from latentlab.app.maps import first_map
from latentlab.core.errors import UserError
from latentlab.core.protocols import Cancel, Progress
from latentlab.paths import demo_checkpoint_dir, user_data_dir

__all__ = ["Loaded", "SessionError", "GeometryMismatch", "open_dataset", "load_codec", "configure_torch_threads"]


class SessionError(UserError):
    """A store or checkpoint that cannot be opened, in words."""


class GeometryMismatch(SessionError):
    """The store's clips are not the size the model takes; ``store``, ``clips`` and ``model`` say
    which (shapes as (T, H, W, C)), so that the window can offer the ways forward."""

    def __init__(self, store: str, checkpoint: str, clips: tuple, model: tuple) -> None:
        self.store, self.checkpoint, self.clips, self.model = str(store), str(checkpoint), tuple(clips), tuple(model)
        super().__init__(
            f"the store {Path(store).name} holds clips of {_shape(clips)} but the model "
            f"{Path(checkpoint).name} takes {_shape(model)}"
        )


def _shape(shape: tuple) -> str:
    t, h, w, c = shape
    return f"{t} frames of {w}×{h}" + ("" if c == 3 else f" with {c} channel{'s' * (c != 1)}")


def model_geometry(checkpoint: str | Path) -> tuple[int, int, int, int] | None:
    """``(frames, height, width, channels)`` from a checkpoint's config.json (no torch), or ``None``."""
    try:
        m = json.loads((Path(checkpoint) / "config.json").read_text(encoding="utf-8"))["model"]
        return int(m["frames"]), int(m["height"]), int(m["width"]), int(m.get("channels", 3))
    except (OSError, ValueError, KeyError, TypeError):
        return None


# ------------------------------------------------------------------------------------ loading
def open_dataset(
    store_path: str | Path | None,
    checkpoint: str | Path | None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> Loaded:
    """Open a store with a model and fit the first map. ``None`` = the demo.

    When the store's latents for this model are cached, the map needs no torch at all: the model
    is left out (``dataset.codec is None``) and :func:`load_codec` loads it on a second job, so the
    map appears while torch is still importing. Otherwise the model is loaded and every clip encoded.
    """
    from latentlab.core.latent_cache import load_latents
    from latentlab.media.clip_store import ClipStore

    progress = progress or (lambda f, t: None)
    if checkpoint is not None and foreign_model(checkpoint):
        return _open_with_foreign_model(store_path, str(checkpoint), progress, cancel)
    checkpoint = Path(checkpoint or demo_checkpoint_dir())
    if not (checkpoint / "config.json").is_file():
        if checkpoint == demo_checkpoint_dir():
            raise SessionError(
                f"the bundled demo model is missing ({checkpoint} has no config.json): "
                "train one with `latentlab train` or open a checkpoint from the File menu"
            )
        raise SessionError(f"{checkpoint} is not a latentlab checkpoint (no config.json)")
    sample = store_path is None
    if sample:
        store_path = ensure_demo_store(demo_spec(checkpoint), progress)
    store = ClipStore.open(store_path)
    store.check_table()  # a garbled table: one message now, not an IndexError in the clip player later
    g, want = store.geometry, model_geometry(checkpoint)
    if want is not None and (g.frames, g.height, g.width, g.channels) != want:  # before torch is even imported
        raise GeometryMismatch(store_path, checkpoint, (g.frames, g.height, g.width, g.channels), want)
    weights = weights_hash(checkpoint)
    table = load_latents(store, weights) if weights else None
    codec = None
    if table is None:
        codec, table = _encode(checkpoint, store, progress, cancel)
    progress(0.9, "building the map")
    name = "demo" if Path(store_path).parent == user_data_dir() / "demo" else Path(store_path).name
    dataset = make_dataset(name, np.asarray(table.mu), np.asarray(table.logvar), codec, store, clusters=False)
    dataset.cache_dir = user_data_dir() / "maps" / f"{store.fingerprint[:16]}-{weights[:16]}" if weights else None
    dataset.model_fingerprint = weights
    loaded = first_map(dataset)
    loaded.store_path, loaded.checkpoint, loaded.sample = str(store_path), str(checkpoint), sample
    return loaded


def foreign_model(checkpoint: str | Path) -> bool:
    """True for a model latentlab did not train (a diffusers folder, ``module:factory@weights``);
    a folder of pickle weights raises SessionError with the safetensors explanation. No torch."""
    from latentlab.ml.model_loading import ModelSource, ModelSourceError, PickleRefused, model_kind

    try:
        return model_kind(ModelSource.parse(checkpoint)) != "latentlab"
    except PickleRefused as exc:
        raise SessionError(str(exc)) from None
    except ModelSourceError:
        return False  # not a model at all: the latentlab checks below say what is wrong


def _open_with_foreign_model(store_path, checkpoint: str, progress: Progress, cancel) -> Loaded:
    """A diffusers or torch-module model: no latents are known before the model has seen the store
    (the PCA pre-reduction is fitted on its clips), so the model loads first, then the clips are encoded."""
    from latentlab.media.clip_store import ClipStore

    if store_path is None:
        raise SessionError(
            f"{Path(checkpoint).name} is not a latentlab model: open a clip store to explore with it "
            "(File → Open store, or explore --store STORE)"
        )
    store = ClipStore.open(store_path)
    store.check_table()
    codec, table = _encode(checkpoint, store, progress, cancel)
    progress(0.9, "building the map")
    dataset = make_dataset(
        Path(store_path).name, np.asarray(table.mu), np.asarray(table.logvar), codec, store, clusters=False
    )
    dataset.message = codec.describe()
    dataset.cache_dir = user_data_dir() / "maps" / f"{store.fingerprint[:16]}-{codec.weights_hash[:16]}"
    dataset.model_fingerprint = codec.weights_hash
    loaded = first_map(dataset)
    loaded.store_path, loaded.checkpoint = str(store_path), checkpoint
    return loaded


def _encode(checkpoint, store, progress: Progress, cancel):
    """Load the model and encode every clip of ``store`` (the first 90 % of the progress): ``(codec, table)``."""
    from latentlab.ml.embedding import embed_store

    progress(0.0, "loading model")
    codec = load_codec(checkpoint, store)
    table = embed_store(
        codec,
        store,
        cancel=cancel,
        progress=lambda done, total: progress(0.9 * done / max(total, 1), f"encoding clips {done:,}/{total:,}"),
    )
    return codec, table


def weights_hash(checkpoint: str | Path) -> str | None:
    """The weights hash recorded in a checkpoint's config.json (read without torch), or None."""
    try:
        config = json.loads((Path(checkpoint) / "config.json").read_text(encoding="utf-8"))
        return str(config["files"]["model.safetensors"]["blake2b"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def configure_torch_threads() -> int:
    """Give torch all cores but one, so the GUI thread keeps a core while the decoder runs.

    On a 2-core machine a 2-thread decode competes with the GUI thread, and OpenMP's spinning
    threads made a batch-1 decode 10x slower under load (bench_explorer.py). ``LATENTLAB_TORCH_THREADS``
    overrides. Returns the thread count set.
    """
    import os

    import torch

    n = int(os.environ.get("LATENTLAB_TORCH_THREADS", 0)) or max(1, (os.cpu_count() or 2) - 1)
    torch.set_num_threads(n)
    return n


def load_codec(checkpoint: str | Path, store=None):
    """Load the model (torch) and check that it takes the store's clips."""
    from latentlab.ml.model_loading import open_codec

    configure_torch_threads()
    codec = open_codec(str(checkpoint), device="auto", store=store)
    if store is not None:
        g = store.geometry
        if (g.frames, g.height, g.width, g.channels) != (codec.frames, codec.height, codec.width, codec.channels):
            raise GeometryMismatch(
                store.path,
                checkpoint,
                (g.frames, g.height, g.width, g.channels),
                (codec.frames, codec.height, codec.width, codec.channels),
            )
    return codec

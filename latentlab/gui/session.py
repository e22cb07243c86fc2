"""Loading what the explorer shows: store + model -> latents -> fields -> first map. No Qt here.

Every function runs on a worker thread (through :class:`~latentlab.gui.workers.JobRunner`) and takes
``progress(fraction, text)`` and ``cancel() -> bool`` callbacks. The demo store is generated once
into :func:`latentlab.paths.user_data_dir` from the spec recorded in the demo checkpoint, and its
latents are cached beside it by :func:`latentlab.ml.embedding.embed_store`, so later starts only
read files.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from latentlab.core.errors import UserError
from latentlab.core.explorer_state import ClipField, Dataset
from latentlab.core.projection_methods import available_methods
from latentlab.core.frame_rate import FALLBACK_FPS, usable_fps
from latentlab.paths import demo_checkpoint_dir, user_data_dir

Progress = Callable[[float, str], None]
N_CLUSTERS = 8


@dataclass
class Loaded:
    """What a load job hands to the window: the dataset and its first (PCA) map with inverse."""

    dataset: Dataset
    projection: Any
    inverse: Any
    store_path: str = ""
    checkpoint: str = ""
    sample: bool = False  # a generated sample dataset: the window then shows its t-SNE map too


class SessionError(UserError):
    """A store or checkpoint that cannot be opened, in words."""


class GeometryMismatch(SessionError):
    """The store's clips are not the size the model takes; ``store``, ``clips`` and ``model`` say
    which (shapes as (T, H, W, C)), so that the window can offer the ways forward."""

    def __init__(self, store: str, checkpoint: str, clips: tuple, model: tuple) -> None:
        self.store, self.checkpoint, self.clips, self.model = str(store), str(checkpoint), tuple(clips), tuple(model)
        super().__init__(f"the store {Path(store).name} holds clips of {_shape(clips)} but the model "
                         f"{Path(checkpoint).name} takes {_shape(model)}")


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


# ------------------------------------------------------------------------------------ sample data
def sample_spec(checkpoint: str | Path | None = None):
    """``(sample dataset, spec)`` a sample-data checkpoint's config.json records (the sprites' default
    spec when it records none)."""
    from latentlab.media.sample_data import SAMPLE_DATASETS, sample_for_config

    path = Path(checkpoint or demo_checkpoint_dir()) / "config.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        config = {}
    sample = sample_for_config(config) or SAMPLE_DATASETS["sprites"]
    found = _find_key(config, "sample_spec") or _find_key(config, "demo_spec") or _find_key(config, "demo") or {}
    return sample, sample.spec(**found) if isinstance(found, dict) else sample.spec()


def demo_spec(checkpoint: str | Path | None = None):
    """The spec of the sample data a checkpoint was trained on (see :func:`sample_spec`)."""
    return sample_spec(checkpoint)[1]


def _find_key(obj, key: str):
    if isinstance(obj, dict):
        if key in obj:
            return obj[key]
        for v in obj.values():
            hit = _find_key(v, key)
            if hit is not None:
                return hit
    return None


def ensure_demo_store(spec=None, progress: Progress | None = None) -> Path:
    """Path of a sample store (sprites or digits, from the spec's type), generated on first use into
    a temp folder, then renamed."""
    from dataclasses import asdict

    from latentlab.media.clip_store import ClipStore, StoreError
    from latentlab.media.sample_data import SAMPLE_DATASETS

    spec = spec or demo_spec()
    sample = next(s for s in SAMPLE_DATASETS.values() if isinstance(spec, s.spec_type))
    extra = "".join(f"-{v}" for k, v in asdict(spec).items() if k not in ("n_clips", "frames", "size", "seed", "fps"))
    root = user_data_dir() / "demo"
    path = root / f"{sample.kind}-{spec.n_clips}x{spec.frames}x{spec.size}-seed{spec.seed}{extra}"
    try:
        if len(ClipStore.open(path)) == spec.n_clips:
            return path
    except StoreError:
        pass
    tmp = root / (path.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(path, ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    sample.write_store(tmp, spec, progress=lambda done, total: progress and progress(
        done / total, f"generating the {sample.title.lower()}"))
    tmp.rename(path)
    return path


# ------------------------------------------------------------------------------------ loading
def open_dataset(store_path: str | Path | None, checkpoint: str | Path | None,
                 progress: Progress | None = None, cancel: Callable[[], bool] | None = None) -> Loaded:
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
            raise SessionError(f"the bundled demo model is missing ({checkpoint} has no config.json): "
                               "train one with `latentlab train` or open a checkpoint from the File menu")
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
        from latentlab.ml.embedding import embed_store

        progress(0.0, "loading model")
        codec = load_codec(checkpoint, store)
        table = embed_store(codec, store, cancel=cancel,
                            progress=lambda done, total: progress(0.9 * done / max(total, 1),
                                                                  f"encoding clips {done:,}/{total:,}"))
    progress(0.9, "building the map")
    name = "demo" if Path(store_path).parent == user_data_dir() / "demo" else Path(store_path).name
    dataset = make_dataset(name, np.asarray(table.mu), np.asarray(table.logvar), codec, store, clusters=False)
    cache = user_data_dir() / "maps" / f"{store.fingerprint[:16]}-{(weights or 'model')[:16]}" if weights else None
    dataset.cache_dir = cache
    loaded = first_map(dataset, cache=cache)
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
    from latentlab.ml.embedding import embed_store

    if store_path is None:
        raise SessionError(f"{Path(checkpoint).name} is not a latentlab model: open a clip store to explore with it "
                           "(File → Open store, or explore --store STORE)")
    store = ClipStore.open(store_path)
    store.check_table()
    progress(0.0, "loading model")
    codec = load_codec(checkpoint, store)
    table = embed_store(codec, store, cancel=cancel,
                        progress=lambda done, total: progress(0.9 * done / max(total, 1), f"encoding clips {done:,}/{total:,}"))
    progress(0.9, "building the map")
    dataset = make_dataset(Path(store_path).name, np.asarray(table.mu), np.asarray(table.logvar), codec, store,
                           clusters=False)
    dataset.message = codec.describe()
    cache = user_data_dir() / "maps" / f"{store.fingerprint[:16]}-{codec.weights_hash[:16]}"
    dataset.cache_dir = cache
    loaded = first_map(dataset, cache=cache)
    loaded.store_path, loaded.checkpoint = str(store_path), checkpoint
    return loaded


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
            raise GeometryMismatch(store.path, checkpoint, (g.frames, g.height, g.width, g.channels),
                                   (codec.frames, codec.height, codec.width, codec.channels))
    return codec


def cluster_field(dataset: Dataset, k: int = N_CLUSTERS) -> ClipField:
    """k-means clusters of the latents as a colour field (one thread: OpenMP spinning on a busy
    2-core machine made it 10x slower)."""
    from threadpoolctl import threadpool_limits

    from latentlab.core.neighbours import kmeans_labels

    k = max(1, min(k, dataset.n_clips))
    cached = Path(dataset.cache_dir) / f"clusters-k{k}.npy" if dataset.cache_dir else None
    labels = None
    if cached is not None and cached.is_file():
        labels = np.load(cached)
        labels = labels if labels.shape == (dataset.n_clips,) else None
    if labels is None:
        with threadpool_limits(1):
            labels = kmeans_labels(dataset.mu, k, seed=0)
        if cached is not None:
            from latentlab.core.atomic import atomic_open

            try:
                cached.parent.mkdir(parents=True, exist_ok=True)
                with atomic_open(cached, "wb") as fh:
                    np.save(fh, np.asarray(labels))
            except OSError:
                pass
    return ClipField("cluster", np.asarray(labels), tuple(f"cluster {i}" for i in range(k)))


def make_dataset(name: str, mu: np.ndarray, logvar: np.ndarray, codec, store=None,
                 read_clips: Callable | None = None, fps: float | None = None, clusters: bool = True) -> Dataset:
    """A :class:`Dataset` with its latent index and per-clip fields (source, factors, KL, and the
    k-means ``cluster`` unless ``clusters`` is False: then :func:`cluster_field` adds it later)."""
    from latentlab.core.neighbours import LatentIndex

    mu, logvar = np.asarray(mu, np.float32), np.asarray(logvar, np.float32)
    if read_clips is None:
        read_clips = store.read
    if fps is None:
        fps = float(np.median(store.table["fps"])) if store is not None and len(store) else FALLBACK_FPS
    ds = Dataset(name=name, mu=mu, logvar=logvar, codec=codec, read_clips=read_clips,
                 index=LatentIndex(mu), fps=usable_fps(fps), store=store)
    fields: dict[str, ClipField] = {}
    if store is not None:
        sources = [Path(str(s.get("path", "?"))).name for s in store.sources]
        fields["source"] = ClipField("source", np.asarray(store.table["source_id"]), tuple(sources))
        from latentlab.media.sample_data import SAMPLE_DATASETS

        classes = {s.class_factor: tuple(s.class_names) for s in SAMPLE_DATASETS.values()}
        for fname, values in store.factors().items():
            fields[fname] = ClipField(fname, np.asarray(values), classes.get(fname))
    if clusters and ds.n_clips >= 2:
        fields["cluster"] = cluster_field(ds)
    fields["KL"] = ClipField("KL", ds.kl_per_clip())
    # Order: the most telling first (the class a sample dataset shows, else the source videos).
    order = ["shape", "digit", "cluster", "source", "KL"]
    ds.fields = {k: fields[k] for k in order if k in fields} | {k: v for k, v in fields.items() if k not in order}
    return ds


def first_map(dataset: Dataset, method: str = "pca", cache: Path | None = None) -> Loaded:
    """Fit ``method`` on the dataset's means (or load the fit cached in ``cache``) and build its inverse.

    The cache saves the start-up the ~2 s import of scikit-learn that a PCA fit costs.
    """
    from latentlab.core.errors import LatentSpaceError
    from latentlab.core.inverse import make_inverse
    from latentlab.core.projection import Projection

    if cache is not None and (cache / f"{method}.json").is_file():
        try:
            projection = Projection.load(cache / f"{method}.json", latents=dataset.mu)
            if projection.coords.shape == (dataset.n_clips, 2):
                return Loaded(dataset, projection, make_inverse(dataset.mu, projection))
        except LatentSpaceError:
            pass  # unreadable: fit again and overwrite
    projection, inverse = fit_map(dataset.mu, method)
    if cache is not None:
        try:
            cache.mkdir(parents=True, exist_ok=True)
            projection.save(cache, method)
        except OSError:
            pass  # a read-only data folder only costs the refit next time
    return Loaded(dataset, projection, inverse)


def available_projections() -> tuple[str, ...]:
    """The map methods this installation can fit: UMAP only when umap-learn is installed
    (``pip install umap-learn``); t-SNE always (scikit-learn, or openTSNE when installed)."""
    return available_methods()


def _map_files(dataset: Dataset, method: str) -> list[Path]:
    """Where a map of ``method`` with default parameters may already be saved for this store and
    model: the window's cache (``<data>/maps/<store>-<weights>/<method>.json``) and what
    ``latentlab project`` wrote (``STORE/latents/<weights>/projections/<method>-seed0.json``)."""
    files = []
    if dataset.cache_dir is not None:
        cache = Path(dataset.cache_dir)
        files.append(cache / f"{method}.json")
        weights16 = cache.name.partition("-")[2]
        if dataset.store is not None and weights16:
            files.append(Path(dataset.store.path) / "latents" / weights16 / "projections" / f"{method}-seed0.json")
    return files


def cached_map(dataset: Dataset, method: str):
    """``(projection, inverse)`` of a map saved earlier for this store, model and method, or ``None``."""
    from latentlab.core.errors import LatentSpaceError
    from latentlab.core.inverse import make_inverse
    from latentlab.core.projection import Projection

    for path in _map_files(dataset, method):
        if not path.is_file():
            continue
        try:
            projection = Projection.load(path, latents=dataset.mu)
        except LatentSpaceError:
            continue
        if projection.coords.shape == (dataset.n_clips, 2):
            return projection, make_inverse(dataset.mu, projection)
    return None


def map_for(dataset: Dataset, method: str, progress=None, cancel=None):
    """``(projection, inverse, reused)``: a saved map of ``method`` when there is one (a t-SNE fit
    costs minutes on 2 cores; switching stores and back must not repeat it), else a fit that is
    then saved in the window's cache."""
    hit = cached_map(dataset, method)
    if hit is not None:
        return (*hit, True)
    projection, inverse = fit_map(dataset.mu, method, progress=progress, cancel=cancel)
    if dataset.cache_dir is not None and getattr(projection, "method", None) == method:
        try:
            Path(dataset.cache_dir).mkdir(parents=True, exist_ok=True)
            projection.save(dataset.cache_dir, method)
        except OSError:
            pass  # a read-only data folder only costs the refit next time
    return projection, inverse, False


def fit_map(mu: np.ndarray, method: str, progress=None, cancel=None, seed: int = 0):
    """``(projection, inverse)`` of ``mu`` with the latent service (any method it knows)."""
    from latentlab.core.inverse import make_inverse
    from latentlab.core.projection import fit_projection

    projection = fit_projection(mu, method, seed=seed, progress=progress, cancel=cancel)
    return projection, make_inverse(mu, projection)


def reconstruction_errors(dataset: Dataset, progress: Progress | None = None,
                          cancel: Callable[[], bool] | None = None, batch: int = 64) -> np.ndarray:
    """Per-clip reconstruction MSE ``(N,)`` (uint8 scale), cached per store and model weights."""
    cache = None
    weights = getattr(dataset.codec, "weights_hash", None)
    if dataset.store is not None and weights:
        cache = user_data_dir() / "recon-errors" / f"{dataset.store.fingerprint}-{weights}.npy"
        if cache.is_file():
            errs = np.load(cache)
            if errs.shape == (dataset.n_clips,):
                return errs
    errs = np.empty(dataset.n_clips, np.float32)
    for lo in range(0, dataset.n_clips, batch):
        if cancel is not None and cancel():
            raise InterruptedError("cancelled")
        idx = np.arange(lo, min(lo + batch, dataset.n_clips))
        clips = dataset.read_clips(idx)
        # The posterior means are already known (the map is made of them): decoding them is what
        # codec.reconstruct would do after encoding the clips again, at half the cost.
        recon = dataset.codec.decode(dataset.mu[idx])
        errs[idx] = np.mean((clips.astype(np.float32) - recon.astype(np.float32)) ** 2, axis=(1, 2, 3, 4))
        if progress is not None:
            progress((idx[-1] + 1) / dataset.n_clips, f"{idx[-1] + 1:,}/{dataset.n_clips:,} clips decoded")
    if cache is not None:
        from latentlab.core.atomic import atomic_open

        cache.parent.mkdir(parents=True, exist_ok=True)
        with atomic_open(cache, "wb") as fh:
            np.save(fh, errs)
    return errs

"""The latent cache beside a clip store: mu and log sigma^2 of every clip, per model.

On-disk format (version 1)::

    STORE/latents/<weights_hash[:16]>/
      manifest.json            written last, atomically: format, weights_hash, store_fingerprint,
                               latent_dim, n_clips, n_done, sources (key, first_clip, n_clips), files
      mu-<token>.npy           (N, D) float32, rows in store order
      logvar-<token>.npy       (N, D) float32
      done-<token>.npy         (N,) bool, which rows hold real latents (an interrupted run saves some)
      shards/<fp16>-<i>-of-<n>.json (+ .idx.npy, .mu.npy, .logvar.npy)   one slice from a cluster job
      .lock                    held while the manifest is replaced

Keys: the folder is the model (weights hash); the manifest's ``store_fingerprint`` is the store
state the rows belong to. When the store changes, rows are carried over *per source* (a source is
a video file, keyed by path + content fingerprint + clip count + ingest params), so appended
sources are encoded incrementally and removed or re-ingested sources never leave stale latents.

``store`` arguments are duck-typed (``path``, ``fingerprint``, ``sources``, ``len()``) so core does
not import media.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latentlab.core.atomic import atomic_open, read_json, write_json_atomic
from latentlab.core.errors import LatentSpaceError
from latentlab.core.fingerprint import text_fingerprint
from latentlab.core.safe_names import UnsafeFileName, child_file

FORMAT = "latentlab-latent-cache"
VERSION = 1
_ARRAY_NAME = r"(mu|logvar|done)-[0-9a-f]{12}\.npy"  # what ``save`` writes: the only names ever read


@dataclass
class LatentTable:
    """Posterior of a store's clips under one model.

    Attributes
    ----------
    mu, logvar
        ``(N, D)`` float32 (``N`` = store clips, or ``len(indices)`` for a shard).
    store_fingerprint, weights_hash
        What these latents belong to.
    indices
        Store rows of ``mu``'s rows for a partial table (one shard); None when it covers every clip.
    """

    mu: np.ndarray
    logvar: np.ndarray
    store_fingerprint: str
    weights_hash: str
    indices: np.ndarray | None = None

    @property
    def complete(self) -> bool:
        return self.indices is None

    def __len__(self) -> int:
        return len(self.mu)


@dataclass
class CacheState:
    """Cache rows aligned with a store's current clips: ``done[i]`` says whether row ``i`` is real."""

    mu: np.ndarray  # (N, D) float32
    logvar: np.ndarray  # (N, D) float32
    done: np.ndarray  # (N,) bool

    @property
    def missing(self) -> np.ndarray:
        return np.flatnonzero(~self.done)


def source_key(source: dict) -> str:
    """What makes a source's clips the same clips: path, content fingerprint, count, ingest params."""
    params = json.dumps(source.get("params", ""), sort_keys=True, default=str)
    return text_fingerprint(str(source.get("path")), str(source.get("fingerprint")), str(source.get("n_clips")), params)


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/N"`` (0-based ``i``) -> ``(i, N)``, or :class:`LatentSpaceError`."""
    try:
        i, n = (int(x) for x in str(text).split("/"))
    except ValueError:
        raise LatentSpaceError(f"a shard is written i/N, e.g. 0/8; got {text!r}") from None
    if not 1 <= n <= 10**6 or not 0 <= i < n:
        raise LatentSpaceError(f"shard {text!r}: N must be 1 to 1000000 and i between 0 and N-1")
    return i, n


def shard_rows(n_clips: int, shard: tuple[int, int]) -> np.ndarray:
    """Store rows of shard ``(i, N)``: contiguous, fixed by the store size alone (jobs need not agree on timing)."""
    i, n = shard
    return np.array_split(np.arange(n_clips), n)[i]


class LatentCache:
    """The cache of one model's latents for one store (see the module docstring for the format)."""

    def __init__(self, store_path: str | os.PathLike, weights_hash: str) -> None:
        if not weights_hash or not all(c in "0123456789abcdef" for c in str(weights_hash).lower()):
            raise LatentSpaceError(f"the model's weights hash must be a hex string, got {weights_hash!r}")
        self.weights_hash = str(weights_hash).lower()
        self.folder = Path(store_path) / "latents" / self.weights_hash[:16]

    # ----------------------------------------------------------------------------------- reading
    def _manifest(self) -> dict | None:
        path = self.folder / "manifest.json"
        if not path.is_file():
            return None
        try:
            m = read_json(path)
        except (OSError, ValueError):
            return None  # unreadable: treated as no cache (it is rebuilt, never trusted)
        if not isinstance(m, dict) or m.get("format") != FORMAT or m.get("weights_hash") != self.weights_hash:
            return None
        for key in ("mu_file", "logvar_file", "done_file"):  # never read (or map) a file outside the cache
            if key in m:
                try:
                    child_file(self.folder, m[key], _ARRAY_NAME, f"the latent cache manifest's {key}")
                except UnsafeFileName as exc:
                    raise LatentSpaceError(f"{exc}; delete {self.folder} to rebuild the cache") from None
        return m

    def state(self, store, latent_dim: int) -> CacheState:
        """Rows for the store's current clips: cached ones reused (per source), the rest missing."""
        n = len(store)
        mu = np.zeros((n, latent_dim), np.float32)
        logvar = np.zeros((n, latent_dim), np.float32)
        done = np.zeros(n, bool)
        m = self._manifest()
        if m is not None and int(m.get("latent_dim", -1)) == latent_dim:
            try:
                old_mu, old_lv, old_done = (
                    np.load(self.folder / m[k], mmap_mode="r", allow_pickle=False)
                    for k in ("mu_file", "logvar_file", "done_file")
                )
            except (OSError, ValueError, KeyError):
                old_mu = None  # damaged files: start again
            if old_mu is not None:
                old = {s["key"]: s for s in m.get("sources", [])}
                for src in store.sources:
                    prev = old.get(source_key(src))
                    if prev is None:
                        continue
                    a, b, cnt = int(src["first_clip"]), int(prev["first_clip"]), int(src["n_clips"])
                    if b + cnt > len(old_mu) or a + cnt > n:
                        continue
                    mu[a : a + cnt] = old_mu[b : b + cnt]
                    logvar[a : a + cnt] = old_lv[b : b + cnt]
                    done[a : a + cnt] = old_done[b : b + cnt]
        state = CacheState(mu, logvar, done)
        self._apply_shards(store, state)
        state.done &= _finite_rows(state.mu, state.logvar)  # NaN/Inf rows (a damaged file): encoded again
        return state

    def load(self, store) -> LatentTable | None:
        """The complete table for the store as it is now, or None (missing, partial or stale)."""
        for _attempt in range(3):
            m = self._manifest()
            if m is None or m.get("store_fingerprint") != store.fingerprint or int(m.get("n_done", -1)) != len(store):
                return None
            try:
                mu = np.load(self.folder / m["mu_file"], allow_pickle=False)
                logvar = np.load(self.folder / m["logvar_file"], allow_pickle=False)
                break
            except FileNotFoundError:  # another writer replaced the manifest and removed these: read it again
                continue
            except (OSError, ValueError, KeyError):
                return None
        else:
            return None
        if mu.shape != (len(store), int(m["latent_dim"])) or logvar.shape != mu.shape:
            return None
        if not _finite_rows(mu, logvar).all():  # damaged rows: stale until `embed` encodes them again
            return None
        return LatentTable(mu, logvar, store.fingerprint, self.weights_hash)

    # ----------------------------------------------------------------------------------- writing
    def save(self, store, state: CacheState) -> None:
        """Write ``state`` for the store's current clips (arrays first, manifest last, old files removed)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        token = uuid.uuid4().hex[:12]  # unique names: an interrupted writer never leaves a half file in use
        files = {"mu_file": f"mu-{token}.npy", "logvar_file": f"logvar-{token}.npy", "done_file": f"done-{token}.npy"}
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "weights_hash": self.weights_hash,
            "store_fingerprint": store.fingerprint,
            "latent_dim": int(state.mu.shape[1]),
            "n_clips": len(store),
            "n_done": int(state.done.sum()),
            "sources": [
                {
                    "key": source_key(s),
                    "path": s.get("path"),
                    "first_clip": int(s["first_clip"]),
                    "n_clips": int(s["n_clips"]),
                }
                for s in store.sources
            ],
            **files,
        }
        with _Lock(self.folder):  # a second writer (another shard job merging) waits here
            for key, arr in (("mu_file", state.mu), ("logvar_file", state.logvar), ("done_file", state.done)):
                with atomic_open(self.folder / files[key], "wb") as fh:
                    np.save(fh, np.ascontiguousarray(arr))
            write_json_atomic(self.folder / "manifest.json", manifest)
            keep = set(files.values())
            for p in self.folder.glob("*.npy"):
                if p.name not in keep:
                    _unlink(p)

    def write_shard(self, store, shard: tuple[int, int], rows: np.ndarray, mu: np.ndarray, logvar: np.ndarray) -> Path:
        """Save one shard's encoded rows (replacing an earlier save of the same shard); return its JSON path."""
        i, n = shard
        base = self.folder / "shards" / f"{store.fingerprint[:16]}-{i}-of-{n}"
        for suffix, arr in ((".idx.npy", rows.astype(np.int64)), (".mu.npy", mu), (".logvar.npy", logvar)):
            with atomic_open(base.with_name(base.name + suffix), "wb") as fh:
                np.save(fh, np.ascontiguousarray(arr))
        meta = base.with_name(base.name + ".json")
        write_json_atomic(
            meta,
            {
                "store_fingerprint": store.fingerprint,
                "shard": [i, n],
                "n": int(len(rows)),
                "weights_hash": self.weights_hash,
            },
        )
        return meta

    def read_shard(self, store, shard: tuple[int, int]):
        """``(rows, mu, logvar)`` saved by an earlier run of this shard for this store state, or None."""
        base = self.folder / "shards" / f"{store.fingerprint[:16]}-{shard[0]}-of-{shard[1]}"
        return self._read_shard_files(base, store)

    def _read_shard_files(self, base: Path, store):
        try:
            meta = read_json(base.with_name(base.name + ".json"))
            if meta.get("store_fingerprint") != store.fingerprint:
                return None
            rows, mu, lv = (
                np.load(base.with_name(base.name + s), allow_pickle=False)
                for s in (".idx.npy", ".mu.npy", ".logvar.npy")
            )
        except (OSError, ValueError):
            return None
        if len(rows) != len(mu) or mu.shape != lv.shape or (rows.size and (rows.min() < 0 or rows.max() >= len(store))):
            return None
        return rows, mu, lv

    def _apply_shards(self, store, state: CacheState) -> None:
        folder = self.folder / "shards"
        if not folder.is_dir():
            return
        for meta in sorted(folder.glob(f"{store.fingerprint[:16]}-*.json")):
            got = self._read_shard_files(meta.with_name(meta.name[: -len(".json")]), store)
            if got is None or got[1].shape[1:] != state.mu.shape[1:]:
                continue
            rows, mu, lv = got
            state.mu[rows], state.logvar[rows], state.done[rows] = mu, lv, True

    def drop_shards(self) -> None:
        """Remove every shard file (after their rows went into the main arrays)."""
        folder = self.folder / "shards"
        if folder.is_dir():
            for p in folder.iterdir():
                _unlink(p)


def _finite_rows(mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """``(N,)`` bool: rows whose mu and log variance are all finite."""
    return np.isfinite(mu).all(axis=1) & np.isfinite(logvar).all(axis=1)


def load_latents(store, weights_hash: str) -> LatentTable | None:
    """The cached complete latents of ``store`` under the model with ``weights_hash``, or None."""
    return LatentCache(store.path, weights_hash).load(store)


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:  # mapped elsewhere (Windows) or gone already: a later save cleans it
        pass


class _Lock:
    """Exclusive lock on ``.lock`` in the cache folder while the manifest changes (waits for the other writer)."""

    def __init__(self, folder: Path) -> None:
        self._path, self._fh = folder / ".lock", None

    def __enter__(self):
        self._fh = open(self._path, "a+")
        try:
            import fcntl

            fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX)
        except (ImportError, OSError):  # Windows, or a file system without locks: single writer assumed
            pass
        return self

    def __exit__(self, *exc) -> None:
        self._fh.close()

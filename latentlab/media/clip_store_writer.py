"""Writing a clip store: creating it, appending a source's clips, compacting out replaced sources.

Every write holds ``STORE/.lock`` (:class:`WriterLock`), streams clips to the end of the data files,
fsyncs them, and only then replaces ``manifest.json``: a writer killed at any point leaves the store
at its last committed state (the uncommitted tail is truncated by the next writer). Compaction
writes a new generation of data files and deletes the old ones after the manifest names the new.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from latentlab.core.atomic import fsync_dir, write_json_atomic
from latentlab.media.clip_store_format import (
    FORMAT,
    MANIFEST,
    VERSION,
    ClipGeometry,
    StoreError,
    data_paths,
    store_fingerprint,
    table_dtype,
)

if TYPE_CHECKING:
    from latentlab.media.clip_store import ClipStore


def new_store(path: Path, geometry: ClipGeometry, factor_names: Sequence[str], attrs: dict | None) -> dict:
    """Write an empty store into the folder ``path`` (made if missing); return its manifest."""
    path.mkdir(parents=True, exist_ok=True)
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "clip": asdict(geometry),
        "n_clips": 0,
        "generation": 1,
        "data_file": "clips-000001.u8",
        "table_file": "table-000001.bin",
        "table_dtype": [list(c) for c in table_dtype(factor_names).descr],
        "factor_names": list(factor_names),
        "sources": [],
        "attrs": dict(attrs or {}),
        "created": time.time(),
        "updated": time.time(),
    }
    for key in ("data_file", "table_file"):
        (path / manifest[key]).touch()
    manifest["fingerprint"] = store_fingerprint(manifest)
    write_json_atomic(path / MANIFEST, manifest)
    return manifest


class ClipAppender:
    """Streams clips of one source to the end of the store's files.

    Made by :meth:`latentlab.media.clip_store.ClipStore.appender`, which commits or aborts it.
    """

    def __init__(self, store: ClipStore, source: dict) -> None:
        self._store = store
        self.source = source
        m = store._manifest
        self._n0 = int(m["n_clips"])
        g = store.geometry
        data_path, table_path = data_paths(store.path, m)  # never truncate a file outside the store
        self._data = open(data_path, "r+b")
        self._table = open(table_path, "r+b")
        # Drop any uncommitted tail left by an interrupted writer.
        self._data.truncate(self._n0 * g.nbytes)
        self._table.truncate(self._n0 * store.table_dtype.itemsize)
        self._data.seek(0, os.SEEK_END)
        self._table.seek(0, os.SEEK_END)
        self.count = 0

    def append(
        self,
        clip_u8: np.ndarray,
        *,
        start_frame: int = 0,
        end_frame: int = 0,
        start_time: float = 0.0,
        end_time: float = 0.0,
        fps: float = 0.0,
        factors: dict[str, float] | None = None,
    ) -> None:
        """Append one clip ``(T, H, W, C)`` uint8 with its table record."""
        self.append_batch(
            clip_u8[None],
            start_frame=[start_frame],
            end_frame=[end_frame],
            start_time=[start_time],
            end_time=[end_time],
            fps=[fps],
            factors=None if factors is None else {k: [v] for k, v in factors.items()},
        )

    def append_batch(self, clips_u8: np.ndarray, *, factors: dict | None = None, **columns) -> None:
        """Append clips ``(B, T, H, W, C)`` uint8; ``columns`` hold one value per clip."""
        g = self._store.geometry
        if clips_u8.dtype != np.uint8 or clips_u8.shape[1:] != g.shape:
            raise StoreError(
                f"clips must be uint8 of shape (B, {g.frames}, {g.height}, {g.width}, {g.channels}); "
                f"got {clips_u8.dtype} {clips_u8.shape}"
            )
        b = clips_u8.shape[0]
        rec = np.zeros(b, self._store.table_dtype)
        rec["source_id"] = len(self._store._manifest["sources"])  # fixed at commit
        for name, values in columns.items():
            rec[name] = values
        for name in self._store.factor_names:
            if factors is None or name not in factors:
                raise StoreError(f"this store needs the factor {name!r} for every clip")
            rec[f"factor_{name}"] = factors[name]
        self._data.write(memoryview(np.ascontiguousarray(clips_u8)).cast("B"))  # no extra copy of the batch
        self._table.write(rec.tobytes())
        self.count += b

    def _abort(self) -> None:
        self._data.truncate(self._n0 * self._store.geometry.nbytes)
        self._table.truncate(self._n0 * self._store.table_dtype.itemsize)
        self._data.close()
        self._table.close()

    def _commit(self) -> None:
        store = self._store
        for fh in (self._data, self._table):
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
        m = dict(store._manifest)
        sources = list(m["sources"])
        sid = len(sources)  # the records were written with this source_id already
        src = dict(self.source, id=sid, first_clip=self._n0, n_clips=self.count)
        sources.append(src)
        m.update(sources=sources, n_clips=self._n0 + self.count, updated=time.time())
        m["fingerprint"] = store_fingerprint(m)
        write_json_atomic(store.path / MANIFEST, m)
        store._install(m)
        # The new version is committed; now drop the old one. A crash between the two leaves both
        # versions listed: the next writer removes the older (see ``_superseded_ids``).
        rewrite_without(store, _superseded_ids(sources))


def remove_orphans(store: ClipStore) -> None:
    """Delete data files the manifest does not name: a compaction killed before its manifest, or an
    old generation that could not be deleted while mapped (Windows). Called under the writer lock."""
    named = {store._manifest["data_file"], store._manifest["table_file"]}
    for f in [*store.path.glob("clips-*.u8"), *store.path.glob("table-*.bin")]:
        if f.name not in named:
            try:
                f.unlink()
            except OSError:  # still mapped somewhere: the next writer tries again
                pass


def _superseded_ids(sources: list[dict]) -> set[int]:
    """Ids of sources replaced by a later source with the same path (only the last one counts)."""
    last = {s["path"]: s["id"] for s in sources if s.get("path") is not None}
    return {s["id"] for s in sources if s.get("path") is not None and last[s["path"]] != s["id"]}


def rewrite_without(store: ClipStore, drop: set[int]) -> int:
    """Compact the store into a new generation without the sources ``drop`` (ids); crash-safe."""
    m = store._manifest
    sources = m["sources"]
    if not drop:
        return 0
    keep_sources = [s for s in sources if s["id"] not in drop]
    gen = int(m["generation"]) + 1
    data_name, table_name = f"clips-{gen:06d}.u8", f"table-{gen:06d}.bin"
    new_ids = {s["id"]: i for i, s in enumerate(keep_sources)}
    new_sources = []
    with open(store.path / data_name, "wb") as dfh, open(store.path / table_name, "wb") as tfh:
        n = 0
        for s in keep_sources:
            lo, cnt = int(s["first_clip"]), int(s["n_clips"])
            for a in range(lo, lo + cnt, 256):  # bounded memory: 256 clips at a time
                b = min(a + 256, lo + cnt)
                dfh.write(np.ascontiguousarray(store._clips[a:b]).tobytes())
                rec = np.array(store._table[a:b])
                rec["source_id"] = new_ids[s["id"]]
                tfh.write(rec.tobytes())
            new_sources.append(dict(s, id=new_ids[s["id"]], first_clip=n))
            n += cnt
        for fh in (dfh, tfh):
            fh.flush()
            os.fsync(fh.fileno())
    removed = len(store) - n
    old_files = (m["data_file"], m["table_file"])
    new = dict(m, generation=gen, data_file=data_name, table_file=table_name, sources=new_sources, n_clips=n)
    new["updated"] = time.time()
    new["fingerprint"] = store_fingerprint(new)
    fsync_dir(store.path)
    write_json_atomic(store.path / MANIFEST, new)
    store._install(new)
    for name in old_files:
        try:
            os.unlink(store.path / name)
        except OSError:  # still mapped elsewhere (Windows): a later writer cleans it
            pass
    return removed


class WriterLock:
    """An exclusive lock on ``STORE/.lock`` so that two writers never interleave."""

    def __init__(self, path: Path) -> None:
        self._path = path / ".lock"
        self._fh = None

    def __enter__(self) -> WriterLock:
        self._fh = open(self._path, "a+")
        try:
            import fcntl
        except ImportError:  # Windows: single-writer use is documented, no OS lock
            return self
        try:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._fh.close()
            raise StoreError(f"{self._path.parent} is being written by another latentlab process") from None
        except OSError as exc:  # e.g. no locks on this file system (some network mounts)
            self._fh.close()
            raise StoreError(f"{self._path.parent} cannot be locked for writing: {exc}") from None
        return self

    def __exit__(self, *exc) -> None:
        if self._fh is not None:
            self._fh.close()  # closing releases the flock

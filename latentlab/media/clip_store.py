"""The clip store: fixed-size uint8 clips on disk, memory-mapped, appended crash-safely.

On-disk format (version 1)::

    STORE/
      manifest.json         the only source of truth; replaced atomically, written last
      clips-<gen>.u8        raw uint8, C order, shape (n_clips, T, H, W, C), RGB (or grey when C == 1)
      table-<gen>.bin       raw records, one per clip, numpy dtype given by manifest["table_dtype"]
      ingest_report.json    one record per input file of the ingest runs (see ``latentlab.media.ingest``)
      .lock                 held by the single writer

``manifest.json`` holds the format name and version, the clip geometry, ``n_clips``, the names of the
two data files, the table dtype, the list of ``sources`` (one per video file, or one for procedural
data) and the store ``fingerprint``. Bytes past ``n_clips`` in the data files are an uncommitted
tail left by an interrupted writer: readers ignore them and the next writer truncates them. So clips
become visible only once the manifest that counts them is in place, and a store killed mid-ingest
always opens to its last committed state.

Opening a store reads the manifest and maps the two files: it takes constant time and no memory
proportional to the number of clips. This module reads; :mod:`latentlab.media.clip_store_writer`
creates, appends and compacts; :mod:`latentlab.media.clip_store_format` holds what both check.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from latentlab.core.atomic import read_json
from latentlab.media.clip_store_format import (
    BASE_COLUMNS,
    FORMAT,
    MANIFEST,
    VERSION,
    ClipGeometry,
    StoreError,
    check_manifest,
    data_paths,
)
from latentlab.media.clip_store_writer import ClipAppender, WriterLock, new_store, remove_orphans, rewrite_without

__all__ = ["ClipStore", "ClipAppender", "ClipGeometry", "StoreError", "BASE_COLUMNS", "FORMAT", "MANIFEST", "VERSION"]


class ClipStore:
    """A clip store opened for reading (and, through :meth:`appender`, for appending).

    Parameters
    ----------
    path
        The store folder.

    Examples
    --------
    >>> store = ClipStore.open("clips/")                 # doctest: +SKIP
    >>> clip_u8 = store[0]                                # (T, H, W, C) uint8, RGB
    >>> batch_u8 = store.read([3, 1, 4])                  # (3, T, H, W, C), a copy
    >>> store.table["start_time"][:5]                     # per-clip table columns
    """

    def __init__(self, path: str | os.PathLike, manifest: dict) -> None:
        self.path = Path(path)
        self._manifest = manifest
        g = manifest["clip"]
        self.geometry = ClipGeometry(int(g["frames"]), int(g["height"]), int(g["width"]), int(g["channels"]))
        self._map()

    # ----------------------------------------------------------------------------------- opening
    @classmethod
    def create(
        cls,
        path: str | os.PathLike,
        geometry: ClipGeometry,
        *,
        factor_names: Sequence[str] = (),
        attrs: dict | None = None,
        exist_ok: bool = False,
    ) -> ClipStore:
        """Create an empty store (or open an existing one with the same geometry if ``exist_ok``).

        ``factor_names`` adds float32 table columns ``factor_<name>`` (ground-truth factors of
        procedural data). ``attrs`` is free-form JSON kept in the manifest (ingest settings, say).
        """
        path = Path(path)
        if (path / MANIFEST).exists():
            if not exist_ok:
                raise StoreError(f"{path} already holds a clip store")
            store = cls.open(path)
            if store.geometry != geometry:
                raise StoreError(
                    f"{path} holds clips of shape {store.geometry.shape} (T, H, W, C); "
                    f"cannot add clips of shape {geometry.shape}"
                )
            if list(store.factor_names) != list(factor_names):
                raise StoreError(f"{path} has factor columns {store.factor_names}, not {list(factor_names)}")
            return store
        if path.exists() and not path.is_dir():
            raise StoreError(f"{path} exists and is not a folder")
        if path.exists() and any(path.iterdir()):
            raise StoreError(f"{path} is a folder that is not empty and holds no clip store")
        return cls(path, new_store(path, geometry, factor_names, attrs))

    @classmethod
    def open(cls, path: str | os.PathLike) -> ClipStore:
        """Open a store for reading. Raises :class:`StoreError` with the reason if it cannot."""
        path = Path(path)
        mpath = path / MANIFEST
        if not mpath.is_file():
            raise StoreError(f"{path} is not a clip store: it has no {MANIFEST}")
        try:
            manifest = read_json(mpath)
        except (OSError, ValueError) as exc:
            raise StoreError(f"{mpath} cannot be read: {exc}") from exc
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise StoreError(f"{mpath} is not a latentlab clip-store manifest")
        version = manifest.get("version")
        if not isinstance(version, int) or version > VERSION:
            raise StoreError(
                f"{path} was written by a newer latentlab (store format {version}); "
                f"this version reads format {VERSION} and older"
            )
        check_manifest(path, manifest)
        return cls(path, manifest)

    def _map(self) -> None:
        m = self._manifest
        n = int(m["n_clips"])
        self.table_dtype = np.dtype([tuple(c) for c in m["table_dtype"]])
        data_path, table_path = data_paths(self.path, m)
        for p, need in ((data_path, n * self.geometry.nbytes), (table_path, n * self.table_dtype.itemsize)):
            if not p.is_file():
                raise StoreError(f"{self.path} is damaged: {p.name} is missing")
            if p.stat().st_size < need:
                raise StoreError(
                    f"{self.path} is damaged: {p.name} holds {p.stat().st_size} bytes, "
                    f"the manifest counts {n} clips ({need} bytes)"
                )
        if n == 0:
            self._clips = np.zeros((0, *self.geometry.shape), np.uint8)
            self._table = np.zeros(0, self.table_dtype)
        else:
            self._clips = np.memmap(data_path, np.uint8, "r", shape=(n, *self.geometry.shape))
            self._table = np.memmap(table_path, self.table_dtype, "r", shape=(n,))

    def _install(self, manifest: dict) -> None:
        """Take a manifest just committed by the writer, and map its files."""
        self._manifest = manifest
        self._map()

    def reload(self) -> None:
        """Re-read the manifest (after another process appended)."""
        other = ClipStore.open(self.path)
        self._manifest = other._manifest
        self._map()

    # ----------------------------------------------------------------------------------- reading
    def __len__(self) -> int:
        return int(self._manifest["n_clips"])

    def __getitem__(self, index: int) -> np.ndarray:
        """One clip, ``(T, H, W, C)`` uint8 (a read-only view into the map)."""
        return self._clips[index]

    @property
    def clips(self) -> np.ndarray:
        """All clips as a read-only memory map, ``(N, T, H, W, C)`` uint8."""
        return self._clips

    @property
    def table(self) -> np.ndarray:
        """The per-clip table: a structured array of ``N`` records (see ``BASE_COLUMNS``)."""
        return self._table

    def read(self, indices: Sequence[int] | np.ndarray) -> np.ndarray:
        """Copy the clips at ``indices`` into memory, ``(len(indices), T, H, W, C)`` uint8."""
        idx = np.asarray(indices, dtype=np.int64)
        if idx.size and (idx.min() < -len(self) or idx.max() >= len(self)):
            raise IndexError(f"clip index out of range for a store of {len(self)} clips")
        return np.array(self._clips[idx]) if idx.size else np.zeros((0, *self.geometry.shape), np.uint8)

    def factors(self) -> dict[str, np.ndarray]:
        """Ground-truth factor columns by name (empty for stores of real video)."""
        return {n: np.asarray(self._table[f"factor_{n}"]) for n in self.factor_names}

    @property
    def factor_names(self) -> list[str]:
        return list(self._manifest.get("factor_names", []))

    @property
    def sources(self) -> list[dict]:
        """One record per source (video file or procedural generator): id, path, fingerprint, ..."""
        return list(self._manifest["sources"])

    def source_path(self, clip_index: int) -> str:
        """Path of the video a clip came from (:class:`StoreError` if the table names no such source)."""
        sid = int(self._table["source_id"][clip_index])
        sources = self._manifest["sources"]
        if not 0 <= sid < len(sources) or "path" not in sources[sid]:
            raise StoreError(
                f"{self.path} is damaged: clip {clip_index} names source {sid}, which the manifest "
                f"does not list ({len(sources)} sources)"
            )
        return sources[sid]["path"]

    def check_table(self) -> None:
        """Raise :class:`StoreError` if the per-clip table is garbled (unknown sources, NaN times).

        Reads the whole table, so it is not done on :meth:`open`; exports call it first."""
        if len(self) == 0:
            return
        sid = np.asarray(self._table["source_id"])
        bad = np.flatnonzero((sid < 0) | (sid >= len(self._manifest["sources"])))
        if bad.size:
            raise StoreError(
                f"{self.path} is damaged: its clip table names unknown sources "
                f"({bad.size} clips, the first is clip {int(bad[0])})"
            )
        for col in ("start_time", "end_time", "fps"):
            values = np.asarray(self._table[col])
            if not np.isfinite(values).all():
                raise StoreError(f"{self.path} is damaged: its clip table holds non-numbers in {col}")

    def clip_keys(self) -> np.ndarray:
        """A stable key per clip, ``(N,)`` str: ``"<source fingerprint[:16]>:<start frame>:<ordinal>"``.

        Indices change when a store is compacted or re-ingested; keys do not, so projects and tags
        refer to clips by key. ``ordinal`` counts the clips of the same source before this one (it
        tells apart procedural clips that share a start frame). A source cut with other settings
        gets other keys, so stale tags are reported instead of landing on the wrong clips.
        """
        sid = np.asarray(self._table["source_id"])
        start = np.asarray(self._table["start_frame"])
        fps = {s["id"]: str(s.get("fingerprint", s.get("path", "")))[:16] for s in self._manifest["sources"]}
        seen: dict[int, int] = {}
        keys = []
        for s_id, f in zip(sid.tolist(), start.tolist()):
            n = seen.get(s_id, 0)
            seen[s_id] = n + 1
            keys.append(f"{fps.get(s_id, s_id)}:{f}:{n}")
        return np.asarray(keys, dtype=str)

    @property
    def fingerprint(self) -> str:
        """Changes whenever the set of clips changes (sources, their content or the geometry)."""
        return self._manifest["fingerprint"]

    @property
    def attrs(self) -> dict:
        return dict(self._manifest.get("attrs", {}))

    @property
    def manifest(self) -> dict:
        return dict(self._manifest)

    def __repr__(self) -> str:
        return f"ClipStore({str(self.path)!r}, n_clips={len(self)}, clip={self.geometry.shape})"

    # ----------------------------------------------------------------------------------- writing
    @contextmanager
    def appender(self, source: dict) -> Iterator[ClipAppender]:
        """Append the clips of one source; they become visible only if the block exits cleanly.

        ``source`` is a JSON-able dict that should hold at least ``path`` and ``fingerprint``; the
        store adds ``id``, ``first_clip`` and ``n_clips``. A source with the same ``path`` already in
        the store is replaced (its old clips are removed) when the new one commits.
        """
        with WriterLock(self.path):
            self.reload()
            remove_orphans(self)
            appender = ClipAppender(self, dict(source))
            try:
                yield appender
            except BaseException:
                appender._abort()
                raise
            appender._commit()

    def remove_sources(self, paths: Sequence[str]) -> int:
        """Remove every clip of the sources with these paths; return how many clips went."""
        with WriterLock(self.path):
            self.reload()
            paths = set(paths)
            return rewrite_without(self, {s["id"] for s in self.sources if s.get("path") in paths})

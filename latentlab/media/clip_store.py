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
proportional to the number of clips.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from latentlab.core.atomic import fsync_dir, read_json, write_json_atomic
from latentlab.core.errors import UserError
from latentlab.core.fingerprint import text_fingerprint
from latentlab.core.safe_names import UnsafeFileName, child_file

FORMAT = "latentlab-clip-store"
VERSION = 1
MANIFEST = "manifest.json"

#: Columns every store has, in this order; factor columns (float32) follow.
BASE_COLUMNS: list[tuple[str, str]] = [
    ("source_id", "<i4"),  # index into manifest["sources"]
    ("start_frame", "<i8"),  # source frame index of the clip's first frame
    ("end_frame", "<i8"),  # source frame index one past the clip's last frame
    ("start_time", "<f8"),  # seconds, timestamp of the first frame
    ("end_time", "<f8"),  # seconds, timestamp after the last frame (start_time + T / fps)
    ("fps", "<f8"),  # the clip's sampling rate (frames per second)
]


class StoreError(UserError):
    """A clip store that cannot be opened or written, with a message that says why."""


@dataclass(frozen=True)
class ClipGeometry:
    """Shape of every clip in a store: ``frames`` x ``height`` x ``width`` x ``channels``."""

    frames: int
    height: int
    width: int
    channels: int

    def __post_init__(self) -> None:
        for name in ("frames", "height", "width"):
            if int(getattr(self, name)) < 1:
                raise StoreError(f"clip {name} must be at least 1, got {getattr(self, name)}")
        if self.channels not in (1, 3):
            raise StoreError(f"clips have 1 (grey) or 3 (RGB) channels, got {self.channels}")

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """``(T, H, W, C)``."""
        return (self.frames, self.height, self.width, self.channels)

    @property
    def nbytes(self) -> int:
        """Bytes of one clip."""
        return self.frames * self.height * self.width * self.channels


def _table_dtype(factor_names: Sequence[str]) -> np.dtype:
    return np.dtype(BASE_COLUMNS + [(f"factor_{n}", "<f4") for n in factor_names])


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
    ) -> "ClipStore":
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
        path.mkdir(parents=True, exist_ok=True)
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "clip": asdict(geometry),
            "n_clips": 0,
            "generation": 1,
            "data_file": "clips-000001.u8",
            "table_file": "table-000001.bin",
            "table_dtype": [list(c) for c in _table_dtype(factor_names).descr],
            "factor_names": list(factor_names),
            "sources": [],
            "attrs": dict(attrs or {}),
            "created": time.time(),
            "updated": time.time(),
        }
        for key in ("data_file", "table_file"):
            (path / manifest[key]).touch()
        manifest["fingerprint"] = _store_fingerprint(manifest)
        write_json_atomic(path / MANIFEST, manifest)
        return cls(path, manifest)

    @classmethod
    def open(cls, path: str | os.PathLike) -> "ClipStore":
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
        _check_manifest(path, manifest)
        return cls(path, manifest)

    def _map(self) -> None:
        m = self._manifest
        n = int(m["n_clips"])
        self.table_dtype = np.dtype([tuple(c) for c in m["table_dtype"]])
        data_path, table_path = _data_paths(self.path, m)
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
            raise StoreError(f"{self.path} is damaged: clip {clip_index} names source {sid}, which the manifest "
                             f"does not list ({len(sources)} sources)")
        return sources[sid]["path"]

    def check_table(self) -> None:
        """Raise :class:`StoreError` if the per-clip table is garbled (unknown sources, NaN times).

        Reads the whole table, so it is not done on :meth:`open`; exports call it first."""
        if len(self) == 0:
            return
        sid = np.asarray(self._table["source_id"])
        bad = np.flatnonzero((sid < 0) | (sid >= len(self._manifest["sources"])))
        if bad.size:
            raise StoreError(f"{self.path} is damaged: its clip table names unknown sources "
                             f"({bad.size} clips, the first is clip {int(bad[0])})")
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
    def appender(self, source: dict) -> Iterator["ClipAppender"]:
        """Append the clips of one source; they become visible only if the block exits cleanly.

        ``source`` is a JSON-able dict that should hold at least ``path`` and ``fingerprint``; the
        store adds ``id``, ``first_clip`` and ``n_clips``. A source with the same ``path`` already in
        the store is replaced (its old clips are removed) when the new one commits.
        """
        with _WriterLock(self.path):
            self.reload()
            _remove_orphans(self)
            appender = ClipAppender(self, dict(source))
            try:
                yield appender
            except BaseException:
                appender._abort()
                raise
            appender._commit()

    def remove_sources(self, paths: Sequence[str]) -> int:
        """Remove every clip of the sources with these paths; return how many clips went."""
        with _WriterLock(self.path):
            self.reload()
            paths = set(paths)
            return _rewrite_without(self, {s["id"] for s in self.sources if s.get("path") in paths})


class ClipAppender:
    """Streams clips of one source to the end of the store's files (see :meth:`ClipStore.appender`)."""

    def __init__(self, store: ClipStore, source: dict) -> None:
        self._store = store
        self.source = source
        m = store._manifest
        self._n0 = int(m["n_clips"])
        g = store.geometry
        data_path, table_path = _data_paths(store.path, m)  # never truncate a file outside the store
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
        m["fingerprint"] = _store_fingerprint(m)
        write_json_atomic(store.path / MANIFEST, m)
        store._manifest = m
        store._map()
        # The new version is committed; now drop the old one. A crash between the two leaves both
        # versions listed: the next writer removes the older (see ``_superseded_ids``).
        _rewrite_without(store, _superseded_ids(sources))


_DATA_NAME, _TABLE_NAME = r"clips-[0-9]{6,12}\.u8", r"table-[0-9]{6,12}\.bin"  # as _rewrite_without names them


def _data_paths(folder: Path, m: dict) -> tuple[Path, Path]:
    """The two data files the manifest names, refused unless they are bare names inside the store."""
    try:
        return (child_file(folder, m.get("data_file"), _DATA_NAME, "the manifest's data_file"),
                child_file(folder, m.get("table_file"), _TABLE_NAME, "the manifest's table_file"))
    except UnsafeFileName as exc:
        raise StoreError(str(exc)) from None


def _check_manifest(path: Path, m: dict) -> None:
    """Types and ranges of every manifest field this module reads (a hand-edited or hostile file)."""
    def bad(what: str) -> StoreError:
        return StoreError(f"{path / MANIFEST} is damaged: {what}")

    _data_paths(path, m)
    clip = m.get("clip")
    if not isinstance(clip, dict) or not all(_is_int(clip.get(k)) for k in ("frames", "height", "width", "channels")):
        raise bad("'clip' must give whole-number frames, height, width and channels")
    if any(not 1 <= clip[k] <= 100_000 for k in ("frames", "height", "width")):
        raise bad(f"the clip size {clip} is out of range")
    for key in ("n_clips", "generation"):
        if not _is_int(m.get(key)) or m[key] < 0:
            raise bad(f"{key!r} must be a whole number >= 0, not {m.get(key)!r:.40}")
    dtype = m.get("table_dtype")
    try:
        np.dtype([tuple(c) for c in dtype])
        ok = all(isinstance(c, list) and len(c) == 2 and isinstance(c[1], str) and c[1][1:2] in "fiu"
                 for c in dtype) and [list(c) for c in dtype[:len(BASE_COLUMNS)]] == [list(c) for c in BASE_COLUMNS]
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise bad("'table_dtype' is not a table of number columns starting with the base columns")
    sources = m.get("sources")
    if not isinstance(sources, list) or not all(isinstance(s, dict) for s in sources):
        raise bad("'sources' must be a list of objects")
    for s in sources:
        if not (_is_int(s.get("id")) and _is_int(s.get("first_clip")) and _is_int(s.get("n_clips"))):
            raise bad(f"a source lacks whole-number id, first_clip and n_clips: {s!r:.80}")
    if not isinstance(m.get("fingerprint"), str) or not isinstance(m.get("factor_names", []), list):
        raise bad("'fingerprint' or 'factor_names' has the wrong type")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _remove_orphans(store: ClipStore) -> None:
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


def _rewrite_without(store: ClipStore, drop: set[int]) -> int:
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
    new["fingerprint"] = _store_fingerprint(new)
    fsync_dir(store.path)
    write_json_atomic(store.path / MANIFEST, new)
    store._manifest = new
    store._map()
    for name in old_files:
        try:
            os.unlink(store.path / name)
        except OSError:  # still mapped elsewhere (Windows): a later writer cleans it
            pass
    return removed


def _store_fingerprint(manifest: dict) -> str:
    parts = [FORMAT, str(manifest["clip"]), str(manifest["n_clips"])]
    for s in manifest["sources"]:
        parts += [str(s.get("path")), str(s.get("fingerprint")), str(s.get("n_clips")), str(s.get("params", ""))]
    return text_fingerprint(*parts)


class _WriterLock:
    """An exclusive lock on ``STORE/.lock`` so that two writers never interleave."""

    def __init__(self, path: Path) -> None:
        self._path = path / ".lock"
        self._fh = None

    def __enter__(self) -> "_WriterLock":
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

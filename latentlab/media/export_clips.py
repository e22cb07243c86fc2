"""Exports of a set of clips: manifest, videos, Projector files, a folder per tag.

:func:`run_export` is the one entry point behind ``latentlab export`` and File -> Export…. It takes
plain inputs (a store, clip indices, the tags of each clip, latents or None, a reconstruction
function or None), writes into a staging folder that becomes ``OUT`` only when complete (see
:mod:`latentlab.core.export_output`) and returns an :class:`~latentlab.core.export_output.ExportReport`.

Layouts (all paths relative to ``OUT``; every export also writes ``export.json``, its report):

- ``manifest``: ``manifest.csv``, ``manifest.json`` (see :mod:`latentlab.core.export_tables`);
- ``videos``: ``clips/<name>.mp4`` (the store's pixels), ``reconstructions/<name>.mp4`` when asked,
  ``manifest.csv`` with ``file`` and ``reconstruction`` columns;
- ``projector``: ``vectors.tsv``, ``metadata.tsv``, ``projector_config.json`` (Projector's config);
- ``folders``: ``<tag folder>/<name>.mp4`` (a clip with several tags is in each of their folders;
  untagged clips are left out and counted), ``labels.csv`` (file, clip id, tag, folder) and
  ``folders.json`` (tag -> folder name; folder names are made safe, see :func:`safe_folder_names`).

``<name>`` is the clip key with ``:`` as ``_`` (``-<index>`` added if two clips share a key).
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from latentlab.core.atomic import write_json_atomic
from latentlab.core.export_output import REPORT, ExportReport, staged_output, write_report
from latentlab.core.export_tables import (
    ExportError,
    manifest_rows,
    projector_metadata,
    write_manifest_csv,
    write_manifest_json,
    write_projector_metadata,
    write_projector_vectors,
)
from latentlab.core.frame_rate import usable_fps
from latentlab.media.video_writer import VideoWriteError, write_video

FORMATS = ("manifest", "videos", "projector", "folders")
BATCH = 64
_OWN_FILES = {"labels.csv", "folders.json", REPORT}
_BAD_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}

Progress = Callable[[float, str], None]
Reconstruct = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (indices (B,), clips (B,T,H,W,C)) -> (B,T,H,W,C)


class ExportCancelled(ExportError):
    """The export was cancelled; nothing was written to ``OUT``."""


def safe_folder_name(tag: str) -> str:
    """``tag`` as a folder name valid on Windows, macOS and Linux (may collide: see safe_folder_names)."""
    s = unicodedata.normalize("NFC", str(tag))  # macOS stores names decomposed: compare one form
    s = _BAD_CHARS.sub("_", s).strip().rstrip(". ")
    s = re.sub(r"^\.", "_", s)  # no hidden folders
    if not s:
        s = "_"
    if s.split(".")[0].upper() in _RESERVED:
        s = "_" + s
    while len(s.encode("utf-8")) > 120:  # well below the usual 255-byte limit, room for a suffix
        s = s[:-1]
    return s


def safe_folder_names(tags: Sequence[str]) -> dict[str, str]:
    """A distinct safe folder per tag, distinct also on case-insensitive file systems (``-2``, ``-3``...)."""
    taken = {n.casefold() for n in _OWN_FILES}
    out = {}
    for tag in tags:
        if tag in out:
            continue
        base = name = safe_folder_name(tag)
        k = 2
        while name.casefold() in taken:
            name, k = f"{base}-{k}", k + 1
        taken.add(name.casefold())
        out[tag] = name
    return out


def clip_names(keys: Sequence[str], indices: Sequence[int]) -> list[str]:
    """File stems: the clip key with ``:`` as ``_``; ``-<index>`` added where keys repeat."""
    stems = [str(k).replace(":", "_") for k in keys]
    counts: dict[str, int] = {}
    for s in stems:
        counts[s] = counts.get(s, 0) + 1
    return [s if counts[s] == 1 else f"{s}-{i}" for s, i in zip(stems, indices)]


def even_frames(clip_u8: np.ndarray) -> np.ndarray:
    """``(T, H, W, C)`` padded to even H and W by repeating the last row/column.

    OpenCV's MP4 (and AVI, WebM) writers silently drop an odd last row or column; padding keeps
    every original pixel at its place (the manifest/report says so).
    """
    _, h, w, _ = clip_u8.shape
    if h % 2 == 0 and w % 2 == 0:
        return clip_u8
    return np.pad(clip_u8, ((0, 0), (0, h % 2), (0, w % 2), (0, 0)), mode="edge")


def _write_videos(
    store,
    idx: np.ndarray,
    targets: list[list[Path]],
    reconstruct: Reconstruct | None,
    recon_paths: list[Path] | None,
    progress: Progress,
    cancel,
    what: str,
) -> None:
    """Write clip ``idx[k]`` to every path in ``targets[k]`` (encoded once, copied), batch by batch."""
    fps = np.asarray(store.table["fps"])
    for a in range(0, len(idx), BATCH):
        if cancel():
            raise ExportCancelled("export cancelled")
        batch = idx[a : a + BATCH]
        clips = store.read(batch)  # (B, T, H, W, C) uint8
        recon = reconstruct(batch, clips) if reconstruct is not None else None
        for k, i in enumerate(batch.tolist()):
            paths = targets[a + k]
            try:
                if paths:
                    write_video(paths[0], even_frames(clips[k]), usable_fps(fps[i]))
                    for p in paths[1:]:
                        shutil.copyfile(paths[0], p)
                if recon is not None:
                    write_video(recon_paths[a + k], even_frames(np.asarray(recon[k], np.uint8)), usable_fps(fps[i]))
            except (VideoWriteError, OSError) as exc:
                raise ExportError(f"cannot write the video of clip {i}: {exc}") from exc
        progress(min(1.0, (a + len(batch)) / len(idx)), f"{what} {a + len(batch):,}/{len(idx):,}")


def run_export(
    fmt: str,
    store,
    indices: Sequence[int],
    tags: Sequence[Sequence[str]],
    out: str | os.PathLike,
    *,
    force: bool = False,
    mu: np.ndarray | None = None,
    reconstruct: Reconstruct | None = None,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    info: dict | None = None,
    extra: Callable[[Path, ExportReport], None] | None = None,
) -> ExportReport:
    """Export the clips ``indices`` of ``store`` (with ``tags[k]`` for ``indices[k]``) to ``out``.

    Parameters
    ----------
    fmt
        One of ``FORMATS``.
    mu
        ``(len(indices), D)`` latents of the exported clips, in the same order (``projector`` only).
    reconstruct
        ``reconstruct(indices, clips_u8) -> clips_u8``; given, ``videos`` also writes reconstructions.
    progress, cancel
        ``progress(fraction, text)``; ``cancel() -> bool`` polled between batches.
    info
        Free JSON added to ``export.json`` and ``manifest.json`` (the scope, the project...).
    extra
        ``extra(folder, report)`` writes more files into the staging folder (and lists them in
        ``report``) after the clips', before ``export.json`` (File → Export…'s pinned points).

    Raises
    ------
    ExportError
        Bad input, ``out`` not empty without ``force`` (``OutputExists``), a file that cannot be
        written, or :class:`ExportCancelled`. ``out`` is then as it was.
    """
    progress = progress or (lambda f, t: None)
    cancel = cancel or (lambda: False)
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if reconstruct is not None and fmt != "videos":
        raise ExportError("reconstructions are written by the videos format only")
    idx = np.asarray(indices, dtype=np.int64).reshape(-1)
    if idx.size == 0:
        raise ExportError("there are no clips to export (the tag or selection is empty)")
    rows = manifest_rows(store, idx, tags)
    if fmt == "projector":
        if mu is None:
            raise ExportError("the projector format needs the clips' latents")
        if len(mu) != len(idx):
            raise ExportError(f"got latents for {len(mu)} clips but {len(idx)} clips to export")
    info = {"store": str(Path(store.path).absolute()), "store_fingerprint": store.fingerprint, **(info or {})}
    out_path = Path(out).expanduser().absolute()
    report = ExportReport(fmt, str(out_path), counts={"clips": int(len(idx))})
    g = store.geometry
    if fmt in ("videos", "folders") and (g.height % 2 or g.width % 2):
        report.notes.append(
            f"frames padded from {g.width}x{g.height} to {g.width + g.width % 2}x"
            f"{g.height + g.height % 2} (video encoders need even sizes; the last row/column "
            "is repeated)"
        )
    with staged_output(out_path, force) as folder:
        if fmt == "manifest":
            write_manifest_csv(folder / "manifest.csv", rows)
            write_manifest_json(folder / "manifest.json", rows, info)
            report.files += ["manifest.csv", "manifest.json"]
        elif fmt == "projector":
            write_projector_vectors(folder / "vectors.tsv", mu)
            write_projector_metadata(folder / "metadata.tsv", projector_metadata(rows))
            write_json_atomic(
                folder / "projector_config.json",
                {
                    "embeddings": [
                        {
                            "tensorName": Path(store.path).name,
                            "tensorShape": [int(len(mu)), int(np.shape(mu)[1])],
                            "tensorPath": "vectors.tsv",
                            "metadataPath": "metadata.tsv",
                        }
                    ]
                },
            )
            report.files += ["vectors.tsv", "metadata.tsv", "projector_config.json"]
            progress(1.0, "projector files written")
        elif fmt == "videos":
            _export_videos(store, idx, rows, folder, reconstruct, report, progress, cancel)
        else:
            _export_folders(store, idx, rows, folder, report, progress, cancel)
        if extra is not None:
            extra(folder, report)
        write_report(folder, report, info)
    return report


def _export_videos(store, idx, rows, folder: Path, reconstruct, report: ExportReport, progress, cancel) -> None:
    names = clip_names([r["clip_key"] for r in rows], idx)
    clips = [folder / "clips" / f"{n}.mp4" for n in names]
    recons = [folder / "reconstructions" / f"{n}.mp4" for n in names] if reconstruct is not None else None
    clips[0].parent.mkdir()
    if recons:
        recons[0].parent.mkdir()
    _write_videos(store, idx, [[p] for p in clips], reconstruct, recons, progress, cancel, "writing clips")
    for k, row in enumerate(rows):
        row["file"] = f"clips/{names[k]}.mp4"
        row["reconstruction"] = f"reconstructions/{names[k]}.mp4" if recons else ""
    write_manifest_csv(folder / "manifest.csv", rows, extra_columns=("file", "reconstruction"))
    report.files += [r["file"] for r in rows]
    if recons:
        report.files += [r["reconstruction"] for r in rows]
        report.counts["reconstructions"] = len(rows)
    report.files.append("manifest.csv")
    report.counts["videos"] = len(rows) * (2 if recons else 1)


def _export_folders(store, idx, rows, folder: Path, report: ExportReport, progress, cancel) -> None:
    all_tags = [t for r in rows for t in r["tags"]]
    if not all_tags:
        raise ExportError("none of these clips has a tag: a folder-per-tag dataset needs tagged clips")
    folders = safe_folder_names(all_tags)
    names = clip_names([r["clip_key"] for r in rows], idx)
    targets, labels = [], []
    for k, row in enumerate(rows):
        paths = []
        for tag in dict.fromkeys(row["tags"]):  # a tag listed twice still gives one file
            rel = f"{folders[tag]}/{names[k]}.mp4"
            paths.append(folder / rel)
            labels.append(
                {
                    "file": rel,
                    "clip_id": row["clip_id"],
                    "clip_key": row["clip_key"],
                    "index": row["index"],
                    "tag": tag,
                    "folder": folders[tag],
                }
            )
        targets.append(paths)
    for name in folders.values():
        (folder / name).mkdir()
    keep = np.array([bool(t) for t in targets])
    _write_videos(store, idx[keep], [t for t in targets if t], None, None, progress, cancel, "writing clips")
    with open(folder / "labels.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, ["file", "clip_id", "clip_key", "index", "tag", "folder"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(labels)
    write_json_atomic(folder / "folders.json", folders)
    report.files += [lab["file"] for lab in labels] + ["labels.csv", "folders.json"]
    report.counts.update(videos=len(labels), tags=len(folders))
    untagged = int((~keep).sum())
    if untagged:
        report.counts["untagged left out"] = untagged

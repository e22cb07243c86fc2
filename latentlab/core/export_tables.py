"""Export tables: the clip manifest (CSV, JSON) and TensorFlow Embedding Projector TSV files.

Manifest: one row per exported clip with what it takes to cut the original again: the clip key
(stable, see ``ClipStore.clip_keys``) and store index, the source file (absolute path), start/end
time and frame, fps and the clip's tags.

Tags in one text field (CSV, TSV): joined with ``|``; inside a tag name ``\\`` is written ``\\\\``
and ``|`` is written ``\\|``, so :func:`split_tags` gives back the exact list. JSON keeps a list.

Projector files follow the Projector's own parser (``vz_projector/data-provider.ts``, and the
TensorFlow embedding guide: "If the TSV metadata file has only a single column, then we don't
expect a header row"):

- vectors TSV: no header, one row per point, tab-separated numbers (``%.9g``: exact for float32);
  NaN/Inf are refused (the Projector would take a non-number first value as a label);
- metadata TSV: a header row iff there is more than one column (the Projector takes the first line
  as a header exactly when it holds a tab); same row count as the vectors;
- lines end in ``\\n`` only (the Projector splits on ``\\n`` and would keep a ``\\r``), UTF-8, no BOM;
- the Projector has no quoting, so inside a value ``\\`` -> ``\\\\``, tab -> ``\\t``, newline -> ``\\n``,
  carriage return -> ``\\r`` (see :func:`escape_tsv`; :func:`unescape_tsv` reverses it);
- it decodes 1,000,000-byte slices separately: blank lines (which it skips) are added where a
  multi-byte character would be cut by a slice boundary (see ``_chunk_safe_utf8``);
- it skips blank lines (after trimming tabs and spaces), so a row that would be blank, i.e. an empty
  value in a one-column file, gets ``(empty)`` (``EMPTY_LABEL``) in its first field; otherwise an
  empty field is what the Projector reads as a missing value.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from latentlab.core.atomic import atomic_open
from latentlab.core.errors import UserError

PROJECTOR_CHUNK = 1_000_000  # bytes the Projector decodes at a time (vz_projector streamParse)
TAG_SEPARATOR = "|"
EMPTY_LABEL = "(empty)"
MANIFEST_COLUMNS = (
    "clip_id",
    "clip_key",
    "index",
    "source",
    "start_time",
    "end_time",
    "start_frame",
    "end_frame",
    "fps",
    "tags",
)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")  # "procedural:sprites"; not "C:" (one letter)


class ExportError(UserError):
    """An export that cannot be done (bad input, existing output, unwritable folder), in words."""


# ------------------------------------------------------------------------------------------ tags
def join_tags(tags: Sequence[str]) -> str:
    """Tags as one text field: ``|``-joined, with ``\\`` and ``|`` inside a name backslash-escaped."""
    return TAG_SEPARATOR.join(t.replace("\\", "\\\\").replace("|", "\\|") for t in tags)


def split_tags(text: str) -> list[str]:
    """The inverse of :func:`join_tags`."""
    if text == "":
        return []
    out, cur, i = [], [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            cur.append(text[i + 1])
            i += 2
            continue
        if ch == TAG_SEPARATOR:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    out.append("".join(cur))
    return out


# ------------------------------------------------------------------------------------------ manifest
def absolute_source(path: str) -> str:
    """A source path made absolute; a non-file source such as ``procedural:sprites`` stays as it is."""
    path = str(path)
    if _SCHEME.match(path) and not Path(path).is_absolute():
        return path
    return os.path.abspath(path)


def clip_id(key: str, index: int) -> str:
    """``"<clip key>#<store index>"``: the key is stable, the index says where it is in this store."""
    return f"{key}#{int(index)}"


def manifest_rows(store, indices: Sequence[int], tags: Sequence[Sequence[str]]) -> list[dict]:
    """One dict per clip (``MANIFEST_COLUMNS``; ``tags`` a list). ``tags[k]`` belongs to ``indices[k]``.

    ``store`` needs ``clip_keys()``, ``table`` (start/end time and frame, fps) and ``source_path(i)``.
    """
    idx = np.asarray(indices, dtype=np.int64).reshape(-1)
    if len(tags) != len(idx):
        raise ExportError(f"got tags for {len(tags)} clips but {len(idx)} clip indices")
    if idx.size and (idx.min() < 0 or idx.max() >= len(store)):
        raise ExportError(f"clip index out of range for a store of {len(store)} clips")
    keys = store.clip_keys()
    table = store.table
    rows = []
    for i, clip_tags in zip(idx.tolist(), tags):
        rec = table[i]
        rows.append(
            {
                "clip_id": clip_id(keys[i], i),
                "clip_key": str(keys[i]),
                "index": i,
                "source": absolute_source(store.source_path(i)),
                "start_time": float(rec["start_time"]),
                "end_time": float(rec["end_time"]),
                "start_frame": int(rec["start_frame"]),
                "end_frame": int(rec["end_frame"]),
                "fps": float(rec["fps"]),
                "tags": [str(t) for t in clip_tags],
            }
        )
    return rows


def write_manifest_csv(path: str | os.PathLike, rows: Sequence[dict], extra_columns: Sequence[str] = ()) -> Path:
    """Write ``rows`` as UTF-8 CSV with a header (``csv`` quoting; tags joined by :func:`join_tags`)."""
    columns = [*MANIFEST_COLUMNS, *extra_columns]
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                **row,
                "tags": join_tags(row["tags"]),
                "start_time": repr(row["start_time"]),
                "end_time": repr(row["end_time"]),
                "fps": repr(row["fps"]),
            }
        )
    with atomic_open(path, "w", encoding="utf-8") as fh:
        fh.write(buf.getvalue())
    return Path(path)


def write_manifest_json(path: str | os.PathLike, rows: Sequence[dict], info: dict | None = None) -> Path:
    """Write ``{"format": "latentlab-export-manifest", "version": 1, **info, "clips": rows}`` as UTF-8 JSON."""
    doc = {"format": "latentlab-export-manifest", "version": 1, **(info or {}), "clips": list(rows)}
    text = json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False)
    with atomic_open(path, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")
    return Path(path)


# ------------------------------------------------------------------------------------------ projector
_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_UNESCAPES = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}


def escape_tsv(value) -> str:
    """A value as one Projector TSV field: no raw tab, newline or carriage return (backslash escapes)."""
    return "".join(_ESCAPES.get(ch, ch) for ch in str(value))


def unescape_tsv(field: str) -> str:
    """The inverse of :func:`escape_tsv`."""
    return re.sub(r"\\(.)", lambda m: _UNESCAPES.get(m.group(1), m.group(0)), field)


def write_projector_vectors(path: str | os.PathLike, vectors: np.ndarray) -> Path:
    """Write ``vectors`` ``(N, D)`` as the Projector's tensor TSV (no header, ``D >= 2`` finite numbers)."""
    v = np.asarray(vectors, dtype=np.float64)
    if v.ndim != 2 or v.shape[0] < 1:
        raise ExportError(f"vectors must be a non-empty (N, D) array, got shape {v.shape}")
    if v.shape[1] < 2:
        raise ExportError("the Embedding Projector refuses one-dimensional vectors (it needs D >= 2)")
    if not np.isfinite(v).all():
        raise ExportError("the latents hold NaN or Inf values; the Embedding Projector cannot read them")
    with atomic_open(path, "w", encoding="utf-8") as fh:
        for row in v:
            fh.write("\t".join(f"{x:.9g}" for x in row) + "\n")
    return Path(path)


def write_projector_metadata(path: str | os.PathLike, columns: dict[str, Sequence]) -> Path:
    """Write metadata ``{column name: values}`` as the Projector's metadata TSV (header iff > 1 column)."""
    if not columns:
        raise ExportError("metadata needs at least one column")
    names = list(columns)
    values = [list(columns[n]) for n in names]
    n = len(values[0])
    if any(len(v) != n for v in values):
        raise ExportError("every metadata column must have one value per point")
    lines = []
    if len(names) > 1:
        lines.append("\t".join(escape_tsv(c) for c in names))
        for r in range(n):
            fields = [escape_tsv(v[r]) for v in values]
            if not "".join(fields).strip():  # an all-blank row would be skipped as a blank line
                fields[0] = EMPTY_LABEL
            lines.append("\t".join(fields))
    else:  # one column: no header; a blank line would be skipped and shift every later label
        lines += [escape_tsv(x) if str(x).strip() else EMPTY_LABEL for x in values[0]]
    with atomic_open(path, "wb") as fh:
        fh.write(_chunk_safe_utf8(lines))
    return Path(path)


def _chunk_safe_utf8(lines: Sequence[str]) -> bytes:
    """``lines`` as UTF-8, ``\n``-terminated, with no character across a ``PROJECTOR_CHUNK`` boundary.

    The Projector decodes a file in 1,000,000-byte slices, each on its own (``streamParse``), so a
    multi-byte character cut by a slice boundary would come out as two U+FFFD. Blank lines, which
    it skips, are put before such a line until the character starts on the boundary.
    """
    out, pos = [], 0
    for line in lines:
        data = (line + "\n").encode("utf-8")
        cut = (pos // PROJECTOR_CHUNK + 1) * PROJECTOR_CHUNK - pos  # next boundary, inside this line?
        if cut < len(data):  # (a line longer than a slice is not guarded: 1 MB of metadata per point)
            start = cut
            while start > 0 and 0x80 <= data[start] < 0xC0:  # a continuation byte: inside a character
                start -= 1
            if start != cut:
                out.append(b"\n" * (cut - start))
                pos += cut - start
        out.append(data)
        pos += len(data)
    return b"".join(out)


def projector_metadata(rows: Sequence[dict]) -> dict[str, list]:
    """Metadata columns for manifest rows: clip id, first tag (colours well), all tags, source, times."""
    return {
        "clip_id": [r["clip_id"] for r in rows],
        "tag": [r["tags"][0] if r["tags"] else "" for r in rows],
        "tags": [join_tags(r["tags"]) for r in rows],
        "source": [r["source"] for r in rows],
        "start_time": [repr(r["start_time"]) for r in rows],
        "end_time": [repr(r["end_time"]) for r in rows],
    }

"""Pinned points: latents the user dragged a clip's point to and kept, as synthetic points on the map.

A :class:`PinnedPoint` is a generated latent (no clip in the store holds it): where it was dropped on
the map, the clip it was dragged from, a name and its own tags. :class:`PinnedPoints` is the list the
map and the pinned-points panel show; its edits are :class:`~latentlab.core.undo.Command` objects
(:class:`PinPoint`, :class:`UnpinPoint`, :class:`TagPinned`) so the panel can undo them. The tags of a
pinned point live on the point (the store's :class:`~latentlab.core.tags.TagBook` is keyed by clip);
:func:`pinned_records` writes them, and ``generated: true``, into an export.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from psygnal import Signal

from latentlab.core.undo import Command


@dataclass(frozen=True)
class PinnedPoint:
    """One kept latent.

    Attributes
    ----------
    id
        Unique within its :class:`PinnedPoints` (never reused), named ``"pinned <id>"``.
    z
        The latent ``(D,)`` float32.
    pos
        Where it was dropped on the map ``(x, y)`` (the map the drag was made on).
    source
        The clip whose point was dragged.
    tags
        Its tags, in the order given.
    """

    id: int
    z: np.ndarray
    pos: tuple[float, float]
    source: int
    tags: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"pinned {self.id}"

    @property
    def origin(self) -> str:
        """``from clip 12`` (``from a clip not in this store`` for a saved point whose clip is gone)."""
        return f"from clip {self.source}" if self.source >= 0 else "from a clip not in this store"


class PinnedPoints:
    """The pinned points of the dataset shown; ``changed`` after every edit."""

    changed = Signal()

    def __init__(self) -> None:
        self._points: dict[int, PinnedPoint] = {}  # insertion order = display order
        self._next_id = 1

    def __len__(self) -> int:
        return len(self._points)

    def __iter__(self):
        return iter(list(self._points.values()))

    def get(self, point_id: int) -> PinnedPoint:
        if point_id not in self._points:
            raise KeyError(f"no pinned point {point_id}")
        return self._points[point_id]

    def positions(self) -> np.ndarray:
        """``(K, 2)`` map positions, in display order."""
        return np.array([p.pos for p in self._points.values()], np.float64).reshape(-1, 2)

    @property
    def next_id(self) -> int:
        """The id the next new point gets."""
        return self._next_id

    def new_point(self, z: np.ndarray, pos: tuple[float, float], source: int) -> PinnedPoint:
        """A point with the next free id (not yet added: push a :class:`PinPoint` to add it)."""
        z = np.asarray(z, np.float32).reshape(-1)
        if not np.all(np.isfinite(z)):
            raise ValueError("a pinned latent must be finite")
        return PinnedPoint(self._next_id, z.copy(), (float(pos[0]), float(pos[1])), int(source))

    def clear(self) -> None:
        """Forget every point (another dataset was loaded)."""
        self._points.clear()
        self.changed.emit()

    def restore(self, points: Sequence[PinnedPoint], reserved: int = 0) -> None:
        """Show ``points`` instead (a project was opened; not an edit). New ids start after theirs and
        after ``reserved`` (the largest id of pinned points kept in the project but not shown)."""
        self._points = {p.id: p for p in points}
        self._next_id = max([reserved, *self._points]) + 1
        self.changed.emit()

    # ------------------------------------------------------------------ mutators (for the commands)
    def _put(self, point: PinnedPoint, at: int | None = None) -> None:
        items = [(k, v) for k, v in self._points.items() if k != point.id]
        items.insert(len(items) if at is None else at, (point.id, point))
        self._points = dict(items)
        self._next_id = max(self._next_id, point.id + 1)
        self.changed.emit()

    def _drop(self, point_id: int) -> int:
        at = list(self._points).index(point_id)
        del self._points[point_id]
        self.changed.emit()
        return at


class PinPoint(Command):
    """Add ``point`` to ``points``."""

    def __init__(self, points: PinnedPoints, point: PinnedPoint) -> None:
        self.points, self.point = points, point
        self.text = f"pin {point.name}"

    def redo(self) -> None:
        self.points._put(self.point)

    def undo(self) -> None:
        self.points._drop(self.point.id)


class UnpinPoint(Command):
    """Remove pinned point ``point_id`` (undo puts it back where it was)."""

    def __init__(self, points: PinnedPoints, point_id: int) -> None:
        self.points, self.point = points, points.get(point_id)
        self.text = f"unpin {self.point.name}"
        self._at = 0

    def redo(self) -> None:
        self._at = self.points._drop(self.point.id)

    def undo(self) -> None:
        self.points._put(self.point, self._at)


class TagPinned(Command):
    """Add tag ``tag`` to pinned point ``point_id`` (``remove=True`` takes it off)."""

    def __init__(self, points: PinnedPoints, point_id: int, tag: str, remove: bool = False) -> None:
        tag = str(tag).strip()
        if not tag:
            raise ValueError("a tag name must not be blank")
        self.points, self.before = points, points.get(point_id)
        tags = tuple(t for t in self.before.tags if t != tag)
        self.after = replace(self.before, tags=tags if remove else tags + (tag,))
        self.text = f"{'untag' if remove else 'tag'} {self.before.name} as '{tag}'"

    def _swap(self, point: PinnedPoint) -> None:
        self.points._points[point.id] = point
        self.points.changed.emit()

    def redo(self) -> None:
        self.points.get(self.before.id)
        self._swap(self.after)

    def undo(self) -> None:
        self._swap(self.before)


@dataclass(frozen=True)
class ShownPinned:
    """Pinned point ``point_id`` of ``points``, shown in the probe panel: the Tags dock tags it instead of the
    selected clips (its edits are :class:`TagPinned` commands)."""

    points: PinnedPoints
    point_id: int

    def point(self) -> PinnedPoint | None:
        """The point, or None once it was removed."""
        try:
            return self.points.get(self.point_id)
        except KeyError:
            return None

    def tag(self, tag: str, remove: bool = False) -> TagPinned:
        return TagPinned(self.points, self.point_id, tag, remove=remove)


def pinned_records(points: Sequence[PinnedPoint], clip_keys: Sequence[str] | None = None) -> list[dict]:
    """One JSON-ready dict per pinned point: name, latent, map position, source clip, tags, ``generated: true``."""
    rows = []
    for p in points:
        rows.append(
            {
                "id": int(p.id),
                "name": p.name,
                "generated": True,
                "source_index": int(p.source),
                "source_key": str(clip_keys[p.source])
                if clip_keys is not None and 0 <= p.source < len(clip_keys)
                else None,
                "map_pos": [float(p.pos[0]), float(p.pos[1])],
                "tags": list(p.tags),
                "latent": [float(v) for v in p.z],
            }
        )
    return rows


def points_from_records(records, latent_dim: int, clip_keys: Sequence[str] | None = None) -> list[PinnedPoint]:
    """The pinned points written by :func:`pinned_records` (a saved list read back), checked: a record
    that is not one (no latent of ``latent_dim`` finite values, no map position) raises ``ValueError``
    naming it. The source clip is found by its key when ``clip_keys`` are given (-1: not in this store)."""
    where = {str(k): i for i, k in enumerate(clip_keys)} if clip_keys is not None else None
    points, seen = [], set()
    for n, rec in enumerate(records):
        what = f"pinned point {n + 1}"
        try:
            point_id = int(rec["id"])
            z = np.asarray(rec["latent"], np.float32).reshape(-1)
            pos = tuple(float(v) for v in rec["map_pos"])
            tags = tuple(str(t) for t in rec.get("tags", []))
            source = int(rec.get("source_index", -1))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{what} is damaged: {exc}") from None
        if z.shape != (latent_dim,) or not np.all(np.isfinite(z)):
            raise ValueError(f"{what} has a latent of {z.size} values; this model has {latent_dim}")
        if len(pos) != 2 or point_id < 1 or point_id in seen:
            raise ValueError(f"{what} is damaged: id {point_id}, map position {pos}")
        if where is not None:
            source = where.get(str(rec.get("source_key")), -1)
        seen.add(point_id)
        points.append(PinnedPoint(point_id, z, (pos[0], pos[1]), source, tags))
    return points


def project_points(records, latent_dim: int, clip_keys: Sequence[str]) -> tuple[list[PinnedPoint], list, str | None]:
    """``(points, kept, note)`` for the pinned-point records of a project opened with a model of
    ``latent_dim``: all shown, or (another model, a damaged record) none shown, the records ``kept``
    to be saved back unchanged, and a one-line ``note`` saying why."""
    records = list(records)
    try:
        return points_from_records(records, latent_dim, clip_keys), [], None
    except ValueError as exc:
        n = len(records)
        return (
            [],
            records,
            f"the project's {n} pinned point{'s are' if n > 1 else ' is'} not shown ({exc}); kept in the file",
        )


def largest_id(records) -> int:
    """The largest ``id`` among pinned-point records (0 for none or unreadable ones)."""
    ids = [r.get("id") for r in records if isinstance(r, dict)]
    return max([int(i) for i in ids if isinstance(i, int) and not isinstance(i, bool)] + [0])

"""PosterCache: the posters of the clips seen lately, least recently used dropped first, Qt-free.

The map's poster layer and the hover card share one per dataset (cleared when the dataset changes):
a poster read once for the zoomed-in map shows at once on hover, and the other way round.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from latentlab.core.poster_layout import CARD_PX, POSTER_PX, fit_image, poster_frame

#: Posters kept per dataset (each at most CARD_PX square: about 50 kB; 1000 of them about 50 MB).
POSTER_CACHE_SIZE = 1000


@dataclass(frozen=True)
class Poster:
    """A clip's poster: ``card (H, W, 3)`` for the hover card and ``small`` at the map's poster size."""

    card: np.ndarray
    small: np.ndarray

    @classmethod
    def of_clip(cls, clip: np.ndarray, card_px: int = CARD_PX, map_px: int = POSTER_PX) -> Poster:
        """The poster of ``clip (T, H, W, C)`` uint8: its middle frame."""
        card = poster_frame(clip, card_px)
        return cls(card, np.ascontiguousarray(fit_image(card, map_px)))


class PosterCache:
    """Posters by clip index, at most ``capacity`` of them (the least recently used go first)."""

    def __init__(self, capacity: int = POSTER_CACHE_SIZE) -> None:
        if capacity < 1:
            raise ValueError(f"a poster cache holds at least one poster, got capacity {capacity}")
        self.capacity = capacity
        self._posters: OrderedDict[int, Poster] = OrderedDict()

    def __len__(self) -> int:
        return len(self._posters)

    def __contains__(self, index: int) -> bool:
        return int(index) in self._posters

    def get(self, index: int) -> Poster | None:
        """The poster of clip ``index`` (now the most recently used), or ``None``."""
        poster = self._posters.get(int(index))
        if poster is not None:
            self._posters.move_to_end(int(index))
        return poster

    def put(self, index: int, poster: Poster) -> None:
        self._posters[int(index)] = poster
        self._posters.move_to_end(int(index))
        while len(self._posters) > self.capacity:
            self._posters.popitem(last=False)

    def missing(self, indices: np.ndarray) -> np.ndarray:
        """Those of ``indices`` without a poster, in the order given."""
        idx = np.asarray(indices, np.int64)
        return idx[[int(i) not in self._posters for i in idx]] if len(idx) else idx

    def clear(self) -> None:
        self._posters.clear()

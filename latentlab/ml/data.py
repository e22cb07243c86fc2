"""Clips from a memory-mapped :class:`~latentlab.media.clip_store.ClipStore` as training batches.

Batches are read straight from the map with one fancy-indexing call (``__getitems__``), stay
uint8 until they reach the device (4x less memory traffic), and are turned into float
``(B, C, T, H, W)`` in 0..1 there by :func:`to_model_layout`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from latentlab.media.clip_store import ClipStore


class ClipDataset(Dataset):
    """The clips of ``store`` at ``indices`` (all clips if ``None``) as uint8 tensors ``(T, H, W, C)``."""

    def __init__(self, store: ClipStore, indices: Sequence[int] | np.ndarray | None = None) -> None:
        self.store = store
        self.indices = np.arange(len(store)) if indices is None else np.asarray(indices, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int) -> torch.Tensor:
        return torch.from_numpy(self.store.read([self.indices[i]])[0])

    def __getitems__(self, items: list[int]) -> torch.Tensor:
        # One sorted read from the map is much faster than B single reads.
        idx = self.indices[np.asarray(items, dtype=np.int64)]
        return torch.from_numpy(self.store.read(idx))  # (B, T, H, W, C) uint8


def collate_batch(batch):
    """DataLoader ``collate_fn``: a batch from ``__getitems__`` is already one tensor."""
    return batch if isinstance(batch, torch.Tensor) else torch.stack(list(batch))


def to_model_layout(clips_u8: torch.Tensor, device: torch.device | str = "cpu") -> torch.Tensor:
    """uint8 ``(B, T, H, W, C)`` -> float32 ``(B, C, T, H, W)`` in 0..1 on ``device``."""
    x = clips_u8.to(device, non_blocking=True)
    return x.permute(0, 4, 1, 2, 3).float().div_(255.0)


def from_model_layout(x: torch.Tensor) -> np.ndarray:
    """float ``(B, C, T, H, W)`` in 0..1 -> uint8 numpy ``(B, T, H, W, C)`` (rounded, clipped)."""
    y = x.detach().permute(0, 2, 3, 4, 1).mul(255.0).round_().clamp_(0, 255)
    return y.to("cpu", torch.uint8).numpy()


#: How :func:`split_indices` holds out clips: whole videos, or the last moments of every video.
SPLITS = ("sources", "time")


def spread_sample(store: ClipStore, indices, n: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """Up to ``n`` of the clips ``indices``, spread evenly over them, in model layout on ``device``."""
    idx = np.asarray(indices, np.int64)
    if len(idx) > n:
        idx = idx[np.linspace(0, len(idx) - 1, n).round().astype(np.int64)]
    return to_model_layout(torch.from_numpy(store.read(np.sort(idx))), device)


def split_indices(
    store: ClipStore, val_fraction: float = 0.05, seed: int = 0, val_sources: Sequence[str] = (), by: str = "sources"
) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic train/validation split of a store's clips: ``(train_idx, val_idx)``.

    ``by="time"``: the last ``val_fraction`` of every source's clips (by start time) are held out,
    so every video is seen in training (what a model fitted to the whole collection, such as the
    PCA-started linear path, needs) and validation asks how well it does on later moments.

    ``val_sources`` names videos (a source's path, or its file name) to hold out as the whole
    validation set; a name that matches no source, or all of them, raises ValueError.

    With several sources (videos), whole sources go to validation (chosen in an order fixed by
    ``seed``) until it holds at least ``val_fraction`` of the clips, so that no video is seen in
    both. With one source (procedural data, one long video) the last ``val_fraction`` of clips
    forms the validation set: contiguous, so near-duplicate neighbouring clips rarely straddle it.
    """
    n = len(store)
    source_id = np.asarray(store.table["source_id"])
    if val_sources:
        chosen = _match_sources(store, val_sources)
        is_val = np.isin(source_id, chosen)
        if is_val.all():
            raise ValueError("the held-out videos are all the store holds: nothing would be left to train on")
        return np.flatnonzero(~is_val), np.flatnonzero(is_val)
    if n < 2 or val_fraction <= 0:
        return np.arange(n), np.zeros(0, np.int64)
    want = max(1, int(round(n * val_fraction)))
    sources = np.unique(source_id)
    if by == "time":
        return _split_in_time(store, source_id, val_fraction)
    if len(sources) >= 2:
        order = np.random.default_rng(seed).permutation(sources)
        val_sources: list[int] = []
        count = 0
        for s in order[:-1]:  # never all of them: training needs at least one source
            if count >= want:
                break
            val_sources.append(int(s))
            count += int((source_id == s).sum())
        is_val = np.isin(source_id, val_sources)
        return np.flatnonzero(~is_val), np.flatnonzero(is_val)
    return np.arange(n - want), np.arange(n - want, n)


def _split_in_time(store: ClipStore, source_id: np.ndarray, val_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    start = np.asarray(store.table["start_time"], np.float64)
    is_val = np.zeros(len(source_id), bool)
    for s in np.unique(source_id):
        idx = np.flatnonzero(source_id == s)
        idx = idx[np.argsort(start[idx], kind="stable")]
        k = int(round(len(idx) * val_fraction))
        if 0 < k < len(idx):
            is_val[idx[len(idx) - k :]] = True
    return np.flatnonzero(~is_val), np.flatnonzero(is_val)


def _match_sources(store: ClipStore, names: Sequence[str]) -> list[int]:
    from pathlib import PurePath

    found: list[int] = []
    for name in names:
        hits = [
            i
            for i, src in enumerate(store.sources)
            if name in (src.get("path"), PurePath(str(src.get("path", ""))).name)
        ]
        if not hits:
            known = ", ".join(PurePath(str(s.get("path", ""))).name for s in store.sources[:8])
            raise ValueError(
                f"--val-source {name}: no video of that name in the store (it holds {known}"
                + (", ..." if len(store.sources) > 8 else "")
                + ")"
            )
        found += hits
    return found


def held_out_sources(store: ClipStore, val_idx: np.ndarray) -> list[str]:
    """File names of the videos whose clips are all in ``val_idx`` (the validation set), in store order."""
    from pathlib import PurePath

    if len(store.sources) < 2 or len(val_idx) == 0:
        return []
    source_id = np.asarray(store.table["source_id"])
    ids, in_val = np.unique(source_id[val_idx], return_counts=True)
    whole = in_val == np.bincount(source_id, minlength=int(ids.max()) + 1)[ids]  # a split in time holds out none
    return [PurePath(str(store.sources[int(i)].get("path", ""))).name for i in ids[whole]]


def split_note(store: ClipStore, by: str, val_fraction: float, val_sources: Sequence[str] = ()) -> str:
    """How :func:`split_indices` chose the validation clips, in words (the checkpoint records it)."""
    if val_sources:
        return "by source (the videos named)"
    if by == "time":
        return f"in time (the last {val_fraction:.0%} of each video's clips)"
    return "by source" if len(store.sources) > 1 else "by clip index (last clips)"

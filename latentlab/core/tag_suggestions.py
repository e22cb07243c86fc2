"""Suggest tags for untagged clips from the clips the user has tagged (nearest neighbours in latent space)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from latentlab.core.tag_rules import TagError, check_indices

if TYPE_CHECKING:
    from latentlab.core.tags import TagBook


def suggest_from_tags(book: TagBook, latents, scope=None, *, k: int = 10, method: str = "auto"):
    """Suggest a tag for untagged clips from the tagged ones (a clip's first tag is its label).

    Parameters
    ----------
    latents
        ``(N, D)`` latents of the book's clips.
    scope
        Clip indices to suggest for (their untagged ones); ``None`` = every untagged clip.
    k, method
        Passed to :func:`latentlab.core.neighbours.suggest_tags`.

    Returns
    -------
    (clips, tags, confidence)
        ``(M,)`` int64 clip indices, a list of M tag names and ``(M,)`` confidences in [0, 1],
        most confident first. Empty when no clip is tagged.
    """
    from latentlab.core.neighbours import suggest_tags

    labels = book.field().values
    if len(latents) != book.n_clips:
        raise TagError(f"need one latent per clip ({book.n_clips}); got {len(latents)}")
    targets = np.arange(book.n_clips) if scope is None else check_indices(scope, book.n_clips)
    targets = targets[labels[targets] < 0]
    if targets.size == 0 or not (labels >= 0).any():
        return np.zeros(0, np.int64), [], np.zeros(0)
    pred, conf = suggest_tags(latents, labels, method=method, k=k)
    order = targets[np.argsort(-conf[targets], kind="stable")]
    order = order[pred[order] >= 0]
    names = book.names()
    return order.astype(np.int64), [names[c] for c in pred[order]], conf[order].astype(np.float64)

"""The training recipe ``auto`` means, in one place for the command line and the window.

Measured on 439 clips of 8 real videos (``benchmarks/real_footage.py``, test clips = the last quarter
of each video): a network trained from scratch for 8 minutes lost to PCA of raw pixels by 3.2 dB. With
the PCA-started linear path (:mod:`latentlab.ml.linear_path`) the model starts at PCA; flips and crops
cost 0.8 dB on the test clips in a 2-minute run (while the linear path still trained) and nothing was
seen to need them since, so they are off; the nonlinear residual keeps improving the training clips
after it stops improving later moments, so the run keeps the weights of its best validation ELBO on the
last moments of every video (in the 8-minute run, its PCA start). The sample datasets (sprites,
digits) are shapes PCA cannot draw: no linear path, and the whole store is the distribution, so no
augmentation either.
"""

from __future__ import annotations

from dataclasses import dataclass

from latentlab.ml.config import AUGMENT_VIDEOS


@dataclass(frozen=True)
class Recipe:
    """What ``auto`` resolves to for one store."""

    linear_path: bool
    augment: tuple[str, ...]
    split: str  # latentlab.ml.data.SPLITS
    keep_best: bool


def is_sample_data(sources) -> bool:
    """Sample data made by ``latentlab demo-data`` (generated), not a user's videos."""
    return any(str(s.get("path", "")).startswith("procedural:") for s in sources)


def recipe_for(sources, likelihood: str = "gaussian", linear_path: bool | None = None) -> Recipe:
    """The recipe for a store with these ``sources`` (``ClipStore.sources``); ``linear_path`` a
    choice the user made (``None``: auto), which the rest of the recipe follows."""
    if is_sample_data(sources):
        return Recipe(linear_path=bool(linear_path), augment=(), split="sources", keep_best=bool(linear_path))
    linear = likelihood == "gaussian" if linear_path is None else linear_path
    return Recipe(
        linear_path=linear,
        augment=() if linear else AUGMENT_VIDEOS,
        split="time" if linear else "sources",
        keep_best=linear,
    )

"""The names of the 2-D map methods: the one list that the library, the CLI and the window read.

Pure Python (no numpy), so the CLI can offer the choices without importing the numeric stack.
"""

from __future__ import annotations

import importlib.util

#: Maps fitted from the latents, in the order the window offers them.
FITTED_METHODS = ("pca", "tsne", "umap")
#: Every method :func:`latentlab.core.projection.fit_projection` accepts (``precomputed``: coordinates
#: the user gives).
METHODS = (*FITTED_METHODS, "precomputed")
#: The map shown first and the one a project starts with: exact, instant and invertible.
DEFAULT_METHOD = "pca"
#: Methods that place each clip by its neighbours and need a few clips to do so.
NEIGHBOUR_METHODS = ("tsne", "umap")
#: Maps that are a linear function of the latent (``identity``: latents of <= 2 dimensions shown as
#: they are).
LINEAR_METHODS = ("pca", "identity")
#: The t-SNE libraries to choose from (``auto``: openTSNE when installed, else scikit-learn).
TSNE_BACKENDS = ("auto", "openTSNE", "sklearn")
#: Methods whose package may be missing from a set-up made by hand, by the module that package
#: installs (umap-learn is a dependency, so ``pip install latentlab`` brings it).
OPTIONAL_MODULES = {"umap": "umap"}


def available_methods() -> tuple[str, ...]:
    """The fitted methods this installation can run: UMAP when umap-learn is importable (a dependency,
    so always in a normal set-up; never offered where it would fail); t-SNE always (openTSNE, or
    scikit-learn)."""
    return tuple(
        m
        for m in FITTED_METHODS
        if m not in OPTIONAL_MODULES or importlib.util.find_spec(OPTIONAL_MODULES[m]) is not None
    )

"""File → Open sample data: the sample datasets the bundled models go with, and words for what an open shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from latentlab.paths import sample_checkpoint_dir

if TYPE_CHECKING:
    from latentlab.gui.main_window import MainWindow
    from latentlab.gui.workers import Job


@dataclass(frozen=True)
class SampleData:
    """An entry of File → Open sample data: ``store`` and ``checkpoint`` as for :meth:`MainWindow.open`
    (``None``, ``None``: the sprites generated for the bundled model)."""

    title: str
    store: Callable[[], str | None] = lambda: None
    checkpoint: Callable[[], str | None] = lambda: None

    def open(self, window: MainWindow) -> Job | None:
        return window.open(self.store(), self.checkpoint())


#: File → Open sample data (a sub-menu once there are several).
SAMPLE_DATASETS: list[SampleData] = [
    SampleData("Bouncing sprites"),  # the bundled demo model and the sprites it records
    SampleData("Moving handwritten digits", checkpoint=lambda: str(sample_checkpoint_dir("digits"))),
]


def describe_source(
    store: str | None, checkpoint: str | None, shown_store: str | None = None, shown_checkpoint: str | None = None
) -> str:
    """Words for what an open replaces the view with: "the store clips", "the checkpoint m2", "the sample data"."""
    if store is None and checkpoint is None:
        return "the sample data"
    if store is not None and store != shown_store:
        return f"the store {Path(store).name}"
    if checkpoint is not None and checkpoint != shown_checkpoint:
        return f"the checkpoint {Path(checkpoint).name}"
    return f"{Path(store or checkpoint).name} again"

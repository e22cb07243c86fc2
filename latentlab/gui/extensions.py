"""The features that plug into the explorer window, in the order they are built.

Each entry is an :class:`~latentlab.gui.shell.Extension` class, built with the window's
:class:`~latentlab.gui.shell.WindowContext`. Keeping features here (instead of in ``main_window.py``)
lets curation, teaching and training grow without one ever-longer window class. Projects come after
curation (they save its tags) and export after both.
"""

from __future__ import annotations

from latentlab.gui.curation.curation_extension import CurationExtension
from latentlab.gui.map.decoded_grid import DecodedGridExtension
from latentlab.gui.map.point_drag_extension import PointDragExtension
from latentlab.gui.map.poster_extension import PosterExtension
from latentlab.gui.map.posterior_ellipses import PosteriorEllipsesExtension
from latentlab.gui.map.region_extension import RegionExtension
from latentlab.gui.map.trajectory_extension import TrajectoryExtension
from latentlab.gui.project.export_extension import ExportExtension
from latentlab.gui.project.project_extension import ProjectExtension
from latentlab.gui.shell import ExtensionBase
from latentlab.gui.teach.teach_extension import TeachExtension
from latentlab.gui.training.compare_extension import CompareExtension
from latentlab.gui.training.training_extension import TrainingExtension

EXTENSIONS: list[type[ExtensionBase]] = [
    CurationExtension,
    ProjectExtension,
    ExportExtension,
    TeachExtension,
    TrainingExtension,
    CompareExtension,
    DecodedGridExtension,
    PointDragExtension,
    TrajectoryExtension,
    PosterExtension,
    PosteriorEllipsesExtension,
    RegionExtension,
]

"""MapToolbar: the map's projection, colour field and pointer tool, and "Probe to clip"."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QComboBox, QLabel, QToolBar

from latentlab.app import maps
from latentlab.core.explorer_state import ExplorerState
from latentlab.gui.errors import guarded
from latentlab.gui.map.colour_box import ColourBox
from latentlab.gui.map.latent_map import LatentMap


class MapToolbar(QToolBar):
    """``projection_chosen(method)`` when the user picks a map; the colour box sets the state itself."""

    projection_chosen = Signal(str)

    def __init__(self, state: ExplorerState, latent_map: LatentMap) -> None:
        super().__init__("Map")
        self.state = state
        self.setObjectName("toolbar_map")
        self.addWidget(QLabel(" projection "))
        self.projection_combo = QComboBox()
        self.projection_combo.addItems(maps.available_projections())
        if "umap" not in maps.available_projections():
            self.projection_combo.setToolTip("pca or t-SNE; UMAP needs umap-learn: pip install umap-learn")
        self.projection_combo.currentTextChanged.connect(self.projection_chosen)
        self.addWidget(self.projection_combo)
        self.addWidget(QLabel("  colour by "))
        self.colour_box = ColourBox(state)
        self.addWidget(self.colour_box)
        self.addSeparator()
        group = QActionGroup(self)
        for tool, tip in (
            ("pan", "drag to pan, wheel to zoom"),
            ("box", "drag a box to select"),
            ("lasso", "draw around clips to select"),
        ):
            act = QAction(tool.capitalize(), self, checkable=True, toolTip=f"{tip} (Shift adds, Ctrl removes)")
            act.setChecked(tool == "pan")
            act.triggered.connect(lambda _=False, t=tool: latent_map.set_tool(t))
            group.addAction(act)
            self.addAction(act)
        self.addSeparator()
        self.probe_action = self.addAction("Probe to clip", guarded(self._probe_to_current))

    def show_method(self, method: str) -> None:
        """Show the method of the map actually on screen (after a fit failed or was cancelled)."""
        if self.projection_combo.findText(method) >= 0:
            self.projection_combo.blockSignals(True)
            self.projection_combo.setCurrentText(method)
            self.projection_combo.blockSignals(False)

    def _probe_to_current(self) -> None:
        c = self.state.coords
        if c is not None and self.state.current >= 0:
            self.state.move_probe(*map(float, c[self.state.current]))

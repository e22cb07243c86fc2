"""GenerateTabs: the Generate dock's tabs (probe, interpolation, sliders, local directions), and what
brings them forward."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDockWidget, QTabWidget, QWidget

from latentlab.core.explorer_state import ExplorerState
from latentlab.gui.errors import listen
from latentlab.gui.generate.interpolation_panel import InterpolationPanel
from latentlab.gui.generate.latent_sliders import LatentSliders
from latentlab.gui.generate.local_directions_panel import LocalDirectionsPanel
from latentlab.gui.generate.probe_panel import ProbePanel
from latentlab.gui.workers import DecodeWorker, JobRunner


class GenerateTabs(QTabWidget):
    """The probe, interpolation, slider and local-direction panels of one window; ``said(text)`` for the status bar."""

    said = Signal(str)

    def __init__(self, state: ExplorerState, worker: DecodeWorker, runner: JobRunner) -> None:
        super().__init__()
        self.state = state
        self.probe = ProbePanel(state, worker)
        self.interpolation = InterpolationPanel(state, worker, runner)
        self.sliders = LatentSliders(state, worker)
        self.local = LocalDirectionsPanel(state, worker)
        self.interpolation.said.connect(self.said)
        self.addTab(self.probe, "Probe")
        self.addTab(self.interpolation, "Interpolate")
        self.addTab(self.sliders, "Sliders")
        self.addTab(self.local, "Local")
        self.setTabToolTip(self.indexOf(self.local), "sliders along what varies among the clips near the probe")
        self._interp_shown = (-1, -1)
        listen(self, state.interpolation_changed, self._on_interpolation_changed)

    def _dock(self, name: str) -> QDockWidget | None:
        window = self.window()
        return window.findChild(QDockWidget, f"dock_{name}") if window is not None else None

    def show_tab(self, name: str) -> QWidget | None:
        """Bring tab ``name`` (``probe``, ``interpolate``, ``sliders``, ``local``) and its dock to the front."""
        tab = {
            "probe": self.probe,
            "interpolate": self.interpolation,
            "sliders": self.sliders,
            "local": self.local,
        }.get(name)
        if tab is not None:
            dock = self._dock("generate")
            if dock is not None:
                dock.show()
                dock.raise_()
            self.setCurrentWidget(tab)
        return tab

    def _on_interpolation_changed(self, ends) -> None:
        """Say what the map's right-click menu did; with both ends, show the Interpolate tab."""
        a, b, method = ends
        shown, self._interp_shown = self._interp_shown, (a, b)
        if (a, b) == shown or self.state.dataset is None:
            return
        if a >= 0 and b >= 0:
            dock, teach = self._dock("generate"), self._dock("teach")
            teaching = teach is not None and teach.isVisible() and not teach.visibleRegion().isEmpty()
            if dock is not None and not teaching:  # the lerp-vs-slerp panel shows this pair too: leave it up
                dock.show()
                dock.raise_()
            self.setCurrentWidget(self.interpolation)
            self.said.emit(
                f"interpolating clip {a} → clip {b} ({method}): drag the slider in the Interpolate "
                "tab, Export writes the video"
            )
        elif a >= 0:
            self.said.emit(f"A = clip {a}; now right-click another clip: Interpolate to here (B)")
        elif b >= 0:
            self.said.emit(f"B = clip {b}; now right-click another clip: Interpolate from here (A)")

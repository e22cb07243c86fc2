"""Teaching with latentlab: a "Teach" dock (ELBO, posterior/prior samples, lerp vs slerp) and a
Help menu with the guided tour and About.

:class:`TeachExtension` (see :mod:`latentlab.gui.extensions`). The dock is tabified with the
Generate dock and computes only while it is shown: the panels' work goes to the window's decode
worker on their own channels (latest wins), so a window that never opens it pays nothing.
"""

from __future__ import annotations

from importlib import metadata

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMessageBox, QScrollArea, QTabWidget, QWidget

from latentlab.gui.errors import guarded
from latentlab.gui.shell import ExtensionBase, WindowContext
from latentlab.gui.teach.elbo_panel import ElboPanel
from latentlab.gui.teach.lerp_slerp_panel import LerpSlerpPanel
from latentlab.gui.teach.posterior_cloud import PosteriorCloud
from latentlab.gui.teach.tour import Tour

PANELS = ("elbo", "samples", "paths")
MIN_OPEN_HEIGHT = 500  # px the dock is given when opened from a menu or the tour
ABOUT = (
    "<b>latentlab {version}</b><p>See and touch what a video VAE has learned: a map of every clip's "
    "latent, a live decoder under the mouse, and panels that show the ELBO, the posterior and the "
    "prior at work.</p><p>Help → Guided tour walks through the explorer in six steps.</p>"
)


class TeachExtension(ExtensionBase):
    """The teaching dock and the tour of one window.

    Attributes
    ----------
    elbo, samples, paths
        :class:`ElboPanel`, :class:`PosteriorCloud`, :class:`LerpSlerpPanel`.
    dock, tabs
        The "Teach" dock and its tab widget.
    tour
        The :class:`Tour` (created the first time it is opened), or None.
    """

    def __init__(self, ctx: WindowContext) -> None:
        super().__init__(ctx)
        ctx.teach = self
        st, worker = ctx.state, ctx.worker
        self.elbo = ElboPanel(st, worker)
        self.samples = PosteriorCloud(st, worker, ctx.map)
        self.paths = LerpSlerpPanel(st, worker)
        self.tabs = QTabWidget()
        for panel, title in ((self.elbo, "ELBO"), (self.samples, "Samples"), (self.paths, "lerp vs slerp")):
            scroll = QScrollArea()  # the panels' minimum sizes must not grow the window (it is tabified)
            scroll.setWidgetResizable(True)
            scroll.setWidget(panel)
            self.tabs.addTab(scroll, title)
        self.dock = QDockWidget("Teach", ctx.window)
        self.dock.setObjectName("dock_teach")
        self.dock.setWidget(self.tabs)
        self.dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        ctx.add_dock(self.dock)
        self.dock.visibilityChanged.connect(guarded(self._on_visibility))
        self.tour: Tour | None = None
        v = ctx.view_menu
        v.addSeparator()
        v.addAction("&Teaching panels", guarded(lambda: self.show_panel("elbo")))
        h = ctx.help_menu()
        self.tour_action = h.addAction("Guided &tour", guarded(lambda: self.open_tour()))
        h.addSeparator()
        h.addAction("&About latentlab", guarded(self.about))

    # ------------------------------------------------------------------------------ panels
    @property
    def panels(self) -> dict[str, QWidget]:
        return dict(zip(PANELS, (self.elbo, self.samples, self.paths)))

    def show_panel(self, name: str = "elbo") -> QWidget:
        """Open the Teach dock at panel ``name`` (``elbo``, ``samples`` or ``paths``)."""
        if name not in PANELS:
            raise KeyError(f"no teaching panel {name!r}; known: {', '.join(PANELS)}")
        self.dock.show()
        self.dock.raise_()
        self.tabs.setCurrentIndex(PANELS.index(name))
        clip = self.ctx.dock("player")
        if clip is not None and not self.dock.isFloating() and self.dock.height() < MIN_OPEN_HEIGHT:
            # room for the formulas and the bars: the clip dock above gives up what it can spare
            total = clip.height() + self.dock.height()
            self.ctx.window.resizeDocks(
                [clip, self.dock], [max(total - MIN_OPEN_HEIGHT, 1), MIN_OPEN_HEIGHT], Qt.Orientation.Vertical
            )
        self._on_visibility(True)
        return self.panels[name]

    def _on_visibility(self, visible: bool) -> None:
        active = bool(visible) and not self.dock.isHidden()
        for panel in (self.elbo, self.samples, self.paths):
            if panel.active != active:
                panel.set_active(active)

    # ------------------------------------------------------------------------------ tour
    def open_tour(self, step: int = 0) -> Tour:
        """Open the guided tour (again) at ``step``."""
        if self.tour is None:
            self.tour = Tour(self.ctx.window, self._show_target)
        self.tour.start(step)
        return self.tour

    def _show_target(self, name: str) -> QWidget | None:
        tab = self.ctx.show_generate(name)
        if tab is not None:
            return tab
        if name == "elbo":
            return self.show_panel("elbo")
        return self.ctx.widget(name)

    def about(self) -> None:
        try:
            version = metadata.version("latentlab")
        except metadata.PackageNotFoundError:
            version = "(source checkout)"
        QMessageBox.about(self.ctx.window, "About latentlab", ABOUT.format(version=version))

    def shutdown(self) -> None:
        if self.tour is not None:
            self.tour.dismiss()

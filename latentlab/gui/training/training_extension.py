"""The "Train" dock: a :class:`~latentlab.gui.training.training_panel.TrainingPanel` as a tab beside
Generate, hidden until File → Train a model… or View → Train."""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QScrollArea

from latentlab.gui.shell import ExtensionBase, WindowContext
from latentlab.gui.training.training_panel import TrainingPanel


class TrainingExtension(ExtensionBase):
    """Training from the window: ``panel`` (the form, controls and plots) in ``dock``."""

    def __init__(self, ctx: WindowContext) -> None:
        super().__init__(ctx)
        ctx.training = self
        self.panel = TrainingPanel(ctx)
        self.dock = QDockWidget("Train", ctx.window)
        self.dock.setObjectName("dock_training")
        scroll = QScrollArea()  # on a small screen the form and plots scroll instead of growing the window
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(self.panel)
        self.dock.setWidget(scroll)
        # A tab beside Generate: a dock of its own beside the map squeezed the map to 250 px and widened
        # the window for good (its plots' minimum widths).
        ctx.add_dock(self.dock)
        self.dock.hide()
        self.action = ctx.add_file_action(QAction("&Train a model…", ctx.window))
        self.action.triggered.connect(lambda: self.show())
        ctx.add_view_action(self.dock.toggleViewAction())

    def show(self) -> None:
        self.dock.show()
        self.dock.raise_()

    def offer_store(self, store: str, note: str) -> None:
        """Fill in ``store`` (one the open model cannot take), say ``note`` and show the dock."""
        self.panel.offer_store(store, note)
        self.show()

    def shutdown(self) -> None:
        self.panel.shutdown()

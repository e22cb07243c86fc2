"""ColourBox: the toolbar's "colour by" choice, following the state's per-clip fields.

It lists the dataset's fields (and the reconstruction error as "(compute)" until it is known),
shows the state's colour field, adds fields as they arrive (clusters, tags, errors) and, for a new
dataset, picks a field that tells its clips apart.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox

from latentlab.core.explorer_state import ExplorerState
from latentlab.gui.errors import guarded, listen

RECON_ERROR = "reconstruction error"
COMPUTE_SUFFIX = " (compute)"


class ColourBox(QComboBox):
    """The colour-field combo box of one window's ``state``."""

    compute_requested = Signal()  # the reconstruction error was chosen: the window computes it

    def __init__(self, state: ExplorerState) -> None:
        super().__init__()
        self.state = state
        self.setMinimumWidth(120)
        # as wide as its longest entry ("reconstruction error (compute)" was cut to "reconstructio")
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.currentTextChanged.connect(guarded(self._on_chosen))
        listen(self, state.dataset_changed, self._on_dataset_changed)
        listen(self, state.colour_field_changed, self.show_field)
        listen(self, state.field_added, self._on_field_added)

    def _on_dataset_changed(self, dataset) -> None:
        if dataset is not None:
            self._pick_telling_field(dataset)
        self.blockSignals(True)
        self.clear()
        if dataset is not None:
            self.addItems(list(dataset.fields))
            if RECON_ERROR not in dataset.fields:
                self.addItem(RECON_ERROR + COMPUTE_SUFFIX)  # computed on demand (one decode per clip)
            self.setCurrentText(self.state.colour_field)
        self.blockSignals(False)

    def _pick_telling_field(self, dataset) -> None:
        """Colour by a field that tells clips apart: the new dataset may lack the field chosen for the
        last one, or hold one value of it (one source video), which would draw the map in one colour."""
        field = dataset.fields.get(self.state.colour_field)
        values = None if field is None else np.asarray(field.values)
        if values is not None and values.size and not np.all(values == values.flat[0]):
            return
        for name, other in dataset.fields.items():
            v = np.asarray(other.values)
            if v.size and not np.all(v == v.flat[0]):
                if name != self.state.colour_field:
                    self.state.set_colour_field(name)
                return

    def _on_chosen(self, text: str) -> None:
        if text.endswith(COMPUTE_SUFFIX):
            self.show_field(self.state.colour_field)  # until the job has the values
            self.compute_requested.emit()
        elif text:
            self.state.set_colour_field(text)

    def _on_field_added(self, name: str) -> None:
        if self.findText(name) < 0:
            self.blockSignals(True)
            self.addItem(name)
            self.blockSignals(False)

    def show_field(self, name: str) -> None:
        """Show ``name`` as chosen (dropping its "(compute)" entry once the field exists)."""
        self.blockSignals(True)
        pending = self.findText(name + COMPUTE_SUFFIX)
        if pending >= 0 and self.state.dataset is not None and name in self.state.dataset.fields:
            self.removeItem(pending)
        if self.findText(name) < 0:
            self.addItem(name)
        self.setCurrentText(name)
        self.blockSignals(False)

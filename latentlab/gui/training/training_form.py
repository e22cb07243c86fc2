"""The settings form of the training panel and the run it describes.

:class:`TrainingForm` is a base class of :class:`~latentlab.gui.training.training_panel.TrainingPanel`:
it builds the fields (store, latent size, KL weight, epochs, batch size, device, output folder, resume)
and turns them into a :class:`~latentlab.app.training_job.TrainRequest`. ``_store_auto`` stays True
until the user picks a store, so that the panel may follow the dataset shown.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QSpinBox,
    QToolButton,
    QWidget,
)

from latentlab.app.training_job import TrainRequest
from latentlab.gui.errors import guarded
from latentlab.ml.config import DEVICE_CHOICES


class TrainingForm:
    """The fields of a training run, with Browse buttons for the folders."""

    def _build_form(self) -> QFormLayout:
        """The fields, in a layout the panel puts above its buttons."""
        self.store_edit = QLineEdit(placeholderText="clip store folder")
        self.store_edit.textEdited.connect(lambda _t: setattr(self, "_store_auto", False))
        self.output_edit = QLineEdit(placeholderText="checkpoint folder (default: in the latentlab data folder)")
        self.latent_dim = QSpinBox(minimum=1, maximum=512, value=16)
        self.beta = QDoubleSpinBox(minimum=0.0, maximum=1000.0, value=1.0, decimals=3, singleStep=0.5)
        self.epochs = QSpinBox(minimum=1, maximum=100_000, value=20)
        self.batch_size = QSpinBox(minimum=1, maximum=8192, value=64)
        self.device = QComboBox()
        self.device.addItems(DEVICE_CHOICES)
        self.resume_box = QCheckBox("resume the run in the output folder")
        form = QFormLayout()
        form.addRow("store", self._with_browse(self.store_edit, "Clip store"))
        form.addRow("latent dim", self.latent_dim)
        form.addRow("beta (KL weight)", self.beta)
        form.addRow("epochs", self.epochs)
        form.addRow("batch size", self.batch_size)
        form.addRow("device", self.device)
        form.addRow("output", self._with_browse(self.output_edit, "Checkpoint folder"))
        form.addRow("", self.resume_box)
        return form

    def _with_browse(self, edit: QLineEdit, title: str) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(edit, 1)
        button = QToolButton(text="…")
        button.clicked.connect(guarded(lambda: self._browse(edit, title)))
        row.addWidget(button)
        return box

    def _browse(self, edit: QLineEdit, title: str) -> None:
        path = QFileDialog.getExistingDirectory(self, title, edit.text())
        if path:
            edit.setText(path)
            if edit is self.store_edit:
                self._store_auto = False

    def make_request(self, **overrides) -> TrainRequest:
        """The run the form describes (``overrides`` replace fields, e.g. ``model=``/``settings=``)."""
        store = self.store_edit.text().strip()
        if not store:
            raise ValueError("choose the clip store to train on")
        output = self.output_edit.text().strip() or str(self._default_output(store))
        values = dict(
            store=store,
            output=output,
            latent_dim=self.latent_dim.value(),
            beta=self.beta.value(),
            epochs=self.epochs.value(),
            batch_size=self.batch_size.value(),
            device=self.device.currentText(),
            resume=self.resume_box.isChecked(),
        )
        values.update(overrides)
        return TrainRequest(**values)

    def _default_output(self, store: str) -> Path:
        from latentlab.paths import user_data_dir

        base = user_data_dir() / "models" / f"{Path(store).name}-d{self.latent_dim.value()}-beta{self.beta.value():g}"
        path, n = base, 1
        while (path / "config.json").exists():
            n += 1
            path = base.with_name(f"{base.name}-{n}")
        return path

"""ExportDialog: the scope, format, reconstructions and output folder of an export; OK starts it through
the :class:`~latentlab.gui.project.export_extension.ExportExtension`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

from latentlab.core.export_output import check_output, is_nonempty_dir
from latentlab.core.export_tables import ExportError
from latentlab.gui.errors import guarded
from latentlab.gui.project.export_extension import FORMATS
from latentlab.gui.widgets.wrapped_label import WrappedLabel

if TYPE_CHECKING:
    from latentlab.gui.project.export_extension import ExportExtension


class ExportDialog(QDialog):
    """Scope, format, reconstructions, output folder; OK starts the export through the controller."""

    def __init__(self, controller: ExportExtension, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export clips")
        self.controller, self.job = controller, None
        self.scope = QComboBox()
        self._scopes = controller.scopes()  # the combo's row k is self._scopes[k]
        for _scope, label in self._scopes:
            self.scope.addItem(label)
        self.format = QComboBox()
        for key, label in FORMATS.items():
            self.format.addItem(label, key)
        self.reconstructions = QCheckBox("also the model's reconstructions")
        n_pinned = controller.pinned_count()
        self.pinned = QCheckBox(f"Include the {n_pinned} pinned point{'s' * (n_pinned != 1)} (generated)")
        self.pinned.setToolTip("each one's decoded clip and latent under pinned/, a row each in pinned.csv")
        self.pinned.setVisible(n_pinned > 0)
        self.out = QLineEdit()
        self.out.setMinimumWidth(360)
        self.out.textChanged.connect(self.out.setToolTip)  # the whole folder, should the box be narrower
        self._suggested = ""
        browse = QPushButton("Browse…")
        browse.clicked.connect(guarded(self._browse))
        row = QHBoxLayout()
        row.addWidget(self.out, 1)
        row.addWidget(browse)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.error = WrappedLabel("")  # a long folder name in an error: every line shown, the dialog scrolls none
        self.error.setObjectName("error")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Clips", self.scope)
        form.addRow("Format", self.format)
        form.addRow("", self.reconstructions)
        if n_pinned:
            form.addRow("", self.pinned)
        form.addRow("Folder", row)
        form.addRow(self.error)
        form.addRow(self.buttons)
        self.scope.currentIndexChanged.connect(self._suggest)
        self.format.currentIndexChanged.connect(self._suggest)
        self._suggest()

    def current_scope(self) -> tuple[str, str | None] | None:
        k = self.scope.currentIndex()
        return self._scopes[k][0] if 0 <= k < len(self._scopes) else None

    def set_scope(self, scope: tuple[str, str | None]) -> None:
        """Choose ``scope`` (e.g. ``("tag", "cat")``); ValueError if it is not offered."""
        self.scope.setCurrentIndex([s for s, _ in self._scopes].index(tuple(scope)))

    def _settings(self):
        return self.controller.ctx.settings

    def _suggest(self) -> None:
        """Enable reconstructions for videos only; propose ``<last parent>/<scope>-<format>`` until edited."""
        fmt = self.format.currentData()
        self.reconstructions.setEnabled(fmt == "videos")
        if fmt != "videos":
            self.reconstructions.setChecked(False)
        if self.out.text() and self.out.text() != self._suggested:
            return  # the user typed a folder: keep it
        s = self._settings()
        parent = Path(str(s.value("export/parent", str(Path.home())))) if s is not None else Path.home()
        kind, name = self.current_scope() or ("all", None)
        slug = re.sub(r"[^\w.-]+", "_", f"{kind}-{name}" if name else kind).strip("_") or "clips"
        self._suggested = str(parent / f"export-{slug}-{fmt}")
        self.out.setText(self._suggested)

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Export into folder", str(Path(self.out.text()).parent))
        if path:
            self.out.setText(path)

    def accept(self) -> None:
        """Validate, ask before overwriting, start the export; the dialog stays open if it cannot."""
        try:
            self._start()
        except (ExportError, OSError) as exc:
            self.error.setText(str(exc))  # shown in the dialog, which stays open
            return
        super().accept()

    def _start(self) -> None:
        text = self.out.text().strip()
        if not text:
            raise ExportError("choose an output folder")
        out = check_output(text, force=True)  # a file in the way is an error; a full folder is asked about
        force = False
        if is_nonempty_dir(out):
            if not self.controller.confirm_overwrite(out):
                raise ExportError(f"{out} is not empty: choose another folder")
            force = True
        scope = self.current_scope()
        if scope is None:
            raise ExportError("choose which clips to export")
        self.job = self.controller.export(
            scope,
            self.format.currentData(),
            out,
            reconstructions=self.reconstructions.isChecked(),
            force=force,
            pinned=self.pinned.isChecked(),
        )
        s = self._settings()
        if s is not None:
            s.setValue("export/parent", str(out.parent))

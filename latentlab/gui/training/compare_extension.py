"""Compare two models of the same clips (e.g. beta = 1 and beta = 4): maps, reconstructions, KL per dimension.

File → "Compare with checkpoint…" loads a second checkpoint for the open store on a job (the
geometry is checked from its ``config.json`` before any weights are read; the store is encoded
through the latent cache, so a second look costs nothing) and opens a window with:

* the PCA map of each model's posterior means side by side, coloured like the main map; the
  window's current clip and selection (the shared :class:`ExplorerState`) are drawn in both, and a
  click in either picks that clip everywhere;
* the current clip and its reconstruction by each model (decoded on the window's decode worker);
* KL per latent dimension of both models as bars (how many dimensions each one uses).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog

from latentlab.app.model_compare import ModelSide, load_side
from latentlab.gui.errors import guarded, listen
from latentlab.gui.shell import ExtensionBase, WindowContext
from latentlab.gui.training.model_compare_view import ModelCompareView


class CompareExtension(ExtensionBase):
    """File → "Compare with checkpoint…": loads the second model on a job and opens the view."""

    opened = Signal(object)  # ModelCompareView
    failed = Signal(str)

    def __init__(self, ctx: WindowContext) -> None:
        super().__init__(ctx)
        ctx.compare = self
        self.view: ModelCompareView | None = None
        self.job = None
        self.message = ""
        listen(self, ctx.state.dataset_changed, self._on_dataset_changed)
        self.action = ctx.add_file_action(QAction("Compare with c&heckpoint…", ctx.window))
        self.action.triggered.connect(guarded(self.ask))
        ctx.needs_data(self.action)

    def ask(self) -> None:
        path = QFileDialog.getExistingDirectory(self.ctx.window, "Checkpoint to compare with")
        if path:
            self.open_checkpoint(path)

    def open_checkpoint(self, checkpoint: str):
        """Compare the open model with ``checkpoint`` (a job; ``opened`` or ``failed`` follows)."""
        ds = self.ctx.state.dataset
        if ds is None or ds.store is None:
            return self._fail("open a clip store with its model first; the second model is compared on the same clips")
        if self.job is not None:
            self.job.cancel()
        store, checkpoint = ds.store, str(checkpoint)
        mu, logvar, codec = ds.mu, ds.logvar, ds.codec
        ckpt_a = self.ctx.checkpoint or ""
        name_a = Path(ckpt_a).name if ckpt_a else "open model"
        beta_a = getattr(codec, "config", {}).get("model", {}).get("beta") if codec is not None else None

        def run(ctx):
            from latentlab.core.projection import fit_projection

            b = load_side(checkpoint, store, lambda f, t: ctx.progress(f, text=t), ctx.is_cancelled)
            a = ModelSide(name_a, ckpt_a, mu, logvar, fit_projection(mu, "pca").coords, codec, beta_a)
            if a.beta is None and ckpt_a:
                from latentlab.ml.checkpoint import read_config

                a.beta = read_config(ckpt_a)["model"].get("beta")
            return ds, a, b

        job = self.job = self.ctx.runner.submit(f"compare with {Path(checkpoint).name}", run)
        job.succeeded.connect(guarded(self._on_loaded))
        job.failed.connect(guarded(lambda msg, _tb: self._fail(msg)))
        return job

    def _fail(self, message: str) -> None:
        self.message = message
        self.ctx.status.show_error(message)
        self.failed.emit(message)

    def _on_loaded(self, result) -> None:
        ds, a, b = result
        self.job = None
        if ds is not self.ctx.state.dataset:
            return  # another store was opened meanwhile
        self.close_view()
        self.view = ModelCompareView(self.ctx, a, b)
        self.message = ""
        self.view.show()
        self.opened.emit(self.view)

    def close_view(self) -> None:
        if self.view is not None:
            self.view.close()
            self.view.deleteLater()
            self.view = None

    def _on_dataset_changed(self, _dataset) -> None:
        self.close_view()  # its latents and maps belong to the previous dataset

    def shutdown(self) -> None:
        if self.job is not None:
            self.job.cancel()
        self.close_view()

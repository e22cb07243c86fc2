"""ElboPanel: the two terms of the ELBO for the clip in the player, with the formulas written out,
and one bar per latent dimension for its KL, collapsed units greyed.

The KL term is exact and comes from the dataset's cached posteriors at once (numpy). The
reconstruction term needs the decoder: it is estimated on the decode worker ("teach_elbo" channel,
latest wins) through :func:`latentlab.ml.teaching.codec_clip_elbo`, the trainer's own loss functions.
A result is shown only if it answers the newest request for the clip still in the player.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QSpinBox, QVBoxLayout, QWidget

from latentlab.core import teaching
from latentlab.core.explorer_state import ExplorerState
from latentlab.gui.errors import guarded, listen
from latentlab.gui.widgets.panel_plot import panel_plot
from latentlab.gui.widgets.wrapped_label import WrappedLabel
from latentlab.gui.workers import DecodeWorker

CHANNEL = "teach_elbo"
ACTIVE_BRUSH = (90, 160, 230)
COLLAPSED_BRUSH = (95, 98, 108)
COLLAPSED_NOTE = (
    f"Grey bars: <i>collapsed</i> units: over the dataset μ<sub>d</sub> hardly varies (variance ≤ "
    f"{teaching.ACTIVE_UNIT_THRESHOLD:g}, the active-unit rule of <code>latentlab eval</code>) or the mean "
    f"KL is below {teaching.COLLAPSED_KL:g} nats: the encoder answers with the prior whatever the clip, "
    f"and the decoder ignores the unit. White ticks: each unit's mean KL over the dataset."
)


def _nats(v: float) -> str:
    return f"{v:,.2f}".replace(",", "\u2009")  # thin-space thousands: nats of a clip run into the 10 000s


def formula_html(index: int, kl: float, d: int, elbo=None, status: str = "") -> str:
    """The panel's rich text: the ELBO, its two terms and this clip's numbers (``elbo`` a ClipElbo)."""
    head = (
        f"<b>Clip {index}</b><br><b>ELBO(x)</b> = E<sub>q(z|x)</sub>[log p(x|z)] − KL(q(z|x) ‖ N(0, I)) "
        f"&nbsp;≤ &nbsp;log p(x)"
    )
    kl_line = (
        f"KL = ½ Σ<sub>d=1..{d}</sub> (μ<sub>d</sub>² + σ<sub>d</sub>² − 1 − log σ<sub>d</sub>²) "
        f"= <b>{_nats(kl)} nats</b> &nbsp;(exact, closed form)"
    )
    if elbo is None:
        rec = f"E<sub>q</sub>[log p(x|z)]: <i>{status or 'computing…'}</i>"
        return "<br>".join((head, rec, kl_line))
    if elbo.likelihood == "bernoulli":
        lik = (
            "log p(x|z) = Σ<sub>i</sub> x<sub>i</sub> log dec<sub>i</sub>(z) + (1 − x<sub>i</sub>) "
            f"log(1 − dec<sub>i</sub>(z)) over the {elbo.n_values:,} values of the clip (Bernoulli; "
            f"dec(z) is the decoder's output)"
        )
    else:
        lik = (
            "log p(x|z) = − ‖x − dec(z)‖² / (2s²) − N log(s √(2π)), &nbsp;"
            f"s = {elbo.sigma:g}, N = {elbo.n_values:,} values, dec(z) the decoder's mean clip "
            f"(Gaussian: a density, so it may be positive)"
        )
    sampled = (
        f"E<sub>q</sub>[log p(x|z)] ≈ (1/S) Σ<sub>s</sub> log p(x | μ + σ ⊙ ε<sub>s</sub>) = "
        f"<b>{_nats(elbo.reconstruction)} ± {_nats(elbo.nll_sem)} nats</b> &nbsp;(S = {elbo.n_samples}; "
        f"at z = μ: {_nats(-elbo.nll_at_mean)})"
    )
    total = (
        f"ELBO ≈ {_nats(elbo.reconstruction)} − {_nats(elbo.kl)} = <b>{_nats(elbo.elbo)} nats</b>. "
        f"Training minimises −ELBO = reconstruction NLL + β·KL (β = {elbo.beta:g})."
    )
    kl_line = kl_line.replace(f"<b>{_nats(kl)} nats</b>", f"<b>{_nats(elbo.kl)} nats</b>")
    return "<br>".join((head, lik, sampled, kl_line, total))


class ElboPanel(QWidget):
    """ELBO terms and per-dimension KL bars of ``state.current``; ``updated(index)`` when the text
    shows a clip's numbers, ``elbo_shown(index, ClipElbo)`` when the model's terms arrived."""

    updated = Signal(int)
    elbo_shown = Signal(int, object)

    def __init__(self, state: ExplorerState, worker: DecodeWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state, self.worker = state, worker
        self.active = False
        self.units: teaching.UnitReport | None = None
        self.kl_dims = np.zeros(0)  # (D,) this clip's KL per dimension, as drawn
        self.elbo = None  # ClipElbo of the clip shown, once the worker delivered it
        self._token = None  # a fresh object per refresh: results carry it back (identity, not equality)
        self._clip = -1  # the clip the text is about
        self.text = WrappedLabel()
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.samples = QSpinBox()
        self.samples.setRange(1, 256)
        self.samples.setValue(16)
        self.samples.setPrefix("S = ")
        self.samples.setToolTip("samples of z for the Monte-Carlo estimate of E_q[log p(x|z)]")
        self.units_label = WrappedLabel()
        self.units_label.setObjectName("numbers")
        self.plot = panel_plot("KL (nats)", "latent dimension d", 120)
        self.bars_active = pg.BarGraphItem(x=[], height=[], width=0.8, brush=ACTIVE_BRUSH, pen=None)
        self.bars_collapsed = pg.BarGraphItem(x=[], height=[], width=0.8, brush=COLLAPSED_BRUSH, pen=None)
        self.mean_ticks = pg.ScatterPlotItem(symbol="_", size=18, pen=pg.mkPen(235, 235, 235, width=2))
        for item in (self.bars_active, self.bars_collapsed, self.mean_ticks):
            self.plot.addItem(item)
        self.note = WrappedLabel(COLLAPSED_NOTE)
        self.note.setTextFormat(Qt.TextFormat.RichText)
        row = QHBoxLayout()
        row.addWidget(self.units_label, 1)
        row.addWidget(self.samples)
        lay = QVBoxLayout(self)
        lay.addWidget(self.text)
        lay.addLayout(row)
        lay.addWidget(self.plot, 1)
        lay.addWidget(self.note)
        self.samples.valueChanged.connect(guarded(lambda *_: self.refresh()))
        self.channel = worker.channel(CHANNEL)
        self.channel.ready.connect(self._on_result)
        self.channel.failed.connect(self._on_failed)
        listen(self, state.dataset_changed, self._on_dataset_changed)
        listen(self, state.codec_changed, lambda *_: self.refresh())
        listen(self, state.current_changed, lambda *_: self.refresh())
        self._on_dataset_changed(state.dataset)

    # ------------------------------------------------------------------------------ updates
    def set_active(self, active: bool) -> None:
        """Compute only while shown (the teaching dock is open): other users pay nothing."""
        self.active = bool(active)
        if self.active:
            self.refresh()

    def _on_dataset_changed(self, _dataset) -> None:
        self.units = None  # computed when first shown: a window that never opens the dock pays nothing
        self.refresh()

    def refresh(self) -> None:
        """Show the current clip's KL now and ask the worker for its reconstruction term."""
        ds, i = self.state.dataset, self.state.current
        self.elbo = None
        if ds is None or not 0 <= i < ds.n_clips:
            self._token, self._clip = None, -1
            self.text.setText("Select a clip on the map to see its ELBO.")
            self._draw_bars(np.zeros(0))
            return
        if not self.active:
            return
        if self.units is None:
            self.units = teaching.unit_report(ds.mu, ds.logvar)  # numpy over (N, D): ~4 ms for 20 000 x 16
        mu, logvar = ds.mu[i], ds.logvar[i]
        self.kl_dims = teaching.kl_per_dim(mu, logvar)
        self._draw_bars(self.kl_dims)
        codec, s = ds.codec, self.samples.value()
        self._token, self._clip = object(), i
        if codec is None:
            self.text.setText(formula_html(i, float(self.kl_dims.sum()), ds.latent_dim, status="the model is loading…"))
        elif getattr(codec, "model", None) is None:
            self.text.setText(
                formula_html(
                    i,
                    float(self.kl_dims.sum()),
                    ds.latent_dim,
                    status="needs a VideoVAE checkpoint (this model gives no likelihood)",
                )
            )
        else:
            self.text.setText(formula_html(i, float(self.kl_dims.sum()), ds.latent_dim))
            token = self._token

            def work():
                from latentlab.ml.teaching import codec_clip_elbo  # torch: on the worker thread only

                return token, codec_clip_elbo(codec, ds.read_clips(np.array([i]))[0], n_samples=s, seed=i)

            self.channel.request(work)
        self.updated.emit(i)

    def _draw_bars(self, kl: np.ndarray) -> None:
        d = np.arange(len(kl))
        units = self.units
        collapsed = (
            units.collapsed if units is not None and len(units.collapsed) == len(kl) else np.zeros(len(kl), bool)
        )
        self.bars_active.setOpts(x=d[~collapsed], height=kl[~collapsed], width=0.8)
        self.bars_collapsed.setOpts(x=d[collapsed], height=kl[collapsed], width=0.8)
        top = max([1e-3, *kl, *(units.mean_kl if units is not None and len(units.mean_kl) == len(kl) else [])])
        self.plot.setXRange(-0.6, max(len(kl), 1) - 0.4, padding=0)
        self.plot.setYRange(0, 1.1 * top, padding=0)  # bars start at 0 nats: auto-range would cut them
        if units is not None and len(units.mean_kl) == len(kl):
            self.mean_ticks.setData(d, units.mean_kl)
            self.units_label.setText(
                f"{units.n_active} of {len(kl)} units active, {units.n_collapsed} collapsed "
                f"(over {self.state.dataset.n_clips:,} clips)"
            )
        else:
            self.mean_ticks.setData([], [])
            self.units_label.setText("")

    @guarded
    def _on_result(self, rid: int, result) -> None:
        if rid != self.channel.latest:  # stale: a newer clip was asked for
            return
        token, elbo = result
        if token is not self._token:
            return
        ds, i = self.state.dataset, self._clip
        if elbo is None:
            self.text.setText(
                formula_html(
                    i,
                    float(self.kl_dims.sum()),
                    ds.latent_dim,
                    status="needs a VideoVAE checkpoint (this model gives no likelihood)",
                )
            )
        else:
            self.elbo = elbo
            self.kl_dims = np.asarray(elbo.kl_per_dim)  # the encoder's own posterior, this very call
            self._draw_bars(self.kl_dims)
            self.text.setText(formula_html(i, elbo.kl, ds.latent_dim, elbo))
            self.elbo_shown.emit(i, elbo)
        self.updated.emit(i)

    @guarded
    def _on_failed(self, rid: int, message: str) -> None:
        ds, i = self.state.dataset, self._clip
        if rid == self.channel.latest and self._token is not None and ds is not None:
            self.text.setText(formula_html(i, float(self.kl_dims.sum()), ds.latent_dim, status=f"failed: {message}"))

"""InterpolationPanel: walk the latent space from clip A to clip B.

Pick A and B (buttons here, or the map's context menu; an end may also be a pinned point's generated
latent, ``ExplorerState.set_generated_end``), choose lerp or slerp; the path is projected onto the
map, a slider moves along it with the decoder rendering live ("interp" channel), a strip shows
``N`` steps, and the whole walk exports to MP4 or GIF as a background job.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from latentlab.core import interpolation
from latentlab.core.explorer_state import INTERPOLATION_METHODS, ExplorerState
from latentlab.gui.errors import guarded, listen
from latentlab.gui.widgets.frame_view import FrameView
from latentlab.gui.workers import DecodeWorker, JobRunner


@dataclass(frozen=True)
class InterpolationFrame:
    """What the "interp" channel returns: the slider step ``t`` and its clip ``(T, H, W, C)`` uint8."""

    t: int
    frames: np.ndarray


SLIDER_STEPS = 100  # the live slider walks a path of SLIDER_STEPS + 1 latents
MAX_STRIP = 12


def path_latents(mu: np.ndarray, a: int, b: int, method: str, n: int) -> np.ndarray:
    """``n`` latents from clip ``a``'s mean to clip ``b``'s, ``(n, D)`` float32."""
    return walk(mu[a], mu[b], method, n)


def walk(za: np.ndarray, zb: np.ndarray, method: str, n: int) -> np.ndarray:
    """``n`` latents from ``za`` to ``zb``, ``(n, D)`` float32."""
    fn = interpolation.slerp if method == "slerp" else interpolation.lerp
    return fn(za, zb, n)


def export_frames(codec, path_z: np.ndarray) -> np.ndarray:
    """Decode every step and play them one after the other: ``(n * T, H, W, C)`` uint8."""
    clips = codec.decode(np.asarray(path_z, np.float32))  # (n, T, H, W, C)
    return clips.reshape(-1, *clips.shape[2:])


class InterpolationPanel(QWidget):
    """Live interpolation between two clips; ``rendered(t, frames)`` when a slider frame is shown,
    ``exported(path)`` when an export has been written."""

    rendered = Signal(int, object)
    exported = Signal(str)
    said = Signal(str)  # a one-line result for the status bar ("wrote walk.mp4: 256×256 H.264, 64 frames")

    def __init__(
        self, state: ExplorerState, worker: DecodeWorker, runner: JobRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.state, self.worker, self.runner = state, worker, runner
        self.path_z: np.ndarray | None = None  # (SLIDER_STEPS + 1, D)
        self.ends = QLabel("A: –   B: –")
        self.ends.setObjectName("numbers")
        self.set_a = QPushButton("A = current clip")
        self.set_b = QPushButton("B = current clip")
        self.method = QComboBox()
        self.method.addItems(INTERPOLATION_METHODS)
        self.method.setCurrentText(state.interp_method)
        self.steps = QSpinBox()
        self.steps.setRange(2, MAX_STRIP)
        self.steps.setValue(8)
        self.steps.setPrefix("steps ")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, SLIDER_STEPS)
        self.view = FrameView(caption="decoded along the path")
        self.strip = [FrameView(min_size=36, animate=False) for _ in range(MAX_STRIP)]
        for view in self.strip:
            view.setMaximumHeight(64)
        self.scale = QSpinBox()
        self.scale.setRange(1, 32)
        self.scale.setValue(8)
        self.scale.setPrefix("export ×")
        self.scale.setToolTip("nearest-neighbour upscale of the exported video (sharp pixels at a size people can see)")
        self.export_mp4 = QPushButton("Export MP4…")
        self.export_gif = QPushButton("Export GIF…")
        row1 = QHBoxLayout()
        for w in (self.set_a, self.set_b, self.method, self.steps):
            row1.addWidget(w)
        strip = QGridLayout()
        strip.setSpacing(2)
        for j, v in enumerate(self.strip):
            strip.addWidget(v, 0, j)
        row2 = QHBoxLayout()
        row2.addWidget(self.scale)
        row2.addWidget(self.export_mp4)
        row2.addWidget(self.export_gif)
        lay = QVBoxLayout(self)
        lay.addWidget(self.ends)
        lay.addLayout(row1)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.slider)
        lay.addLayout(strip)
        lay.addLayout(row2)
        self.set_a.clicked.connect(guarded(lambda: self.state.set_interpolation(a=self.state.current)))
        self.set_b.clicked.connect(guarded(lambda: self.state.set_interpolation(b=self.state.current)))
        self.method.currentTextChanged.connect(guarded(lambda m: self.state.set_interpolation(method=m)))
        self.steps.valueChanged.connect(guarded(lambda *_: self._on_interpolation_changed()))
        self.slider.valueChanged.connect(guarded(self._request_frame))
        self.export_mp4.clicked.connect(guarded(lambda: self.export(None, ".mp4")))
        self.export_gif.clicked.connect(guarded(lambda: self.export(None, ".gif")))
        self.path_channel = worker.channel("interp_path")  # (n, 2) map positions of the path
        self.strip_channel = worker.channel("interp_strip")  # (B, T, H, W, C) clips along the path
        self.frame_channel = worker.channel("interp")  # InterpolationFrame at the slider
        self.path_channel.ready.connect(lambda _rid, xy: self.state.set_path(xy))
        self.strip_channel.ready.connect(self._on_strip)
        self.frame_channel.ready.connect(self._on_frame)
        listen(self, state.interpolation_changed, self._on_interpolation_changed)
        listen(self, state.dataset_changed, lambda *_: self._on_interpolation_changed())
        listen(self, state.projection_changed, lambda *_: self._on_interpolation_changed())
        listen(self, state.codec_changed, lambda *_: self._on_interpolation_changed())
        self._update_buttons()

    # ---------------------------------------------------------------------------- path
    @property
    def ready(self) -> bool:
        return self.state.interpolation_end("a") is not None and self.state.interpolation_end("b") is not None

    def _walk(self, n: int) -> np.ndarray:
        (_, za), (_, zb) = self.state.interpolation_end("a"), self.state.interpolation_end("b")
        return walk(za, zb, self.state.interp_method, n)

    def _update_buttons(self) -> None:
        for b in (self.export_mp4, self.export_gif, self.slider):
            b.setEnabled(self.ready)

    def _on_interpolation_changed(self, *_args) -> None:
        s = self.state
        name = lambda end: (s.interpolation_end(end) or ("–",))[0]  # noqa: E731
        self.ends.setText(f"A: {name('a')}   B: {name('b')}   ({s.interp_method})")
        if self.method.currentText() != s.interp_method:
            self.method.setCurrentText(s.interp_method)
        self._update_buttons()
        if not self.ready:
            self.path_z = None
            s.set_path(None)
            return
        ds = s.dataset
        self.path_z = self._walk(SLIDER_STEPS + 1)
        strip_z = self._walk(self.steps.value())
        projection, path_z, codec = s.projection, self.path_z[::4], ds.codec
        if projection is not None:  # a t-SNE transform takes ~1 s: on the worker
            self.path_channel.request(lambda: projection.transform(path_z))
        if codec is None:
            return
        self.strip_channel.request(lambda: codec.decode(strip_z))
        self._request_frame(self.slider.value())

    def _request_frame(self, t: int) -> None:
        if self.path_z is None or self.state.dataset is None or self.state.dataset.codec is None:
            return
        z, codec = self.path_z[int(t)][None], self.state.dataset.codec
        self.frame_channel.request(lambda: InterpolationFrame(int(t), codec.decode(z)[0]))

    @guarded
    def _on_strip(self, _rid: int, clips: np.ndarray) -> None:
        for j, v in enumerate(self.strip):
            v.setVisible(j < len(clips))
            if j < len(clips):
                v.set_frames(clips[j], tag=j)
                v.set_index(len(clips[j]) // 2)

    @guarded
    def _on_frame(self, rid: int, frame: InterpolationFrame) -> None:
        if self.state.dataset is not None:
            self.view.set_fps(self.state.dataset.fps)
        self.view.set_frames(frame.frames, tag=rid)
        self.rendered.emit(frame.t, frame.frames)

    # ---------------------------------------------------------------------------- export
    def export(self, path: str | None, suffix: str = ".mp4"):
        """Write the interpolation (``steps`` clips played in turn) to ``path`` on a background job."""
        if not self.ready or self.state.dataset.codec is None:
            return None
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, "Export interpolation", f"interpolation{suffix}", "Video (*.mp4 *.avi);;GIF (*.gif)"
            )
            if not path:
                return None
        s, codec = self.state, self.state.dataset.codec
        z = self._walk(self.steps.value())
        fps, out = s.dataset.fps, Path(path)
        # Imported here, on the GUI thread: an extension module (cv2, Pillow) first imported on a
        # worker while the GUI thread collects Qt objects hung the test suite once.
        from latentlab.media.video_writer import h264_fourcc, upscale_nearest, write_gif, write_video

        scale = self.scale.value()

        def job(ctx):
            frames = upscale_nearest(export_frames(codec, z), scale)  # (n*T, H*s, W*s, C)
            ctx.progress(0.5, text="writing")
            size = f"{frames.shape[2]}×{frames.shape[1]}"
            if out.suffix.lower() == ".gif":
                write_gif(out, frames, fps)
                return str(out), f"wrote {out.name}: {size} GIF, {len(frames)} frames"
            code = h264_fourcc() if out.suffix.lower() in (".mp4", ".m4v", ".mov") else None
            write_video(out, frames, fps, fourcc=code)
            kind = (
                "H.264"
                if code
                else (
                    "MPEG-4 Part 2 (this OpenCV has no H.264 encoder)"
                    if out.suffix.lower() in (".mp4", ".m4v", ".mov")
                    else out.suffix[1:].upper()
                )
            )
            return str(out), f"wrote {out.name}: {size} {kind}, {len(frames)} frames"

        def done(result) -> None:
            path, text = result
            self.said.emit(text)
            self.exported.emit(path)

        job_ = self.runner.submit(f"export {out.name}", job)
        job_.succeeded.connect(guarded(done))
        return job_

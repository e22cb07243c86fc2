"""FrameView: shows a clip (T, H, W, 3) uint8, looping its frames, scaled to fit, pixels kept square.

The building block of the player, probe, interpolation and slider panels and the hover thumbnail.
It paints a ``QImage`` that wraps the frame's bytes (no copy per frame) and says when a new clip
has actually been painted (``clip_painted``), which the benchmark uses to time mouse -> pixels.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from latentlab.core.frame_rate import FALLBACK_FPS, usable_fps


class FrameView(QWidget):
    """Loops the frames of one clip; ``set_frames(frames_u8 (T,H,W,C), tag)`` replaces the clip."""

    clip_painted = Signal(object)  # the tag given to set_frames, once its first frame is on screen
    frame_changed = Signal(int)
    clicked = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        fps: float = FALLBACK_FPS,
        min_size: int = 64,
        caption: str = "",
        animate: bool = True,
    ) -> None:
        super().__init__(parent)
        self.frames: np.ndarray | None = None  # (T, H, W, 3) uint8, C-contiguous
        self.tag: object = None
        self.index = 0
        self.caption = caption
        self._generation = 0  # bumped by set_frames; paintEvent reports each generation once
        self._painted_generation = 0
        self._images: list[QImage] = []
        self._fps = fps
        self._speed = 1.0
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._advance)
        self._animate = animate
        self.setMinimumSize(min_size, min_size)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(160, 160)

    # ---------------------------------------------------------------------------- content
    def set_frames(self, frames_u8: np.ndarray | None, tag: object = None, keep_index: bool = True) -> None:
        """Show a clip ``(T, H, W, C)`` (or one frame ``(H, W, C)``) uint8; ``None`` clears."""
        if frames_u8 is None:
            self.frames, self._images, self.tag = None, [], tag
            self._timer.stop()
            self.update()
            return
        f = np.asarray(frames_u8)
        if f.ndim == 3:
            f = f[None]
        if f.dtype != np.uint8 or f.ndim != 4 or f.shape[-1] not in (1, 3):
            raise ValueError(f"frames must be uint8 (T, H, W, 1|3), got {f.dtype} {f.shape}")
        if f.shape[-1] == 1:
            f = np.repeat(f, 3, axis=-1)
        self.frames = np.ascontiguousarray(f)
        h, w = f.shape[1:3]
        # QImage wraps our buffer; self.frames keeps it alive for as long as the images exist.
        self._images = [
            QImage(self.frames[t].data, w, h, 3 * w, QImage.Format.Format_RGB888) for t in range(len(self.frames))
        ]
        self.tag = tag
        self._generation += 1
        if not keep_index or self.index >= len(self._images):
            self.index = 0
        self._restart_timer()
        self.update()

    def set_speed(self, speed: float) -> None:
        """Playback speed multiplier (1.0 = the clip's own frame rate; 0 pauses)."""
        self._speed = max(0.0, float(speed))
        self._restart_timer()

    def set_fps(self, fps: float) -> None:
        fps = usable_fps(fps)
        if fps != self._fps:  # called per probe result: restarting the timer each time froze the loop
            self._fps = fps
            self._restart_timer()

    def set_index(self, index: int) -> None:
        """Show frame ``index`` (the scrubber)."""
        if self._images:
            self.index = int(index) % len(self._images)
            self.frame_changed.emit(self.index)
            self.update()

    def set_playing(self, playing: bool) -> None:
        self._animate = bool(playing)
        self._restart_timer()

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def _restart_timer(self) -> None:
        if self._animate and self._speed > 0 and len(self._images) > 1 and self.isVisible():
            self._timer.start(max(15, int(1000 / (self._fps * self._speed))))
        else:
            self._timer.stop()

    def _advance(self) -> None:
        if self._images:
            self.set_index(self.index + 1)

    # ---------------------------------------------------------------------------- Qt events
    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._restart_timer()

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self._timer.stop()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mousePressEvent(event)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(8, 9, 12))
        if self._images:
            img = self._images[self.index]
            scale = min(self.width() / img.width(), (self.height() - self._caption_h()) / img.height())
            w, h = img.width() * scale, img.height() * scale
            target = QRectF((self.width() - w) / 2, (self.height() - self._caption_h() - h) / 2, w, h)
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, scale < 2)
            p.drawImage(target, img)
        if self.caption:
            p.setPen(QColor(200, 204, 212))
            p.drawText(
                self.rect().adjusted(2, 0, -2, -1),
                Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignHCenter,
                self.caption,
            )
        p.end()
        if self._painted_generation != self._generation and self._images:
            self._painted_generation = self._generation
            self.clip_painted.emit(self.tag)

    def _caption_h(self) -> int:
        return self.fontMetrics().height() + 2 if self.caption else 0

    def set_caption(self, text: str) -> None:
        self.caption = text
        self.update()

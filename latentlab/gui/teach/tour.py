"""Tour: a short built-in walkthrough of the explorer (map -> clip -> probe -> interpolation ->
sliders -> ELBO panel), one paragraph per step.

The text lives in ``resources/tour.json`` (shipped in the wheel). The tour is a small non-modal
panel floating over the bottom-left corner of the map, with Back / Next / Close; each step asks its
owner (``show_target(name) -> QWidget``) to bring that part of the window forward and outlines it
with a :class:`Highlight`. Closing it changes nothing else; Help -> Guided tour opens it again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from latentlab.gui.errors import guarded
from latentlab.paths import resources_dir

FORMAT = "latentlab-tour"
TARGETS = ("map", "clip", "probe", "interpolate", "sliders", "elbo")
PANEL_WIDTH = 400


class TourError(ValueError):
    """A tour file that is missing or malformed, in words."""


@dataclass(frozen=True)
class TourStep:
    target: str  # one of TARGETS
    title: str
    text: str


def tour_path() -> Path:
    return resources_dir() / "tour.json"


def load_steps(path: str | Path | None = None) -> list[TourStep]:
    """The tour's steps from ``resources/tour.json`` (or ``path``); :class:`TourError` if unusable."""
    path = Path(path) if path is not None else tour_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TourError(f"cannot read the guided tour {path}: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("steps"), list):
        raise TourError(f"{path} is not a latentlab tour (format {FORMAT!r} with a list of steps)")
    steps = []
    for k, s in enumerate(data["steps"]):
        if not isinstance(s, dict) or s.get("target") not in TARGETS or not s.get("title") or not s.get("text"):
            raise TourError(f"{path}: step {k + 1} needs a target (one of {', '.join(TARGETS)}), a title and a text")
        steps.append(TourStep(s["target"], str(s["title"]), str(s["text"])))
    if not steps:
        raise TourError(f"{path} has no steps")
    return steps


class Highlight(QWidget):
    """An outline drawn over the part of the window a step talks about; lets the mouse through."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.target: QWidget | None = None
        self.hide()

    def follow(self, target: QWidget | None) -> None:
        self.target = target
        self.place()

    def place(self) -> None:
        t = self.target
        if t is None or not t.isVisible():
            self.hide()
            return
        top_left = t.mapTo(self.parentWidget(), QPoint(0, 0))
        self.setGeometry(QRect(top_left, t.size()).adjusted(-3, -3, 3, 3))
        self.show()
        self.raise_()

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setPen(QPen(QColor(255, 200, 70), 3))
        p.drawRoundedRect(self.rect().adjusted(2, 2, -2, -2), 6, 6)
        p.end()


class Tour(QFrame):
    """The walkthrough over ``window``; ``step_changed(k)`` on each step, ``closed()`` when dismissed."""

    step_changed = Signal(int)
    closed = Signal()

    def __init__(
        self, window: QWidget, show_target: Callable[[str], QWidget | None], steps: list[TourStep] | None = None
    ) -> None:
        super().__init__(window)
        self.setObjectName("tour")
        self.setStyleSheet("QFrame#tour { background: #242731; border: 2px solid #5b8fd0; border-radius: 6px; }")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.window_, self.show_target = window, show_target
        self.steps = steps if steps is not None else load_steps()
        self.current = -1
        self.highlight = Highlight(window)
        self.title = QLabel()
        self.title.setObjectName("heading")
        self.counter = QLabel()
        self.counter.setObjectName("numbers")
        self.body = QLabel()
        self.body.setWordWrap(True)
        self.back_button = QPushButton("Back")
        self.next_button = QPushButton("Next")
        self.close_button = QPushButton("Close")
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.counter)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.next_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        lay = QVBoxLayout(self)
        lay.addLayout(head)
        lay.addWidget(self.body)
        lay.addLayout(buttons)
        self.setFixedWidth(PANEL_WIDTH)
        self.back_button.clicked.connect(guarded(self.back))
        self.next_button.clicked.connect(guarded(self.next))
        self.close_button.clicked.connect(guarded(self.dismiss))
        window.installEventFilter(self)
        self.hide()

    @property
    def is_open(self) -> bool:
        return self.isVisible()

    def start(self, step: int = 0) -> None:
        """Open the tour at ``step`` (again, after it was closed)."""
        self.show()
        self.raise_()
        self.go(step)

    def go(self, step: int) -> None:
        """Show step ``step`` (clamped to the tour), bringing its part of the window forward."""
        k = max(0, min(int(step), len(self.steps) - 1))
        self.current = k
        s = self.steps[k]
        self.title.setText(s.title)
        self.counter.setText(f"{k + 1} / {len(self.steps)}")
        self.body.setText(s.text)
        m = self.layout().contentsMargins()  # a wrapped label in a fixed-width frame: size it for its text
        inner = PANEL_WIDTH - m.left() - m.right() - 2 * self.frameWidth()
        self.body.setFixedHeight(self.body.heightForWidth(inner))
        self.back_button.setEnabled(k > 0)
        last = k == len(self.steps) - 1
        self.next_button.setText("Done" if last else "Next")
        self.highlight.follow(self.show_target(s.target))
        self._place()
        QTimer.singleShot(0, self, self._place)  # a dock or tab just raised is laid out on the next turn
        self.step_changed.emit(k)

    def next(self) -> None:
        if self.current >= len(self.steps) - 1:
            self.dismiss()
        else:
            self.go(self.current + 1)

    def back(self) -> None:
        self.go(self.current - 1)

    def dismiss(self) -> None:
        """Close the tour (Help -> Guided tour opens it again)."""
        was_open = self.isVisible()
        self.hide()
        self.highlight.follow(None)
        if was_open:
            self.closed.emit()

    def _place(self) -> None:
        if not self.isVisible():
            return
        self.adjustSize()
        anchor = self.show_target("map")  # the map: no side effects, it is always shown
        if anchor is not None and anchor.isVisible():
            origin = anchor.mapTo(self.window_, QPoint(0, 0))
            x, y = origin.x() + 12, origin.y() + anchor.height() - self.height() - 36
        else:
            x, y = 12, self.window_.height() - self.height() - 40
        self.move(max(0, x), max(0, y))
        self.raise_()
        self.highlight.place()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.window_ and event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False

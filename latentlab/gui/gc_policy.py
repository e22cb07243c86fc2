"""Python's cyclic garbage collector runs on the GUI thread only, and never a full pass mid-drag.

Any thread that allocates enough objects triggers a collection, and a collection frees whatever
garbage cycles exist, Qt wrappers included. A worker thread importing torch (tens of thousands of
objects) once collected a cycle holding Qt objects: the QObject destructor took a Qt mutex on the
worker and waited for the GIL, while the GUI thread, holding the GIL, waited for that mutex. The test
suite hung (tests/gui/test_gc_policy.py reproduces the premise).

So automatic collection is off, and :class:`GuiThreadCollector` collects on a QTimer with Python's
own thresholds (the idea of pyqtgraph's ``GarbageCollector``). Unlike that class it rate-limits full
(generation 2) passes, which take 40-60 ms once torch and scikit-learn are loaded, and puts them off
while a mouse button is held: pyqtgraph's version made a full pass every few seconds and stalled the
100k-point drag by up to 63 ms (BENCHMARKS.md, session 2).
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication

_ATTR = "_latentlab_gc"
FULL_PASS_EVERY_S = 30.0


class GuiThreadCollector(QObject):
    """Collect garbage on the GUI thread every ``interval_s`` when Python's thresholds say so."""

    def __init__(self, app, interval_s: float = 0.1, full_every_s: float = FULL_PASS_EVERY_S) -> None:
        super().__init__(app)
        self.threshold = gc.get_threshold()  # (700, 10, 10) unless changed
        self.full_every_s = full_every_s
        self.last_full = time.monotonic()
        self.passes = [0, 0, 0]
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(int(interval_s * 1000))

    def check(self) -> None:
        """One tick: collect the generations whose counts passed their thresholds."""
        l0, l1, l2 = gc.get_count()
        if l0 <= self.threshold[0]:
            return
        gen = 0
        if l1 > self.threshold[1]:
            gen = 1
            full_due = time.monotonic() - self.last_full > self.full_every_s
            if l2 > self.threshold[2] and full_due and QApplication.mouseButtons() == Qt.MouseButton.NoButton:
                gen = 2
        gc.collect(gen)
        self.passes[gen] += 1
        if gen == 2:
            self.last_full = time.monotonic()


def collect_on_gui_thread(app, interval_s: float = 0.1) -> GuiThreadCollector:
    """Install (once per ``app``) the timer-driven collector; returns it."""
    existing = getattr(app, _ATTR, None)
    if existing is None:
        existing = GuiThreadCollector(app, interval_s)
        setattr(app, _ATTR, existing)
    return existing


def restore_automatic_gc(app) -> None:
    """Undo :func:`collect_on_gui_thread` (tests that leave the GUI behind)."""
    collector = getattr(app, _ATTR, None)
    if collector is not None:
        collector.timer.stop()
        setattr(app, _ATTR, None)
    gc.enable()

"""Python's cyclic garbage collector runs on the GUI thread only.

Any thread that allocates enough objects triggers a collection, and a collection frees whatever
garbage cycles exist, Qt wrappers included. A worker thread importing torch (tens of thousands of
objects) once collected a cycle holding Qt objects: the QObject destructor took a Qt mutex on the
worker and waited for the GIL, while the GUI thread, holding the GIL, waited for that mutex. The test
suite hung (tests/gui/test_gc_policy.py reproduces the premise). pyqtgraph's ``GarbageCollector`` disables
automatic collection and collects on a QTimer, so collections happen on the GUI thread, with the same
thresholds.
"""

from __future__ import annotations

import gc

from pyqtgraph.util.garbage_collector import GarbageCollector

_ATTR = "_latentlab_gc"


def collect_on_gui_thread(app, interval_s: float = 1.0) -> GarbageCollector:
    """Install (once per ``app``) the timer-driven collector; returns it."""
    existing = getattr(app, _ATTR, None)
    if existing is None:
        existing = GarbageCollector(interval=interval_s)
        setattr(app, _ATTR, existing)
    return existing


def restore_automatic_gc(app) -> None:
    """Undo :func:`collect_on_gui_thread` (tests that leave the GUI behind)."""
    collector = getattr(app, _ATTR, None)
    if collector is not None:
        collector.timer.stop()
        setattr(app, _ATTR, None)
    gc.enable()

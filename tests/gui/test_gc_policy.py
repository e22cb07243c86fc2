"""Garbage cycles holding Qt objects are freed on the GUI thread, never on a worker (gui/gc_policy.py).

Without the policy, a worker that allocates a lot (importing torch) collects such a cycle itself; the
QObject destructor then takes a Qt mutex on the worker and waits for the GIL: a deadlock seen in the
suite. This test makes the worker's allocations and checks where the cycle dies."""

from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QObject, Qt


def _cycle_with_a_qobject(died_on: list) -> None:
    obj = QObject()
    obj.destroyed.connect(
        lambda *_: died_on.append(threading.current_thread().name), Qt.ConnectionType.DirectConnection
    )
    box = {"obj": obj}
    box["self"] = box  # a reference cycle: only the cyclic collector can free it


def _allocate_on_a_worker() -> None:
    def churn():
        keep = []
        for i in range(200_000):  # hundreds of generation-0 thresholds' worth of containers
            keep.append([i])
            if len(keep) > 1000:
                keep.clear()

    t = threading.Thread(target=churn, name="worker")
    t.start()
    t.join()


def test_a_worker_never_collects_a_cycle_that_holds_a_qobject(qapp, qtbot):
    assert not gc.isenabled()  # the GUI tests run under the app's policy (conftest)
    died_on: list = []
    gc.collect()
    _cycle_with_a_qobject(died_on)
    _allocate_on_a_worker()
    assert died_on == []  # the worker's allocations collected nothing
    keep = [[] for _ in range(5000)]  # past generation 0's threshold, so the next timer tick collects
    qtbot.waitUntil(lambda: bool(died_on), timeout=5000)  # the policy's timer collects it ...
    assert died_on == [threading.main_thread().name]  # ... on the GUI thread
    del keep


def test_without_the_policy_the_worker_would_collect_it(qapp):
    """The premise of the test above: with automatic collection on, the worker frees the cycle."""
    died_on: list = []
    gc.collect()
    gc.enable()
    try:
        _cycle_with_a_qobject(died_on)
        _allocate_on_a_worker()
    finally:
        gc.disable()
    assert died_on == ["worker"]


def test_full_passes_are_rate_limited(qapp):
    """A full pass costs 40-60 ms with torch loaded: at most one per ``full_every_s``."""
    from latentlab.gui.gc_policy import GuiThreadCollector

    collector = GuiThreadCollector(qapp, interval_s=3600, full_every_s=3600)  # ticks driven by hand here
    try:
        for _ in range(30):  # enough generation-1 passes that Python's own rule would make full ones
            keep = [[] for _ in range(800)]
            collector.check()
            del keep
        assert collector.passes[0] + collector.passes[1] >= 30 and collector.passes[2] == 0
        collector.full_every_s = 0.0
        for _ in range(30):
            keep = [[] for _ in range(800)]
            collector.check()
            del keep
        assert collector.passes[2] >= 1
    finally:
        collector.timer.stop()
        collector.deleteLater()
        gc.disable()  # the package's collector is still in charge

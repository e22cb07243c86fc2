"""The inverse's table is built at a lower priority than the GUI, on the job's thread only, and steps aside
while the probe is dragged."""

import os
import sys
import threading

import pytest

from latentlab.app.thread_priority import BACKGROUND_NICE


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_the_table_build_runs_nicer_than_the_gui(window, qtbot, monkeypatch):
    gui = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    if gui + BACKGROUND_NICE > 19:
        pytest.skip("this process is already almost as nice as can be")
    qtbot.waitUntil(lambda: window.state.inverse is not None, timeout=5000)
    inverse, seen = window.state.inverse, []
    build = inverse.build_raster

    def recording(*args, **kwargs):
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        return build(*args, **kwargs)

    monkeypatch.setattr(inverse, "build_raster", recording)
    job = window.fitter.tabulate_inverse()  # what a new projection starts
    qtbot.waitUntil(lambda: job not in window.runner.jobs, timeout=10000)
    assert seen == [gui + BACKGROUND_NICE]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == gui  # the GUI thread kept its own


def test_the_table_build_steps_aside_while_the_probe_moves(window, qtbot, monkeypatch):
    qtbot.waitUntil(lambda: window.state.inverse is not None, timeout=5000)
    inverse, seen = window.state.inverse, []
    hold = window.fitter.hold

    def recording(progress, cancelled):
        seen.append(cancelled())  # between two chunks: returns once the probe has rested
        seen.append(hold.busy())
        return None

    monkeypatch.setattr(inverse, "build_raster", recording)
    window.state.move_probe(0.0, 0.0)  # what a drag of the probe does, move by move
    assert hold.busy()
    job = window.fitter.tabulate_inverse()
    qtbot.waitUntil(lambda: job not in window.runner.jobs, timeout=10000)
    assert seen == [False, False]  # not cancelled, and it went on only once the moves had stopped

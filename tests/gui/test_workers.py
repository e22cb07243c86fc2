"""Workers: long jobs with progress/cancel/errors, and the latest-wins decode worker."""

from __future__ import annotations

import threading

import pytest

from latentlab.gui.workers import JobCancelled


def test_job_reports_progress_partials_and_result(qtbot, runner):
    def fn(ctx):
        for i in range(5):
            ctx.progress(i / 5, partial=[i])
        return "done"

    partials = []
    job = runner.submit("count", fn)
    job.progressed.connect(lambda f, p, t: partials.append(p))
    with qtbot.waitSignal(job.succeeded, timeout=5000) as blocker:
        pass
    assert blocker.args == ["done"]
    qtbot.waitUntil(lambda: not runner.jobs)
    assert partials == [[0], [1], [2], [3], [4]]


def test_job_error_is_a_signal_not_a_traceback(qtbot, runner):
    job = runner.submit("boom", lambda ctx: 1 / 0)
    with qtbot.waitSignal(job.failed, timeout=5000) as blocker:
        pass
    message, tb = blocker.args
    assert "ZeroDivisionError" in message and "Traceback" in tb


def test_cancel_stops_a_job_and_shutdown_joins(qtbot, runner):
    started = threading.Event()

    def fn(ctx):
        started.set()
        while True:
            ctx.check()
            ctx._event.wait(0.01)

    job = runner.submit("forever", fn)
    qtbot.waitUntil(started.is_set, timeout=5000)
    with qtbot.waitSignal(job.cancelled, timeout=5000):
        job.cancel()
    runner.shutdown()
    assert job.thread.isFinished()
    with pytest.raises(RuntimeError, match="shut down"):
        runner.submit("late", lambda ctx: None)


def test_cancelled_exception_type():
    assert issubclass(JobCancelled, Exception)


def test_flood_of_requests_ends_with_the_last_and_no_backlog(qtbot, worker):
    gate = threading.Event()
    results = []
    probe = worker.channel("probe")
    probe.ready.connect(lambda rid, r: results.append((rid, r)))
    started = threading.Event()
    probe.request(lambda: (started.set(), gate.wait(5))[1] and -1)  # holds the thread busy
    assert started.wait(5)  # the flood comes while the thread is held (on a loaded machine it may start late)
    ids = [probe.request(lambda i=i: i) for i in range(500)]
    gate.set()
    qtbot.waitUntil(lambda: bool(results) and results[-1][0] == ids[-1], timeout=5000)
    qtbot.waitUntil(lambda: worker.pending == 0, timeout=5000)
    assert results[-1] == (ids[-1], 499)
    assert worker.stats["computed"] <= 3  # the 498 in between were replaced, never run
    assert [rid for rid, _ in results] == sorted({rid for rid, _ in results})  # in order, each once
    assert len(results) <= 2  # the busy first one (shown: it was newer than nothing) and the last


def test_channels_do_not_replace_each_other_and_deliver_only_their_own(qtbot, worker):
    got = {}
    a, b = worker.channel("a"), worker.channel("b")
    a.ready.connect(lambda rid, r: got.setdefault("a", []).append(r))
    b.ready.connect(lambda rid, r: got.setdefault("b", []).append(r))
    a.request(lambda: 1)
    b.request(lambda: 2)
    qtbot.waitUntil(lambda: got == {"a": [1], "b": [2]}, timeout=5000)
    assert worker.channel("a") is a and a.latest == worker.latest("a") > 0


def test_render_error_is_reported_and_the_worker_goes_on(qtbot, worker):
    probe = worker.channel("probe")
    own = []
    probe.failed.connect(lambda rid, message: own.append(message))
    with qtbot.waitSignal(worker.failed, timeout=5000) as blocker:
        probe.request(lambda: [][1])
    assert blocker.args[0] == "probe" and "IndexError" in blocker.args[2] and own == [blocker.args[2]]
    with qtbot.waitSignal(probe.ready, timeout=5000) as blocker:
        probe.request(lambda: "fine")
    assert blocker.args[1] == "fine"


def test_shutdown_drops_waiting_requests(qtbot, worker):
    gate = threading.Event()
    worker.request("x", lambda: gate.wait(5))
    worker.request("y", lambda: 1)
    gate.set()
    worker.shutdown()
    assert worker.pending == 0 and worker.request("z", lambda: 1) == -1


def test_an_expected_failure_is_logged_as_one_line_without_a_traceback(qtbot, runner, caplog):
    from latentlab.media.clip_store import StoreError

    def fn(ctx):
        raise StoreError("/data is not a clip store")

    job = runner.submit("load", fn)
    with qtbot.waitSignal(job.failed, timeout=5000) as blocker:
        pass
    assert "not a clip store" in blocker.args[0]
    records = [r for r in caplog.records if "load" in r.getMessage()]
    assert records and all(r.exc_info is None for r in records)

"""The probe drag of ``bench_explorer.py``: synthetic 60 Hz mouse moves through pyqtgraph's scene to the
probe marker, the inverse projection and the decode worker; the latency from a move to the frame painted
for it, the longest GUI-thread stall (a 1 ms heartbeat) and the garbage collections during the drag."""

from __future__ import annotations

import time

import numpy as np


def percentile(values, q):
    return float(np.percentile(np.asarray(values, np.float64), q)) if len(values) else float("nan")


def wait_until(app, cond, timeout=60.0):
    t0 = time.perf_counter()
    while not cond():
        app.processEvents()
        if time.perf_counter() - t0 > timeout:
            raise TimeoutError("condition not met")


def bench_drag(app, window, seconds, during=None):
    """Drag the probe for ``seconds``. ``during``: a running job (the inverse's table being built): the
    drag starts at once and stops when the job ends, and only moves sent while it ran are counted;
    without it the drag starts from a settled window (every background job done)."""
    from PySide6.QtCore import QEvent, QPoint, QPointF, Qt, QTimer
    from PySide6.QtGui import QMouseEvent

    m, state = window.map, window.state
    wait_until(app, lambda: window.probe.result is not None)

    def job_running() -> bool:
        return during is not None and during in window.runner.jobs

    if during is None:  # background jobs (the inverse raster of the new map, clusters) done first
        wait_until(app, lambda: not window.runner.jobs, timeout=1800)
    app.processEvents()
    vp = m.plot.viewport()
    start = m.plot.mapFromScene(m.view.mapViewToScene(m.probe.pos()))
    c = state.coords
    lo, hi = np.percentile(c, 5, axis=0), np.percentile(c, 95, axis=0)

    def send(kind, pos, button, buttons):
        p = QPointF(pos)
        QApplication_sendEvent(
            vp,
            QMouseEvent(
                kind,
                p,
                QPointF(vp.mapToGlobal(QPoint(int(p.x()), int(p.y())))),
                button,
                buttons,
                Qt.KeyboardModifier.NoModifier,
            ),
        )

    from PySide6.QtWidgets import QApplication

    QApplication_sendEvent = QApplication.sendEvent
    L, N = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    send(QEvent.Type.MouseButtonPress, start, L, L)
    sent: dict[int, float] = {}
    latencies: list[float] = []
    beats: list[float] = []
    n_moves = [0]
    move_cpu: list[float] = []
    t_start, gui_cpu0 = time.perf_counter(), time.thread_time()

    def on_painted(tag):
        if tag in sent:
            latencies.append(time.perf_counter() - sent.pop(tag))

    window.probe.decoded.clip_painted.connect(on_painted)

    def move():
        t = time.perf_counter() - t_start
        a = 2 * np.pi * t / 4.0  # a slow Lissajous sweep over the populated map
        x, y = lo + (hi - lo) * (0.5 + 0.45 * np.array([np.sin(a), np.sin(1.7 * a)]))
        pos = m.plot.mapFromScene(m.view.mapViewToScene(QPointF(float(x), float(y))))
        before = window.worker.latest("probe")
        t_send, c_send = time.perf_counter(), time.thread_time()
        send(QEvent.Type.MouseMove, pos, N, L)
        move_cpu.append(time.thread_time() - c_send)
        rid = window.worker.latest("probe")
        if rid != before and (during is None or job_running()):
            sent[rid] = t_send
        n_moves[0] += 1

    # Where does the longest stall come from? Record every garbage collection during the drag.
    import gc

    gc_runs: list[tuple[int, float, float]] = []  # (generation, start s after t_start, ms)
    gc_t0 = [0.0]

    def on_gc(phase, info):
        if phase == "start":
            gc_t0[0] = time.perf_counter()
        else:
            gc_runs.append((info["generation"], gc_t0[0] - t_start, 1000 * (time.perf_counter() - gc_t0[0])))

    gc.callbacks.append(on_gc)
    mover, heart = QTimer(), QTimer()
    mover.setTimerType(Qt.TimerType.PreciseTimer)
    heart.setTimerType(Qt.TimerType.PreciseTimer)
    mover.timeout.connect(move)
    heart.timeout.connect(lambda: beats.append(time.perf_counter()))
    heart.start(1)
    mover.start(16)
    wait_until(
        app,
        lambda: time.perf_counter() - t_start > seconds or (during is not None and not job_running()),
        timeout=seconds + 30,
    )
    mover.stop()
    heart.stop()
    gc.callbacks.remove(on_gc)
    gui_cpu = time.thread_time() - gui_cpu0
    wall = time.perf_counter() - t_start
    last = window.worker.latest("probe")
    send(QEvent.Type.MouseButtonRelease, m.plot.mapFromScene(m.view.mapViewToScene(m.probe.pos())), L, N)
    wait_until(app, lambda: window.worker.pending == 0 and window.probe.decoded.tag == last)
    final_ok = window.probe.result.pos == state.probe
    gaps = np.diff(beats) * 1000 if len(beats) > 1 else np.zeros(1)
    worst = int(np.argmax(gaps))
    stall_at = beats[worst] - t_start if len(beats) > 1 else 0.0
    gc_in_stall = [r for r in gc_runs if stall_at - 0.001 <= r[1] <= stall_at + gaps[worst] / 1000]
    return {
        "longest_gui_stall_at_s": stall_at,
        "gc_runs_by_generation": [sum(1 for r in gc_runs if r[0] == g) for g in range(3)],
        "gc_longest_ms": max((r[2] for r in gc_runs), default=0.0),
        "gc_during_longest_stall": [(g, round(ms, 2)) for g, _, ms in gc_in_stall],
        "gui_gaps_over_50ms": int((gaps > 50).sum()),
        "moves": n_moves[0],
        "drag_s": wall,
        "job_still_running_at_the_end": job_running(),
        "table_build_stepped_aside_s": window.fitter.hold.waited_s,  # paused while the probe moved
        "frames_painted_for_a_move": len(latencies),
        "latency_p50_ms": 1000 * percentile(latencies, 50),
        "latency_p95_ms": 1000 * percentile(latencies, 95),
        "latency_max_ms": 1000 * max(latencies) if latencies else float("nan"),
        "longest_gui_stall_ms": float(gaps.max()),
        "gui_gap_p99_ms": percentile(gaps, 99),
        "gui_cpu_per_move_handler_ms_p50": 1000 * percentile(move_cpu, 50),
        "gui_cpu_per_move_handler_ms_p95": 1000 * percentile(move_cpu, 95),
        "gui_thread_cpu_share": gui_cpu / wall,
        "final_frame_matches_final_position": bool(final_ok),
        "worker_stats": dict(window.worker.stats),
    }

"""A lower scheduling priority for the calling thread, for background work that must not slow the GUI.

On a 2-core machine the GUI thread, the decode worker and a background build share two cores: at
the same priority, the build takes its share of both and the probe's frames come late while it runs.
Where the platform has per-thread priorities (Linux: each thread has its own nice value), the
calling thread's nice value goes up by :data:`BACKGROUND_NICE` (from the one it was started with,
the process's); elsewhere nothing changes. The thread keeps it until it
ends, so call it from a thread of its own (a job's).
"""

from __future__ import annotations

import os
import threading

#: How much nicer background builds are than the app: at +10 they get about a tenth of a core that
#: the GUI also wants, and every idle cycle. (Not SCHED_IDLE: a thread that can starve could hold the
#: GIL the GUI waits for.)
BACKGROUND_NICE = 10
#: The lowest priority there is.
_NICEST = 19


def lower_this_thread(step: int | None = None) -> bool:
    """Raise the calling thread's nice value by ``step`` (default :data:`BACKGROUND_NICE`); False where
    the platform cannot, or the thread is already as nice as can be."""
    step = BACKGROUND_NICE if step is None else step
    if step <= 0 or not hasattr(os, "setpriority") or not hasattr(threading, "get_native_id"):
        return False
    tid = threading.get_native_id()
    try:
        now = os.getpriority(os.PRIO_PROCESS, tid)
        if now >= _NICEST:
            return False
        os.setpriority(os.PRIO_PROCESS, tid, min(now + step, _NICEST))  # Linux: a thread id names that thread
    except OSError:
        return False
    return True

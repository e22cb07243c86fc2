"""A background thread can lower its own priority without touching the caller's."""

import os
import sys
import threading

import pytest

from latentlab.app.thread_priority import lower_this_thread


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_only_the_calling_thread_is_lowered():
    main = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    if main > 15:
        pytest.skip("this process is already almost as nice as can be")
    seen = {}

    def run():
        seen["lowered"] = lower_this_thread(3)
        seen["nice"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        seen["again"] = lower_this_thread(19)  # up to the nicest there is
        seen["nicest"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        seen["more"] = lower_this_thread(1)  # nothing nicer: nothing to do

    t = threading.Thread(target=run)
    t.start()
    t.join()
    assert seen == {"lowered": True, "nice": main + 3, "again": True, "nicest": 19, "more": False}
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == main

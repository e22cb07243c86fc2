"""Background builds that step aside while the user is dragging.

A build that shares two cores with the GUI thread and the decode worker slows the frames of a drag
even at a lower priority (:mod:`latentlab.app.thread_priority`). :class:`InteractionHold` lets it
step aside entirely: the GUI thread calls :meth:`~InteractionHold.touch` on every interactive move
(the probe's), and the build, between two chunks of its work, calls :meth:`~InteractionHold.wait`,
which sleeps until the moves have stopped for :data:`QUIET_S`. What the build prepares must be
something the interaction can do without (the probe's inverse answers without its table, a little
slower), so pausing it costs the user nothing while it lets every frame of the drag come on time;
the build goes on once the user rests.
"""

from __future__ import annotations

import time
from collections.abc import Callable

#: The build resumes once no interactive move came for this long (seconds).
QUIET_S = 0.25
#: How long the build sleeps between two looks at the clock.
POLL_S = 0.02


class InteractionHold:
    """When the last interactive move came (the GUI thread writes it, a build's thread reads it)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.last = float("-inf")
        self.waited_s = 0.0  # how long builds stepped aside, in total (benchmarks report it)

    def touch(self) -> None:
        """An interactive move just happened (GUI thread)."""
        self.last = self.clock()

    def busy(self) -> bool:
        return self.clock() - self.last < QUIET_S

    def wait(self, cancelled: Callable[[], bool] = lambda: False, sleep: Callable[[float], None] = time.sleep) -> bool:
        """Sleep while the user is interacting (build thread); returns ``cancelled()`` afterwards, so that
        it can stand in for a build's cancellation check."""
        start = self.clock()
        while self.busy() and not cancelled():
            sleep(POLL_S)
        self.waited_s += self.clock() - start
        return cancelled()

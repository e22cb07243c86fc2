"""A background build steps aside while the user drags, and goes on once they rest."""

from __future__ import annotations

from latentlab.app.interaction_hold import POLL_S, QUIET_S, InteractionHold


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.now += s


def test_the_build_waits_until_the_moves_stop_for_the_quiet_time():
    clock = Clock()
    hold = InteractionHold(clock)
    assert not hold.busy() and hold.wait(sleep=clock.sleep) is False and hold.waited_s == 0  # no move yet
    hold.touch()
    assert hold.busy()
    assert hold.wait(sleep=clock.sleep) is False
    assert QUIET_S <= hold.waited_s < QUIET_S + 2 * POLL_S and not hold.busy()


def test_a_cancelled_build_stops_waiting_at_once():
    clock = Clock()
    hold = InteractionHold(clock)
    hold.touch()
    assert hold.wait(lambda: True, sleep=clock.sleep) is True and hold.waited_s == 0

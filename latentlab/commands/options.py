"""One validation layer for every numeric command-line option.

Each ``add_arguments`` passes one of these as ``type=``: argparse then refuses a bad value with one
line (``latentlab CMD: error: argument --lr: ...``) and exit status 2 before the command starts, so
0, -1, NaN, infinity and 1e20 never reach the code that would fail on them. Every parser is a
:class:`Number` (the fault suite finds the numeric options of every command through that type).
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Number:
    """An argparse ``type`` for a whole (``kind=int``) or finite real (``kind=float``) number in a range.

    ``low``/``high`` are inclusive bounds unless ``low_open``/``high_open``; ``None`` means unbounded.
    """

    kind: type = int
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    @property
    def __name__(self) -> str:  # argparse names the type in "invalid <name> value" messages
        return "whole number" if self.kind is int else "number"

    def describe(self) -> str:
        what = "a whole number" if self.kind is int else "a finite number"
        if self.low is not None and self.high is not None:
            lo, hi = ("(" if self.low_open else "["), (")" if self.high_open else "]")
            return f"{what} in {lo}{_fmt(self.low)}, {_fmt(self.high)}{hi}"
        if self.low is not None:
            return f"{what} {'>' if self.low_open else '>='} {_fmt(self.low)}"
        if self.high is not None:
            return f"{what} {'<' if self.high_open else '<='} {_fmt(self.high)}"
        return what

    def __call__(self, text: str):
        value = self._parse(text.strip())
        ok = not (self.low is not None and (value < self.low or (self.low_open and value == self.low)))
        ok = ok and not (self.high is not None and (value > self.high or (self.high_open and value == self.high)))
        if not ok:
            raise argparse.ArgumentTypeError(f"expected {self.describe()}, got {text!r}")
        return value

    def _parse(self, text: str):
        try:
            if self.kind is int:
                return int(text, 10)
            value = float(text)
        except (ValueError, OverflowError):
            raise argparse.ArgumentTypeError(f"expected {self.describe()}, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"expected {self.describe()}, got {text!r}")
        return value


def _fmt(x: float) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def int_range(low: int | None = None, high: int | None = None) -> Number:
    """A whole number in ``[low, high]``."""
    return Number(int, low, high)


def float_range(
    low: float | None = None, high: float | None = None, *, low_open: bool = False, high_open: bool = False
) -> Number:
    """A finite real number in the range (bounds inclusive unless ``*_open``)."""
    return Number(float, low, high, low_open, high_open)


#: Shared ranges: large enough for any real use, small enough that nothing overflows or fills memory.
SEED = int_range(0, 2**32 - 1)
COUNT = int_range(1, 10**9)  # clips, steps, items: at least one
SECONDS = float_range(0.0, 10**7, low_open=True)  # a positive, finite duration (under four months)
FRACTION_OPEN = float_range(0.0, 1.0, high_open=True)  # [0, 1)


def shard(text: str) -> str:
    """``i/N`` for ``embed --shard`` (0 <= i < N <= 1e6), validated and returned as given."""
    try:
        i, n = (int(x, 10) for x in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a shard is written i/N (0-based i), e.g. 0/8; got {text!r}") from None
    if not 1 <= n <= 10**6 or not 0 <= i < n:
        raise argparse.ArgumentTypeError(f"shard {text!r}: N must be 1 to 1000000 and i from 0 to N-1")
    return text

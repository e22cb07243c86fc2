"""Counts in words, the one place plurals are made: ``count(1, "clip")`` -> "1 clip"."""

from __future__ import annotations


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` with ``noun`` in the right number and thousands separators ("1 clip", "17,352 clips")."""
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"

"""Refuse to run on a PySide6 that corrupts reference counts (6.12.0 on Python < 3.12).

PySide6 6.12.0 returns ``None`` from every void method (``update()``, ``setText()``,
``processEvents()`` ...) and ``True`` from ``Signal.emit`` without owning a reference. Each call takes
one reference away from the singleton; after some thousands of calls (a minute of dragging on the
map) the interpreter aborts with "Fatal Python error: none_dealloc". Python 3.12 made these objects
immortal, which hides the bug there. The tested pin is PySide6-Essentials 6.11.3 (constraints.txt).
We test the behaviour, not the version number, so a fixed 6.12.x passes.
"""

from __future__ import annotations

import sys


class BrokenQtBinding(RuntimeError):
    """The installed PySide6 would crash the explorer."""


def loses_references() -> bool:
    """True if void PySide6 methods or ``emit`` drop references to ``None`` / ``True``."""
    if sys.version_info >= (3, 12):
        return False
    from PySide6.QtCore import QObject, Signal

    class Probe(QObject):
        fired = Signal()

    probe = Probe()
    none0, true0 = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(16):
        probe.setObjectName("probe")  # void method
        probe.fired.emit()
    return sys.getrefcount(None) < none0 - 8 or sys.getrefcount(True) < true0 - 8


def check() -> None:
    """Raise :class:`BrokenQtBinding` with what to install if the binding has the bug."""
    if loses_references():
        import PySide6

        raise BrokenQtBinding(
            f"PySide6 {PySide6.__version__} on Python {sys.version_info.major}.{sys.version_info.minor} "
            "corrupts reference counts and would crash the explorer; install the tested version with "
            "`pip install -c constraints.txt PySide6-Essentials` (6.11.3) or use Python 3.12+"
        )

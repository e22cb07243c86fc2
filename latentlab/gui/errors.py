"""Errors end up in the window, never only in a terminal.

* :func:`report_error` logs an error and emits it on the process-wide :class:`ErrorHub`, from any
  thread; the main window shows what the hub emits (status bar + a dialog for failed jobs).
* :func:`guarded` wraps a slot so that an exception inside it is reported instead of escaping into
  Qt (recent PySide6 re-raises those, which would end a pytest-qt test or the event loop).
* :func:`listen` connects a psygnal model signal to a widget method through :func:`guarded` and
  disconnects it when the widget is destroyed.
* :func:`install_excepthooks` routes ``sys.excepthook`` and ``threading.excepthook`` to the hub.
"""

from __future__ import annotations

import functools
import inspect
import logging
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Signal

log = logging.getLogger("latentlab.gui")


class ErrorHub(QObject):
    """Emits ``error_reported(message, detail)`` on the GUI thread for every reported error."""

    error_reported = Signal(str, str)


_hub: ErrorHub | None = None


def hub() -> ErrorHub:
    """The process-wide hub (created on first use, on the GUI thread)."""
    global _hub
    if _hub is None or not shiboken6.isValid(_hub):
        _hub = ErrorHub()
    return _hub


def describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def report_error(message: str, detail: str = "") -> None:
    """Log ``message`` and show it in the window (safe to call from any thread)."""
    log.error("%s%s", message, f"\n{detail}" if detail else "")
    if _hub is not None and shiboken6.isValid(_hub):
        _hub.error_reported.emit(message, detail)


def _positional_limit(fn: Callable) -> int | None:
    """How many positional arguments ``fn`` takes (``None``: any number, or unknown)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return None
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)


def guarded(fn: Callable) -> Callable:
    """Decorate a slot so that its exceptions are reported, not raised into Qt.

    Like Qt does for a plain slot, signal arguments the slot does not take are dropped: the wrapper
    takes ``*args``, so Qt hands it everything (``QAction.triggered`` passes ``checked``), and a
    ``lambda: ...`` inside would fail with a TypeError."""
    limit = _positional_limit(fn)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if limit is not None and len(args) > limit:
            args = args[:limit]
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - shown to the user, logged with traceback
            report_error(describe(exc), traceback.format_exc())
            return None

    return wrapper


def listen(widget: QObject, signal: Any, slot: Callable) -> None:
    """Connect psygnal ``signal`` to ``slot`` of ``widget`` until the widget is destroyed."""

    safe = guarded(slot)

    def call(*args):
        if shiboken6.isValid(widget):
            safe(*args)

    signal.connect(call)
    widget.destroyed.connect(lambda *_: signal.disconnect(call, missing_ok=True))


def install_excepthooks() -> None:
    """Show uncaught exceptions of the main thread and of Python threads in the window too."""

    def excepthook(exc_type, exc, tb):
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        report_error(describe(exc), "".join(traceback.format_exception(exc_type, exc, tb)))

    def thread_excepthook(args):
        if args.exc_type is SystemExit:
            return
        report_error(
            f"in thread {getattr(args.thread, 'name', '?')}: {describe(args.exc_value)}",
            "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback)),
        )

    hub()
    sys.excepthook = excepthook
    threading.excepthook = thread_excepthook

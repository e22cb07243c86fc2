"""``STORE/.ingest.lock``: one ingest per store at a time, across processes and within one."""

from __future__ import annotations

import threading
from pathlib import Path

from latentlab.core.errors import UserError


class IngestError(UserError):
    """Ingest cannot start (store busy, bad store ...); the message says why."""


class IngestLock:
    """``STORE/.ingest.lock``: one ingest per store at a time (it owns ``STORE/.spool``)."""

    # POSIX record locks never conflict inside one process (and closing any handle of the file drops
    # them), so two ingests started from one process (two drops in the GUI) are excluded here too.
    _held: set[str] = set()
    _held_guard = threading.Lock()

    def __init__(self, store_path: Path) -> None:
        self._path = store_path / ".ingest.lock"
        self._key = str(self._path.resolve())
        self._fh = None

    def __enter__(self) -> IngestLock:
        with IngestLock._held_guard:
            if self._key in IngestLock._held:
                raise IngestError(f"{self._path.parent} is being ingested into by another ingest in this process")
            IngestLock._held.add(self._key)
        try:
            self._lock_file()
        except BaseException:
            with IngestLock._held_guard:
                IngestLock._held.discard(self._key)
            raise
        return self

    def _lock_file(self) -> None:
        self._fh = open(self._path, "a+")
        try:
            import fcntl

            # A POSIX record lock, not flock: forked workers do not inherit it, so a killed ingest
            # releases the store at once even if a worker outlives it for a moment.
            fcntl.lockf(self._fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:
            pass
        except OSError:
            self._fh.close()
            raise IngestError(f"{self._path.parent} is being ingested into by another latentlab process") from None

    def __exit__(self, *exc) -> None:
        self._fh.close()
        with IngestLock._held_guard:
            IngestLock._held.discard(self._key)

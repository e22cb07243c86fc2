"""One writer per project (or output folder): a lock file beside ``name.latentlab`` that says who holds it.

:func:`latentlab.core.output_guard.output_lock` uses the same lock for the folders commands write.

The lock is an OS lock (``flock``) on ``name.latentlab.lock``; the file also holds the holder's pid,
host name and start time so that a second window can say who has the project open. ``flock``
locks belong to an open file, so a second :class:`ProjectLock` is refused even in the same process,
and the OS drops the lock when its process dies: a lock file left by a crash is simply taken over.
Where ``flock`` is missing (Windows) or refused (some network mounts), the file's own existence is
the lock, and one left by a dead process on this host is taken over.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path

LOCK_SUFFIX = ".lock"


def lock_path(project_path: str | os.PathLike) -> Path:
    path = Path(project_path)
    return path.with_name(path.name + LOCK_SUFFIX)


def _pid_alive(pid: int) -> bool:
    if sys.platform == "win32":
        return True  # os.kill would terminate it there; the user removes a stale lock by hand
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, someone else's
    return True


class ProjectLock:
    """Exclusive ownership of a project file while a window edits it.

    ``acquire(path)`` returns False when another instance holds the project (open it read-only);
    :attr:`holder` then says who (``{"pid", "host", "since"}`` or ``{}`` if unknown).
    """

    def __init__(self) -> None:
        self.path: Path | None = None
        self.holder: dict = {}
        self._fh = None
        self._pid_file = False

    @property
    def held(self) -> bool:
        return self.path is not None

    def acquire(self, project_path: str | os.PathLike) -> bool:
        """Take the lock of ``project_path`` (releasing any lock this object held before)."""
        self.release()
        path = lock_path(project_path)
        self.holder = {}
        try:
            import fcntl
        except ImportError:
            return self._acquire_pid_file(path)
        for _ in range(5):  # the file can be removed by its holder between our open and our lock
            try:
                fh = open(path, "a+", encoding="utf-8")
            except OSError:
                return True  # a read-only folder: nothing can be saved there anyway, nothing to guard
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self.holder = _read_holder(path)
                fh.close()
                return False
            except OSError:  # no locks on this file system: fall back to the file's existence
                fh.close()
                return self._acquire_pid_file(path)
            try:
                same = os.fstat(fh.fileno()).st_ino == os.stat(path).st_ino
            except OSError:
                same = False
            if not same:
                fh.close()
                continue
            self._fh, self.path = fh, path
            self._write_holder(fh)
            return True
        return False

    def _acquire_pid_file(self, path: Path) -> bool:
        for _ in range(2):
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR)
            except FileExistsError:
                holder = _read_holder(path)
                stale = holder.get("host") == socket.gethostname() and not _pid_alive(int(holder.get("pid", -1)))
                if stale and holder.get("pid") != os.getpid():
                    try:
                        path.unlink()
                    except OSError:
                        pass
                    continue
                self.holder = holder
                return False
            except OSError:
                return True
            self._fh, self.path, self._pid_file = os.fdopen(fd, "w+", encoding="utf-8"), path, True
            self._write_holder(self._fh)
            return True
        return False

    def _write_holder(self, fh) -> None:
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}))
        fh.flush()

    def release(self) -> None:
        """Give the project back (removes the lock file; safe to call twice)."""
        if self._fh is None:
            return
        try:
            # Unlink while still locked: a waiting opener then sees another inode and retries.
            self.path.unlink()
        except OSError:
            pass
        self._fh.close()
        self._fh, self.path, self._pid_file = None, None, False

    def __enter__(self) -> ProjectLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def __del__(self) -> None:
        try:
            self.release()
        except Exception:
            pass


def _read_holder(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def describe_holder(holder: dict, unknown: str = "another latentlab window") -> str:
    """ "latentlab process 123 on h" for messages (``unknown`` if the lock file does not say)."""
    if not holder.get("pid"):
        return unknown
    return f"latentlab process {holder['pid']} on {holder.get('host', '?')}"

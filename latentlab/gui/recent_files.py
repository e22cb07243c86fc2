"""File → Open recent: stores and checkpoints opened lately, kept in the window's settings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMenu

from latentlab.gui.errors import guarded

MAX_RECENT = 8


class RecentFiles:
    """The recent paths in ``settings`` and the ``menu`` that lists them; choosing one calls
    ``open_recent(path, is_checkpoint)``."""

    def __init__(self, settings: QSettings, menu: QMenu, open_recent: Callable[[str, bool], object]) -> None:
        self.settings, self.menu, self._open = settings, menu, open_recent
        self.fill()

    def paths(self) -> list[str]:
        value = self.settings.value("recent", [])
        return [value] if isinstance(value, str) else list(value or [])

    def add(self, path: str) -> None:
        items = [p for p in self.paths() if p != path]
        self.settings.setValue("recent", [path, *items][:MAX_RECENT])
        self.fill()

    def forget(self, path: str) -> None:
        self.settings.setValue("recent", [p for p in self.paths() if p != path])
        self.fill()

    def fill(self) -> None:
        """Stores and checkpoints in sections of their own; entries gone from disk are left out."""
        self.menu.clear()
        paths = [p for p in self.paths() if Path(p).exists()]
        checkpoints = [p for p in paths if (Path(p) / "config.json").is_file()]
        stores = [p for p in paths if p not in checkpoints]
        for title, group, is_ckpt in (("Stores", stores, False), ("Checkpoints", checkpoints, True)):
            if group:
                self.menu.addSection(title)
            for path in group:
                act = self.menu.addAction(path, guarded(lambda p=path, c=is_ckpt: self._open(p, c)))
                act.setToolTip(path)
        self.menu.setEnabled(bool(paths))

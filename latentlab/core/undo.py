"""Undoable commands and the stack that records them (pure Python + psygnal, no Qt).

Every user edit of the curation state is a :class:`Command` pushed on an :class:`UndoStack`
(glue's ``CommandStack`` pattern): ``push`` runs ``command.redo()`` and records the command only if
that succeeded, so a command that refuses its input (raising before it changes anything) leaves
neither the state nor the history touched. Qt's ``QUndoStack`` would do the same but would pull Qt
into ``core``; the Edit menu in the GUI only mirrors this stack.
"""

from __future__ import annotations

from collections.abc import Iterable

from psygnal import Signal


class Command:
    """One reversible edit: ``redo()`` applies it, ``undo()`` restores the exact previous state.

    ``redo`` must raise before changing anything when the edit cannot be made; ``text`` names the
    edit for the Edit menu ("tag 12 clips as 'cats'").
    """

    text: str = ""

    def redo(self) -> None:
        raise NotImplementedError

    def undo(self) -> None:
        raise NotImplementedError


class MacroCommand(Command):
    """Several commands undone and redone as one step (e.g. "accept 40 suggestions").

    If a part fails while redoing, the parts already applied are undone before the error is raised,
    so a macro applies fully or not at all.
    """

    def __init__(self, text: str, commands: Iterable[Command]) -> None:
        self.text = text
        self.commands = list(commands)

    def redo(self) -> None:
        done: list[Command] = []
        try:
            for command in self.commands:
                command.redo()
                done.append(command)
        except Exception:
            for command in reversed(done):
                command.undo()
            raise

    def undo(self) -> None:
        for command in reversed(self.commands):
            command.undo()


class UndoStack:
    """A linear history of commands with a movable "clean" mark (the state last saved).

    Parameters
    ----------
    limit
        Keep at most this many commands (oldest dropped first); ``None`` keeps all.
    """

    changed = Signal()  # after push / undo / redo / clear / set_clean

    def __init__(self, limit: int | None = None) -> None:
        if limit is not None and limit < 1:
            raise ValueError(f"the undo limit must be at least 1, got {limit}")
        self.limit = limit
        self._commands: list[Command] = []
        self._index = 0  # commands[:index] are applied
        self._clean: int | None = 0  # index of the saved state; None = no longer reachable

    # ---------------------------------------------------------------------------- editing
    def push(self, command: Command) -> None:
        """Apply ``command`` (``redo``) and record it; commands that were undone are discarded.

        An exception from ``redo`` propagates and nothing is recorded.
        """
        command.redo()
        del self._commands[self._index :]
        if self._clean is not None and self._clean > self._index:
            self._clean = None  # the saved state was in the discarded redo branch
        self._commands.append(command)
        self._index += 1
        if self.limit is not None and len(self._commands) > self.limit:
            drop = len(self._commands) - self.limit
            del self._commands[:drop]
            self._index -= drop
            if self._clean is not None:
                self._clean = self._clean - drop if self._clean >= drop else None
        self.changed.emit()

    def undo(self) -> None:
        """Undo the last applied command (nothing happens when there is none)."""
        if not self.can_undo:
            return
        self._commands[self._index - 1].undo()
        self._index -= 1
        self.changed.emit()

    def redo(self) -> None:
        """Redo the last undone command (nothing happens when there is none)."""
        if not self.can_redo:
            return
        self._commands[self._index].redo()
        self._index += 1
        self.changed.emit()

    def clear(self) -> None:
        """Forget the history (e.g. another dataset was loaded); the current state counts as clean."""
        self._commands.clear()
        self._index = 0
        self._clean = 0
        self.changed.emit()

    def set_clean(self) -> None:
        """Mark the current state as saved."""
        self._clean = self._index
        self.changed.emit()

    # ---------------------------------------------------------------------------- queries
    @property
    def can_undo(self) -> bool:
        return self._index > 0

    @property
    def can_redo(self) -> bool:
        return self._index < len(self._commands)

    @property
    def undo_text(self) -> str:
        """The text of the command that :meth:`undo` would undo, ``""`` for none."""
        return self._commands[self._index - 1].text if self.can_undo else ""

    @property
    def redo_text(self) -> str:
        return self._commands[self._index].text if self.can_redo else ""

    @property
    def is_clean(self) -> bool:
        """True while the state is the one marked by :meth:`set_clean` (or the start)."""
        return self._clean == self._index

    @property
    def index(self) -> int:
        """How many recorded commands are applied."""
        return self._index

    def __len__(self) -> int:
        return len(self._commands)

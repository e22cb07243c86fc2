"""UndoStack: push/undo/redo order, texts, the clean mark, limits, failing commands, macros."""

from __future__ import annotations

import pytest

from latentlab.core.undo import Command, MacroCommand, UndoStack


class Append(Command):
    def __init__(self, log: list, value, fail: bool = False) -> None:
        self.log, self.value, self.fail = log, value, fail
        self.text = f"append {value}"

    def redo(self) -> None:
        if self.fail:
            raise ValueError("refused")
        self.log.append(self.value)

    def undo(self) -> None:
        assert self.log.pop() == self.value


def test_push_undo_redo_and_texts():
    log, stack, events = [], UndoStack(), []
    stack.changed.connect(lambda: events.append(1))
    assert not stack.can_undo and not stack.can_redo and stack.undo_text == "" and stack.is_clean
    stack.push(Append(log, 1))
    stack.push(Append(log, 2))
    assert log == [1, 2] and stack.undo_text == "append 2" and len(events) == 2
    stack.undo()
    assert log == [1] and stack.can_redo and stack.redo_text == "append 2" and stack.undo_text == "append 1"
    stack.redo()
    assert log == [1, 2] and not stack.can_redo
    stack.undo()
    stack.push(Append(log, 3))  # a new edit drops the undone one
    assert log == [1, 3] and not stack.can_redo and len(stack) == 2
    stack.undo(), stack.undo(), stack.undo()  # one more than there is: nothing happens
    assert log == [] and not stack.can_undo
    stack.redo(), stack.redo(), stack.redo()
    assert log == [1, 3]


def test_a_refused_command_changes_nothing():
    log, stack = [], UndoStack()
    stack.push(Append(log, 1))
    with pytest.raises(ValueError, match="refused"):
        stack.push(Append(log, 2, fail=True))
    assert log == [1] and len(stack) == 1 and stack.undo_text == "append 1"


def test_clean_mark_follows_saves_undo_and_discarded_branches():
    log, stack = [], UndoStack()
    stack.push(Append(log, 1))
    assert not stack.is_clean
    stack.set_clean()
    assert stack.is_clean
    stack.push(Append(log, 2))
    assert not stack.is_clean
    stack.undo()
    assert stack.is_clean  # back at the saved state
    stack.undo()
    assert not stack.is_clean
    stack.push(Append(log, 9))  # the saved state [1] can no longer be reached by undo/redo
    stack.undo()
    stack.redo()
    assert not stack.is_clean
    stack.clear()
    assert stack.is_clean and not stack.can_undo and log == [9]


def test_limit_drops_the_oldest():
    log, stack = [], UndoStack(limit=2)
    for v in range(4):
        stack.push(Append(log, v))
    assert len(stack) == 2
    stack.undo(), stack.undo(), stack.undo()
    assert log == [0, 1] and not stack.can_undo
    with pytest.raises(ValueError):
        UndoStack(limit=0)


def test_macro_is_one_step_and_all_or_nothing():
    log, stack = [], UndoStack()
    stack.push(MacroCommand("two", [Append(log, 1), Append(log, 2)]))
    assert log == [1, 2] and len(stack) == 1 and stack.undo_text == "two"
    stack.undo()
    assert log == []
    stack.redo()
    assert log == [1, 2]
    with pytest.raises(ValueError):
        stack.push(MacroCommand("bad", [Append(log, 3), Append(log, 4, fail=True)]))
    assert log == [1, 2] and len(stack) == 1

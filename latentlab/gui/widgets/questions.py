"""A question with buttons of one's own words, answered by the button pressed."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox


def ask(parent, title: str, text: str, buttons: list[str]) -> str:
    """Ask a question with ``buttons`` (texts); return the one pressed (the last one if closed).
    Tests replace this function."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
    made = [
        box.addButton(
            b,
            QMessageBox.ButtonRole.AcceptRole
            if i == 0
            else QMessageBox.ButtonRole.RejectRole
            if i == len(buttons) - 1
            else QMessageBox.ButtonRole.DestructiveRole,
        )
        for i, b in enumerate(buttons)
    ]
    box.exec()
    clicked = box.clickedButton()
    return buttons[made.index(clicked)] if clicked in made else buttons[-1]

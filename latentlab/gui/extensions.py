"""Feature modules that plug into the explorer window.

Each entry is a module of ``latentlab.gui`` with ``install(window) -> object``: it adds its docks,
menus and actions to the :class:`~latentlab.gui.main_window.MainWindow` and returns the object that
owns them; the window keeps it as ``window.extensions[name]``. Keeping features here (instead of in
``main_window.py``) lets curation, teaching and training grow without one ever-longer window class.
"""

from __future__ import annotations

import importlib

#: Short name -> module (installed in this order).
EXTENSIONS: dict[str, str] = {
    "curation": "latentlab.gui.curation",
    "project": "latentlab.gui.project_controller",
    "export": "latentlab.gui.export_dialog",
    "teach": "latentlab.gui.teach",
    "training": "latentlab.gui.training_panel",
    "compare": "latentlab.gui.model_compare",
}


def install_all(window) -> dict[str, object]:
    """Install every extension into ``window``; return ``{name: installed object}``."""
    return {name: importlib.import_module(module).install(window) for name, module in EXTENSIONS.items()}

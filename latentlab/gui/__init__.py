"""The explorer GUI (PySide6 + pyqtgraph): the only layer that imports Qt."""

import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from latentlab.gui import _pyside_check  # noqa: E402

_pyside_check.check()

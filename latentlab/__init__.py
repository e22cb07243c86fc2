"""latentlab: see and touch what a video VAE has learned.

Layers (imports run one way, checked by import-linter in CI)::

    gui  -> ml -> media -> core

``core`` is pure Python + numpy, ``media`` alone uses OpenCV, ``ml`` alone uses torch and ``gui``
alone uses Qt. Importing ``latentlab`` itself imports none of them.
"""

__version__ = "0.1.0"

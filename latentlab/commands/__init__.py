"""One module per ``latentlab`` sub-command: ``add_arguments(parser)`` and ``run(args) -> int``.

Modules here import torch, Qt and OpenCV only inside ``run`` so that ``--help`` stays instant.
"""

"""Choosing the torch device: ``auto`` picks a local GPU when there is one."""

from __future__ import annotations

import torch

from latentlab.core.errors import UserError
from latentlab.ml.config import DEVICE_CHOICES


class DeviceError(RuntimeError, UserError):
    """A device that was asked for but is not available here."""


def resolve_device(name: str = "auto", local_rank: int | None = None) -> torch.device:
    """``auto`` -> CUDA if available, else Apple MPS, else CPU; an explicit choice must exist.

    ``local_rank`` picks the GPU of one process under ``torchrun``.
    """
    name = (name or "auto").lower()
    if name not in DEVICE_CHOICES and not name.startswith("cuda:"):
        raise DeviceError(f"unknown device {name!r}; choose one of {', '.join(DEVICE_CHOICES)}")
    if name == "auto":
        if torch.cuda.is_available():
            name = "cuda"
        elif _mps_available():
            name = "mps"
        else:
            name = "cpu"
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DeviceError("CUDA was asked for but no CUDA GPU is available to this torch build")
        if name == "cuda" and local_rank is not None:
            return torch.device("cuda", local_rank % torch.cuda.device_count())
    if name == "mps" and not _mps_available():
        raise DeviceError("MPS was asked for but is not available (it needs Apple silicon and macOS)")
    return torch.device(name)


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())

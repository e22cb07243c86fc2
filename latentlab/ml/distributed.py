"""One process or many: the same training code under ``torchrun --nproc_per_node=N``.

``torchrun`` sets ``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE``; with ``WORLD_SIZE`` > 1 the context
joins the process group (gloo on CPU, NCCL on CUDA) and wraps the model in
DistributedDataParallel. A single process (the GUI, a plain ``latentlab train``) runs the same
code with ``world_size`` 1 and no process group.
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from latentlab.ml.device import resolve_device


class DistContext:
    """Context manager: process-group set-up and tear-down, device, rank and world size."""

    def __init__(self, device: str = "auto") -> None:
        self._device_name = device
        self._owns_group = False
        self.rank, self.world_size, self.local_rank = 0, 1, None
        self.device = torch.device("cpu")

    def __enter__(self) -> DistContext:
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world > 1 or dist.is_initialized():
            self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
            self.device = resolve_device(self._device_name, self.local_rank)
            if not dist.is_initialized():
                if self.device.type == "cuda":
                    torch.cuda.set_device(self.device)
                dist.init_process_group("nccl" if self.device.type == "cuda" else "gloo")
                self._owns_group = True
            self.rank, self.world_size = dist.get_rank(), dist.get_world_size()
        else:
            self.device = resolve_device(self._device_name)
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if self._owns_group and dist.is_initialized():
            if exc_type is None:
                # Leave together: a process that tore its group down while another still worked
                # (rank 0 writing the final checkpoint) could abort at exit and fail the whole run.
                dist.barrier()
            dist.destroy_process_group()

    @property
    def is_main(self) -> bool:
        """Rank 0: the only process that validates, prints and writes files."""
        return self.rank == 0

    def wrap(self, model: torch.nn.Module) -> torch.nn.Module:
        """The model wrapped for gradient all-reduce when there are several processes."""
        if self.world_size == 1:
            return model
        ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(model, device_ids=ids)

    def mean(self, value: float) -> float:
        """The mean of ``value`` over every process (itself with one process)."""
        if self.world_size == 1:
            return value
        t = torch.tensor([value], dtype=torch.float64, device=self.device)
        dist.all_reduce(t)
        return float(t.item()) / self.world_size

    def barrier(self) -> None:
        if self.world_size > 1:
            dist.barrier()

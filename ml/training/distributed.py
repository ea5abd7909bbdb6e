"""Data-parallel training under torchrun: `torchrun --nproc_per_node=N -m ml train ...`.

torchrun sets WORLD_SIZE, RANK and LOCAL_RANK; without them training runs in one process as
before. Backend: NCCL when each process has a CUDA device, gloo on CPU. Every rank trains on
its share of each global batch (the global batch size and step count stay those of one process,
so learning rates carry over); only rank 0 evaluates, writes checkpoints and logs, and sends
the validation metrics to the other ranks so all of them take the same early-stopping decision.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist


@dataclass
class DistContext:
    rank: int = 0
    world_size: int = 1
    device: torch.device = torch.device("cpu")
    owns_group: bool = False  # we initialised the process group, so we tear it down

    @property
    def backend(self) -> str:
        return dist.get_backend() if self.enabled else "none"

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    def shard(self, batch_indices: torch.Tensor) -> torch.Tensor:
        """This rank's part of a global batch (every world_size-th item)."""
        return batch_indices[self.rank :: self.world_size]

    def broadcast(self, value: Any) -> Any:
        """Rank 0's value on every rank."""
        if not self.enabled:
            return value
        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def barrier(self) -> None:
        if self.enabled:
            dist.barrier()

    def close(self) -> None:
        if self.owns_group and dist.is_initialized():
            dist.destroy_process_group()


def resolve_device(requested: str, local_rank: int = 0) -> torch.device:
    """auto: CUDA when available (this process's local GPU under torchrun), else CPU."""
    if requested == "auto":
        requested = "cuda" if torch.cuda.is_available() else "cpu"
    if requested.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(f"device {requested!r} asked for, but this machine has no CUDA device")
        return torch.device(f"cuda:{local_rank}" if requested == "cuda" else requested)
    if requested != "cpu":
        raise ValueError(f"device must be auto, cpu, cuda or cuda:N, got {requested!r}")
    return torch.device("cpu")


def setup(requested_device: str) -> DistContext:
    """Read torchrun's environment and join the process group when there is more than one process."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank, local_rank = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    device = resolve_device(requested_device, local_rank)
    if world_size <= 1:
        return DistContext(device=device)
    owns = not dist.is_initialized()
    if owns:
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend=backend)
    return DistContext(rank=rank, world_size=world_size, device=device, owns_group=owns)

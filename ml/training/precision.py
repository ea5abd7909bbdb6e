"""Mixed precision and channels-last memory format: decided once per run, applied to every step.

On CUDA a run trains under torch.autocast (bfloat16 where the GPU supports it; otherwise float16
with a GradScaler, whose loss scaling keeps small fp16 gradients from flushing to zero) and, for
models with 2-D convolutions, keeps weights and inputs in channels_last, which tensor-core
convolutions prefer. On CPU both stay off whatever the config says, so CPU runs compute exactly
as before these options existed; the plan's notes say why, and the loop logs them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class PrecisionPlan:
    """How the training steps compute: autocast dtype (None = float32), loss scaling, memory format."""

    device_type: str = "cpu"
    autocast_dtype: torch.dtype | None = None
    grad_scaler: bool = False
    channels_last: bool = False
    notes: tuple[str, ...] = ()

    def autocast(self) -> contextlib.AbstractContextManager:
        """The context a forward pass and its loss run in."""
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=self.autocast_dtype)

    @property
    def memory_format(self) -> torch.memory_format:
        return torch.channels_last if self.channels_last else torch.contiguous_format

    def make_scaler(self) -> torch.amp.GradScaler | None:
        """A GradScaler for float16 autocast, else None (bfloat16 has float32's range and needs none)."""
        return torch.amp.GradScaler(self.device_type) if self.grad_scaler else None


def has_conv2d(model: torch.nn.Module) -> bool:
    """Whether the model has a 2-D convolution, the layers channels_last speeds up."""
    return any(isinstance(m, torch.nn.Conv2d) for m in model.modules())


def plan_precision(
    device: torch.device, amp: bool, channels_last: bool, conv2d: bool, bf16_supported: bool | None = None
) -> PrecisionPlan:
    """Decide autocast and memory format for a run on `device` from the config's amp/channels_last flags.

    bf16_supported: whether the CUDA device computes bfloat16 (asked of torch when None). Both
    options need CUDA; requested on another device they are dropped with a note saying so.
    """
    if device.type != "cuda":
        notes = tuple(
            f"{name} ignored on {device.type}: it is a CUDA option; training in float32, contiguous format"
            for name, wanted in (("amp", amp), ("channels_last", channels_last))
            if wanted
        )
        return PrecisionPlan(device_type=device.type, notes=notes)
    notes: list[str] = []
    dtype, scaler = None, False
    if amp:
        if bf16_supported is None:
            bf16_supported = torch.cuda.is_bf16_supported()
        dtype, scaler = (torch.bfloat16, False) if bf16_supported else (torch.float16, True)
        notes.append(f"amp: autocast to {str(dtype).removeprefix('torch.')}" + (" with GradScaler" if scaler else ""))
    if channels_last and not conv2d:
        notes.append("channels_last skipped: the model has no 2-D convolution")
    use_channels_last = channels_last and conv2d
    if use_channels_last:
        notes.append("channels_last: model and inputs in channels_last memory format")
    return PrecisionPlan("cuda", dtype, scaler, use_channels_last, tuple(notes))


def optimizer_step(
    compute_loss: Callable[[], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    plan: PrecisionPlan,
    scaler: torch.amp.GradScaler | None = None,
) -> torch.Tensor:
    """One training step: the loss under the plan's autocast, backward (scaled with a GradScaler), step.

    Returns the loss, detached. With a scaler, a step whose gradients overflowed is skipped and the
    scale lowered, as GradScaler does.
    """
    with plan.autocast():
        loss = compute_loss()
    optimizer.zero_grad(set_to_none=True)
    if scaler is None:
        loss.backward()
        optimizer.step()
    else:
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    return loss.detach()

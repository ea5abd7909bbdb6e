"""Mixed precision and channels-last memory format: decided once per run, applied to every step.

On CUDA a run trains under torch.autocast (bfloat16 where the GPU supports it; otherwise float16
with a GradScaler, whose loss scaling keeps small fp16 gradients from flushing to zero). On a CPU
with native bfloat16 (AVX512-BF16 or AMX: oneDNN then runs convolutions and matrix products in
bf16 at several times the float32 speed) a run trains under CPU autocast to bfloat16; a CPU
without it trains in float32, and the plan's notes say why. Models with 2-D convolutions keep
weights and inputs in channels_last on both devices, the layout oneDNN's and the tensor cores'
convolutions prefer. Weights, optimizer state and losses stay float32 throughout. The loop logs
the notes; validation runs in float32, as the served model does.
"""

from __future__ import annotations

import contextlib
import functools
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

    def summary(self) -> str:
        """How the steps computed, in words for history.json and model cards: "bfloat16 autocast, channels_last"."""
        dtype = "float32" if self.autocast_dtype is None else str(self.autocast_dtype).removeprefix("torch.")
        parts = [f"{dtype} autocast" if self.autocast_dtype is not None else dtype]
        if self.grad_scaler:
            parts.append("GradScaler")
        parts.append("channels_last" if self.channels_last else "contiguous")
        return f"{', '.join(parts)} on {self.device_type}"

    def make_scaler(self) -> torch.amp.GradScaler | None:
        """A GradScaler for float16 autocast, else None (bfloat16 has float32's range and needs none)."""
        return torch.amp.GradScaler(self.device_type) if self.grad_scaler else None


def has_conv2d(model: torch.nn.Module) -> bool:
    """Whether the model has a 2-D convolution, the layers channels_last speeds up."""
    return any(isinstance(m, torch.nn.Conv2d) for m in model.modules())


CPU_BF16_FLAGS = ("avx512_bf16", "amx_bf16")  # /proc/cpuinfo flags of native bfloat16 arithmetic


def _cpuinfo_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


@functools.cache
def cpu_bf16_support() -> tuple[bool, str]:
    """Whether this CPU computes bfloat16 natively, and the evidence (or the reason it does not).

    Without AVX512-BF16 or AMX, oneDNN emulates bf16 and autocast would run slower than float32,
    so only native support counts. torch's own AVX512-BF16 probe and the /proc/cpuinfo flags are
    both asked (torch has no probe for AMX-BF16 itself, only for AMX tiles; some builds lack probes).
    """
    if not torch.backends.mkldnn.is_available():
        return False, "this torch build has no oneDNN (mkldnn), which CPU bfloat16 kernels need"
    found = set(_cpuinfo_flags()) & set(CPU_BF16_FLAGS)
    if getattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)():
        found.add("avx512_bf16")
    if found:
        return True, "CPU has " + " and ".join(sorted(found))
    return False, "this CPU has neither avx512_bf16 nor amx_bf16 (bfloat16 would be emulated, slower than float32)"


def plan_precision(
    device: torch.device, amp: bool, channels_last: bool, conv2d: bool, bf16_supported: bool | None = None
) -> PrecisionPlan:
    """Decide autocast and memory format for a run on `device` from the config's amp/channels_last flags.

    bf16_supported: whether the device computes bfloat16 natively (asked of torch / the CPU when
    None; pass False to force the float32 fallback). On CUDA without bf16, amp means float16 with
    a GradScaler; on a CPU without it, amp falls back to float32 with a note giving the reason.
    """
    if device.type not in ("cuda", "cpu"):
        notes = tuple(
            f"{name} ignored on {device.type}: training in float32, contiguous format"
            for name, wanted in (("amp", amp), ("channels_last", channels_last))
            if wanted
        )
        return PrecisionPlan(device_type=device.type, notes=notes)
    notes: list[str] = []
    dtype, scaler = None, False
    if amp and device.type == "cpu":
        reason = "forced off" if bf16_supported is False else ""
        if bf16_supported is None:
            bf16_supported, reason = cpu_bf16_support()
        if bf16_supported:
            dtype = torch.bfloat16
            notes.append(f"amp: CPU autocast to bfloat16 ({reason or 'native bf16'})")
        else:
            notes.append(f"amp: bfloat16 not used on this CPU ({reason}); training in float32")
    elif amp:
        if bf16_supported is None:
            bf16_supported = torch.cuda.is_bf16_supported()
        dtype, scaler = (torch.bfloat16, False) if bf16_supported else (torch.float16, True)
        notes.append(f"amp: autocast to {str(dtype).removeprefix('torch.')}" + (" with GradScaler" if scaler else ""))
    if channels_last and not conv2d:
        notes.append("channels_last skipped: the model has no 2-D convolution")
    use_channels_last = channels_last and conv2d
    if use_channels_last:
        notes.append("channels_last: model and inputs in channels_last memory format")
    return PrecisionPlan(device.type, dtype, scaler, use_channels_last, tuple(notes))


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

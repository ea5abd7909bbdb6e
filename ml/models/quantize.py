"""8-bit post-training quantization of a network's convolutional trunk, for faster CPU inference.

    state = quantize_state(model, calibration_batch)      # once, on a few hundred training crops
    fast = quantized_model(model, state)                   # at every load, from the stored state

The trunk (`model.backbone.features`) is traced with torch.fx, its conv-BN-ReLU runs are fused and
observed on the calibration crops (static activation ranges), then converted to int8 kernels;
the heads stay float32 (they are a few thousand multiply-adds). The state is the converted trunk's
state dict, which loads into the same trace of a freshly built network, so a checkpoint stores it
as plain tensors (`Checkpoint.int8`, read with weights_only) and no pickled module.

torch marks its torch.ao quantization API deprecated (in favour of torchao) but still ships it;
the stored state is plain tensors, so moving to another quantizer only means re-running the command.
Only trunks torch.fx can trace qualify (ml/models/cnn.py's nets, torchvision's VGG/ResNet); the
others raise ValueError. Accuracy is not guaranteed: `python -m ml quantize` measures it against
the float network on a labelled split before it writes anything.
"""

from __future__ import annotations

import copy
import warnings

import torch
from torch import nn

# oneDNN's int8 kernels were the fastest of torch's x86 engines for these nets (docs/benchmarks.md).
ENGINE = "onednn"


def quantize_state(model: nn.Module, calibration: torch.Tensor, batch_size: int = 256) -> dict:
    """Quantize a copy of `model`'s trunk, calibrating activation ranges on `calibration` (preprocessed
    crops, N x C x H x W); returns what `quantized_model` rebuilds it from."""
    if len(calibration) == 0:
        raise ValueError("quantization needs at least one calibration crop")
    prepared = _prepare(model, calibration[:2])
    with torch.no_grad():
        for start in range(0, len(calibration), batch_size):
            prepared(calibration[start : start + batch_size])
    converted = _convert(prepared)
    return {"engine": ENGINE, "calibration_items": len(calibration), "state_dict": converted.state_dict()}


def quantized_model(model: nn.Module, state: dict) -> nn.Module:
    """A copy of `model` (with the trained float weights) whose trunk runs the stored int8 trunk."""
    if state.get("engine") != ENGINE:
        raise ValueError(f"int8 weights were made for the {state.get('engine')!r} engine; this code uses {ENGINE!r}")
    size = getattr(model, "input_size", 48)
    example = torch.zeros(2, getattr(model, "in_chans", 1), size, size)
    with warnings.catch_warnings():
        # The rebuilt trunk is never calibrated: its scales come from the stored state just below.
        warnings.filterwarnings("ignore", message="must run observer before calling calculate_qparams")
        trunk = _convert(_prepare(model, example))
    trunk.load_state_dict(state["state_dict"])
    fast = copy.deepcopy(model).eval()
    fast.backbone.features = trunk
    return fast


def _prepare(model: nn.Module, example: torch.Tensor) -> nn.Module:
    from torch.ao.quantization import get_default_qconfig_mapping  # noqa: PLC0415 (heavy, rarely used)
    from torch.ao.quantization.quantize_fx import prepare_fx  # noqa: PLC0415

    torch.backends.quantized.engine = ENGINE
    trunk = copy.deepcopy(model.backbone.features).eval()
    try:
        return prepare_fx(trunk, get_default_qconfig_mapping(ENGINE), (example,))
    except Exception as exc:  # torch.fx raises many kinds of error on untraceable code
        raise ValueError(f"{getattr(model, 'arch', 'this')} trunk cannot be traced for quantization: {exc}") from exc


def _convert(prepared: nn.Module) -> nn.Module:
    from torch.ao.quantization.quantize_fx import convert_fx  # noqa: PLC0415

    return convert_fx(prepared)

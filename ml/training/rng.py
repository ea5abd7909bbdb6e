"""The random-number state a resumed run needs to continue exactly as an uninterrupted one would.

The loop's per-epoch generators (shuffling, augmentation, drawn labels) are re-seeded from
(seed, epoch) at the start of every epoch, so they need no saving. What carries over from one
epoch to the next is the global state: torch's CPU generator (dropout, and any layer that draws
at random in training), the CUDA generators when there are any, and numpy's and Python's global
generators in case a model or library draws from them. All is stored as plain types and tensors
so a checkpoint still loads with torch.load(weights_only=True).
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch


def capture_rng_state() -> dict[str, Any]:
    """The global generators' states, to put in a training checkpoint."""
    kind, keys, position, has_gauss, cached = np.random.get_state()
    python_version, python_internal, python_gauss = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": {
            "kind": kind,
            "keys": torch.from_numpy(keys.astype(np.int64)),
            "position": int(position),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached),
        },  # fmt: skip
        "python": {"version": python_version, "internal": list(python_internal), "gauss": python_gauss},
    }


def restore_rng_state(state: dict[str, Any]) -> None:
    """Put back the states capture_rng_state took. CUDA states are restored only onto as many devices."""
    torch.set_rng_state(state["torch"])
    cuda = state.get("cuda") or []
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)
    if "numpy" in state:
        n = state["numpy"]
        keys = n["keys"].numpy().astype(np.uint32)
        np.random.set_state((n["kind"], keys, n["position"], n["has_gauss"], n["cached_gaussian"]))
    if "python" in state:
        p = state["python"]
        random.setstate((p["version"], tuple(p["internal"]), p["gauss"]))

"""Reading a number setting of the face pipeline from the environment, with one clear error."""

from __future__ import annotations

import os
from collections.abc import Callable


def env_number(name: str, default: float, cast: Callable[[str], float], low: float, high: float, unit: str):
    """$name cast to a number in [low, high], or `default` when unset; ValueError naming the setting."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    kind = "a whole number" if cast is int else "a number"
    try:
        value = cast(raw)
    except ValueError:
        raise ValueError(f"{name} must be {kind} of {unit}, got {raw!r}") from None
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low:g} and {high:g} {unit}, got {raw!r}")
    return value

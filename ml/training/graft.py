"""Give a trained classifier the valence/arousal head of a run that kept its backbone frozen.

The bundled FER+ model's V/A head learned V/A *derived* from emotion votes: FER+ has no V/A
annotations. A run that starts from the same checkpoint with its backbone frozen for every epoch
(`python -m ml train --task va --pretrained-path BASE --freeze-backbone-epochs N --epochs N`) learns
a V/A head on annotated faces over exactly the base's features. Moving that head back into the
base changes nothing else: the trunk, the emotion head (so emotion accuracy) and the int8 trunk
stay the base's, byte for byte. The result records where its V/A head came from, so its card and
the result page can say what it learned from (`va_learned_on`, e.g. "synthetic faces").

BatchNorm buffers are not compared: a frozen backbone still updates its running statistics in
training mode, and the graft keeps the base's. The grafted file is what gets measured
(bench/bench_va_learned.py), not the run it came from.
"""

from __future__ import annotations

import torch

from ml.checkpoint import Checkpoint

VA_HEAD_PREFIX = "va_head."


def graft_va_head(base: Checkpoint, donor: Checkpoint, learned_on: str) -> Checkpoint:
    """`base` with `donor`'s V/A head; ValueError unless the donor's trainable backbone is the base's."""
    if not learned_on.strip():
        raise ValueError("say what the V/A head learned on (e.g. 'synthetic faces'): the card and result page show it")
    for name, what in (("arch", "architecture"), ("input_size", "input size"), ("in_chans", "channels")):
        if getattr(base, name) != getattr(donor, name):
            theirs, ours = getattr(donor, name), getattr(base, name)
            raise ValueError(f"the donor's {what} {theirs!r} differs from the base's {ours!r}")
    if not (base.va_head and donor.va_head):
        raise ValueError("both checkpoints need a valence/arousal head")
    if (donor.metrics or {}).get("va_labels") != "annotated":
        raise ValueError("the donor's V/A head was not trained on annotated valence/arousal (metrics va_labels)")
    changed = _changed_backbone_weights(base, donor)
    if changed:
        raise ValueError(
            f"the donor's backbone differs from the base's in {len(changed)} tensors (first: {changed[0]}): "
            "its V/A head reads other features; train it with the backbone frozen for every epoch"
        )
    state = dict(base.state_dict)
    state.update({k: v.clone() for k, v in donor.state_dict.items() if k.startswith(VA_HEAD_PREFIX)})
    metrics = {k: v for k, v in (base.metrics or {}).items() if not _is_va_figure(k) and k != "va_labels"}
    metrics.update(
        va_labels="annotated",
        va_learned_on=learned_on.strip(),
        va_graft={
            "data": donor.config.get("data"),
            "val_data": donor.config.get("val_data"),
            "epoch": donor.epoch,
            "data_fingerprint": donor.data_fingerprint,
            "metrics": {k: v for k, v in donor.metrics.items() if _is_va_figure(k)},
        },
    )
    return Checkpoint(
        arch=base.arch,
        label_set=base.label_set,
        input_size=base.input_size,
        in_chans=base.in_chans,
        mean=base.mean,
        std=base.std,
        state_dict=state,
        va_head=True,
        config=base.config,
        metrics=metrics,
        data_fingerprint=base.data_fingerprint,
        epoch=base.epoch,
        num_keypoints=base.num_keypoints,
        int8=base.int8,  # the int8 trunk quantized the base's trunk, which is unchanged; heads run in float
    )


def _changed_backbone_weights(base: Checkpoint, donor: Checkpoint) -> list[str]:
    """Learned tensors outside the heads that differ (BatchNorm running statistics excepted)."""
    changed = []
    for name, tensor in base.state_dict.items():
        if not name.startswith("backbone.") or name.endswith(("running_mean", "running_var", "num_batches_tracked")):
            continue
        other = donor.state_dict.get(name)
        if other is None or other.shape != tensor.shape or not torch.equal(other, tensor):
            changed.append(name)
    return changed


def _is_va_figure(key: str) -> bool:
    """A metric that describes the V/A head (valence_ccc, va_rmse, va_evaluated...), not its provenance."""
    return key.startswith(("valence_", "arousal_", "va_")) and key != "va_labels"

"""Which targets the emotion head learns from FER+ crowd votes (Barsoum et al., ICMI 2016, section 4).

- majority (the paper's MV): one-hot of the most-voted emotion, every epoch the same.
- distribution (CEL, cross-entropy loss): the vote distribution itself as a soft target.
- probability (PLD, probabilistic label drawing): each epoch, each face's target is one class
  drawn at random from its vote distribution, so over many epochs a face is taught each emotion
  as often as the taggers chose it. The draw is seeded by (seed, epoch): a resumed run draws the
  same labels, and every DDP rank draws the same ones.
The paper's fourth scheme (multi-label learning) is not implemented.
"""

from __future__ import annotations

import torch

VOTE_MODES = ("distribution", "probability")  # modes that need vote distributions
_LABEL_SEED_OFFSET = 50_000_017  # keeps the label draws apart from the order/augmentation generators


def resolve_label_mode(label_mode: str, has_votes: bool, task: str) -> str:
    """The mode a run uses: majority, distribution or probability. auto = distribution when votes exist.

    Keypoint runs have no emotion targets, so they always use majority (their emotion head idles).
    """
    if label_mode in VOTE_MODES and not has_votes:
        raise ValueError(f"label_mode={label_mode} needs vote data (e.g. FER+ label.csv)")
    if task == "keypoints":
        return "majority"
    if label_mode == "auto":
        return "distribution" if has_votes else "majority"
    return label_mode


def label_generator(seed: int, epoch: int) -> torch.Generator:
    """The generator of one epoch's drawn labels: a function of (seed, epoch) only."""
    return torch.Generator().manual_seed(seed * 100_003 + epoch + _LABEL_SEED_OFFSET)


def draw_labels(distributions: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """One class per row drawn from (N, C) distributions, returned one-hot (N, C) float32."""
    drawn = torch.multinomial(distributions.double(), 1, generator=generator).squeeze(1)
    return torch.nn.functional.one_hot(drawn, distributions.shape[1]).to(torch.float32)

"""Class activation maps read a feature map the network keeps (post-ReLU, >= 6x6) for every architecture."""

from __future__ import annotations

import pytest
import torch

from ml.models import create_model
from ml.saliency import MIN_CAM_SIDE, cam_target, is_degenerate, saliency_map


@pytest.mark.parametrize("arch", ["vgg_fer", "vgg_fer_fast", "simple_cnn", "mldrnet", "resnet18"])
def test_target_is_the_deepest_non_negative_map_of_at_least_6x6(arch):
    torch.manual_seed(0)
    model = create_model(arch, input_size=48).eval()
    x = torch.rand(1, 1, 48, 48)

    target = cam_target(model, x)
    captured = []
    handle = target.module.register_forward_hook(lambda _m, _i, out: captured.append(out.detach().clone()))
    with torch.no_grad():
        model(x)
    handle.remove()

    assert min(target.shape[2:]) >= MIN_CAM_SIDE
    assert captured[target.call].min() >= 0  # after the ReLU: Grad-CAM's sum cannot be negative everywhere
    assert cam_target(model, x) is target  # probed once per architecture and input shape
    assert not is_degenerate(saliency_map(model, x, 0, "gradcam++"))


def test_unknown_method_lists_the_choices():
    model = create_model("vgg_fer_fast").eval()
    with pytest.raises(ValueError, match="gradcam\\+\\+"):
        saliency_map(model, torch.rand(1, 1, 48, 48), 0, "lime")

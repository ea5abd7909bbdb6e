"""The inference rewrite (BN folding, channels-last) must not change what a network computes."""

import pytest
import torch
from torch import nn

from ml.models import create_model
from ml.models.inference import fold_batchnorm, for_inference


def _trained_looking(model: nn.Module) -> nn.Module:
    """Give every BN non-trivial statistics and affine terms, as training would: the identity BN of a
    fresh model would fold into nothing and hide a wrong formula."""
    generator = torch.Generator().manual_seed(0)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            n = module.num_features
            module.running_mean.copy_(torch.randn(n, generator=generator) * 0.5)
            module.running_var.copy_(torch.rand(n, generator=generator) + 0.5)
            module.weight.data.copy_(torch.rand(n, generator=generator) + 0.5)
            module.bias.data.copy_(torch.randn(n, generator=generator) * 0.1)
    return model.eval()


@pytest.mark.parametrize("arch", ["vgg_fer", "vgg_fer_fast", "simple_cnn", "mldrnet"])
def test_for_inference_gives_the_same_outputs(arch):
    model = _trained_looking(create_model(arch, num_classes=7, va_head=True))
    fast = for_inference(model)
    x = torch.randn(4, 1, 48, 48, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected, got = model(x), fast(x)
    torch.testing.assert_close(got.logits, expected.logits, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(got.va, expected.va, rtol=1e-4, atol=1e-4)


def test_every_conv_bn_pair_is_folded_and_the_original_is_untouched():
    model = _trained_looking(create_model("vgg_fer", num_classes=7))
    bns = sum(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    fast = for_inference(model)
    assert bns == 8 and sum(isinstance(m, nn.BatchNorm2d) for m in fast.modules()) == 0
    assert sum(isinstance(m, nn.BatchNorm2d) for m in model.modules()) == bns  # a copy was rewritten
    assert all(p.is_contiguous(memory_format=torch.channels_last) for p in fast.parameters() if p.ndim == 4)


def test_a_bn_that_does_not_follow_a_conv_is_kept():
    net = nn.Sequential(nn.BatchNorm2d(1), nn.Conv2d(1, 4, 3), nn.ReLU(), nn.BatchNorm2d(4))
    assert fold_batchnorm(net.eval()) == 0
    assert sum(isinstance(m, nn.BatchNorm2d) for m in net.modules()) == 2

"""Pre-activation ResNets V2: block structure, Keras' sizes, small inputs and local pretrained weights."""

import pytest
import torch
from torch import fx, nn

from ml.models import count_parameters, create_model
from ml.models.resnet_v2 import PreActBottleneck

# Keras' ResNet{50,101,152}V2(include_top=False) parameter totals; Keras counts BatchNorm's moving
# mean and variance as (non-trainable) parameters, PyTorch keeps them as buffers.
KERAS_PARAMS = {"resnet50v2": 23_564_800, "resnet101v2": 42_626_560, "resnet152v2": 58_331_648}


def _consumers(traced: fx.GraphModule, node: fx.Node) -> list[str]:
    """What reads a node: module types for submodule calls, else the function's name."""
    modules = dict(traced.named_modules())
    kinds = []
    for user in node.users:
        if user.op == "call_module":
            kinds.append(type(modules[user.target]).__name__)
        else:
            kinds.append(getattr(user.target, "__name__", str(user.target)))
    return sorted(kinds)


@pytest.mark.parametrize(
    ("block", "shortcut_reads"),
    [
        (PreActBottleneck(256, 64), "Identity"),  # identity shortcut: the raw input goes on to the sum
        (PreActBottleneck(256, 64, stride=2), "MaxPool2d"),  # a stage's strided last block
        (PreActBottleneck(64, 64, project=True), None),  # projection: the conv reads the activated input
    ],
)
def test_blocks_are_pre_activation(block, shortcut_reads):
    traced = fx.symbolic_trace(block)
    placeholder = next(n for n in traced.graph.nodes if n.op == "placeholder")
    expected = sorted(["BatchNorm2d"] + ([shortcut_reads] if shortcut_reads else []))
    assert _consumers(traced, placeholder) == expected  # no convolution sees the un-normalised input
    output = next(n for n in traced.graph.nodes if n.op == "output")
    last = output.args[0]
    assert last.op == "call_function" and last.target.__name__ == "add"  # nothing after the addition


def test_an_identity_block_with_a_silent_residual_passes_its_input_unchanged():
    block = PreActBottleneck(256, 64).eval()
    nn.init.zeros_(block.residual[-1].weight)
    nn.init.zeros_(block.residual[-1].bias)
    x = torch.randn(2, 256, 6, 6)  # negative values too: a post-activation ReLU after the sum would clip them
    with torch.no_grad():
        torch.testing.assert_close(block(x), x)


@pytest.mark.parametrize("name", sorted(KERAS_PARAMS))
def test_sizes_match_keras(name):
    backbone = create_model(name, in_chans=3, input_size=224, va_head=False).backbone
    norms = [m for m in backbone.modules() if isinstance(m, nn.BatchNorm2d)]
    moving_stats = sum(m.running_mean.numel() + m.running_var.numel() for m in norms)
    assert count_parameters(backbone) + moving_stats == KERAS_PARAMS[name]
    assert backbone.feature_dim == 2048


def test_stage_strides_sit_in_the_last_block_and_the_last_stage_keeps_its_resolution():
    trunk = create_model("resnet50v2", input_size=64).backbone.features[0]
    stages = trunk[1:5]
    assert [[b.residual[3].stride[0] for b in stage] for stage in stages] == [
        [1, 1, 2], [1, 1, 1, 2], [1, 1, 1, 1, 1, 2], [1, 1, 1],
    ]  # fmt: skip
    assert [b.project for b in stages[1]] == [True, False, False, False]
    shapes = []
    x = torch.zeros(1, 1, 64, 64)
    with torch.no_grad():
        for layer in trunk:
            x = layer(x)
            shapes.append(x.shape[-1])
    assert shapes == [16, 8, 4, 2, 2, 2]  # 64 px: stem /4, three strided stages /2 each, the last stage keeps 2x2


@pytest.mark.parametrize(("in_chans", "size"), [(1, 48), (3, 75), (1, 299)])
def test_resnet50v2_runs_grey_and_colour_from_48_to_299_px(in_chans, size):
    model = create_model("resnet50v2", in_chans=in_chans, input_size=size, num_keypoints=15).eval()
    with torch.no_grad():
        out = model(torch.randn(1, in_chans, size, size))
    assert out.logits.shape == (1, 8) and out.va.shape == (1, 2) and out.keypoints.shape == (1, 15, 2)


def test_local_pretrained_weights_load_and_colour_folds_to_grey(tmp_path):
    colour = create_model("resnet101v2", in_chans=3, input_size=112)
    torch.save({"state_dict": colour.state_dict()}, tmp_path / "resnet101v2_rgb.pt")
    grey = create_model("resnet101v2", in_chans=1, input_size=48, pretrained_path=tmp_path / "resnet101v2_rgb.pt")
    first = "backbone.features.0.0.0.weight"
    torch.testing.assert_close(grey.state_dict()[first], colour.state_dict()[first].sum(dim=1, keepdim=True))
    deep = "backbone.features.0.3.22.residual.4.weight"  # the 23rd block of the third stage
    torch.testing.assert_close(grey.state_dict()[deep], colour.state_dict()[deep])

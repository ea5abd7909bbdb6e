import pytest
import torch

from ml.models import EmotionOutput, count_parameters, create_model, get_spec, list_models, uses_landmarks

ALL = list_models()


def test_registry_lists_the_documented_architectures():
    expected = {
        "simple_cnn", "vgg_fer", "mldrnet", "vgg16", "vgg19", "resnet18", "resnet50", "resnet101", "wide_resnet50_2",
        "densenet121", "densenet201", "efficientnet_b0", "efficientnet_b7", "mobilenet_v3_small",
        "squeezenet1_1", "inception_v3", "resnet50v2", "resnet101v2", "resnet152v2",
    }  # fmt: skip
    assert expected <= set(ALL)


@pytest.mark.parametrize("name", ALL)
def test_forward_backward_at_smallest_size(name):
    size = get_spec(name).min_input_size
    model = create_model(name, num_classes=8, in_chans=1, input_size=size)
    model.train()
    out = model(torch.randn(2, 1, size, size))
    assert isinstance(out, EmotionOutput)
    assert out.logits.shape == (2, 8) and out.va.shape == (2, 2)
    assert out.va.abs().max() <= 1
    (out.logits.sum() + out.va.sum()).backward()
    first = next(p for p in model.parameters() if p.ndim == 4)
    assert first.shape[1] == 1 and first.grad is not None


@pytest.mark.parametrize("name", ["resnet18", "vgg_fer", "efficientnet_b0", "mobilenet_v3_small"])
@pytest.mark.parametrize(("in_chans", "size"), [(3, 48), (1, 96)])
def test_colour_and_larger_inputs(name, in_chans, size):
    model = create_model(name, num_classes=7, in_chans=in_chans, input_size=size, va_head=False).eval()
    with torch.no_grad():
        out = model(torch.randn(1, in_chans, size, size))
    assert out.logits.shape == (1, 7) and out.va is None


def test_unknown_architecture_and_too_small_input():
    with pytest.raises(ValueError, match="unknown architecture 'resnet9000'"):
        create_model("resnet9000")
    with pytest.raises(ValueError, match="squeezenet1_1 needs input_size >= 48"):
        create_model("squeezenet1_1", input_size=40)


@pytest.mark.parametrize(("in_chans", "size"), [(1, 48), (3, 74)])
def test_inception_v3_upsamples_inputs_under_75_px(in_chans, size):
    from ml.models import count_flops

    model = create_model("inception_v3", in_chans=in_chans, input_size=size).eval()
    with torch.no_grad():
        out = model(torch.randn(2, in_chans, size, size))
    assert out.logits.shape == (2, 8) and out.va.shape == (2, 2)
    # The network itself sees 75 px: a smaller input costs what a 75 px one does, a larger one more.
    assert count_flops(model, size, in_chans) == count_flops(model, 75, in_chans) < count_flops(model, 90, in_chans)


def test_inception_v3_keeps_its_torchvision_state_dict_keys(tmp_path):
    from torchvision.models import inception_v3

    rgb = inception_v3(weights=None, aux_logits=False, init_weights=False)
    torch.save(rgb.state_dict(), tmp_path / "inception.pth")
    model = create_model("inception_v3", in_chans=1, input_size=48, pretrained_path=tmp_path / "inception.pth")
    net = model.backbone.features.net
    torch.testing.assert_close(net.Conv2d_1a_3x3.conv.weight, rgb.Conv2d_1a_3x3.conv.weight.sum(1, keepdim=True))
    torch.testing.assert_close(net.Mixed_7c.branch1x1.conv.weight, rgb.Mixed_7c.branch1x1.conv.weight)


def test_parameter_count_of_default_model():
    assert 1_000_000 < count_parameters(create_model("vgg_fer")) < 3_000_000


def test_pretrained_weights_load_from_a_local_torchvision_file(tmp_path):
    from torchvision.models import resnet18

    rgb = resnet18(weights=None)
    path = tmp_path / "resnet18_rgb.pth"
    torch.save(rgb.state_dict(), path)
    model = create_model("resnet18", in_chans=1, pretrained_path=path)
    # RGB first-conv weights are summed into the single grey channel (timm's rule).
    expected = rgb.conv1.weight.sum(dim=1, keepdim=True)
    torch.testing.assert_close(model.backbone.features.net.conv1.weight, expected)
    torch.testing.assert_close(model.backbone.features.net.layer4[1].conv2.weight, rgb.layer4[1].conv2.weight)


def test_pretrained_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="pretrained weights file not found"):
        create_model("vgg_fer", pretrained_path=tmp_path / "nope.pt")


def test_pretrained_vgg_features_load(tmp_path):
    from torchvision.models import vgg11_bn

    rgb = vgg11_bn(weights=None)
    torch.save(rgb.state_dict(), tmp_path / "vgg.pth")
    model = create_model("vgg11_bn", in_chans=3, pretrained_path=tmp_path / "vgg.pth")
    torch.testing.assert_close(model.backbone.features[0][0].weight, rgb.features[0].weight)


@pytest.mark.parametrize("name", ["cnn_1dnn", "cnn_3dnn", "keypoint_resnet18", "inception_resnet_v2"])
@pytest.mark.parametrize(("in_chans", "size"), [(3, 32), (1, 80)])
def test_new_architectures_at_two_sizes_grey_and_colour(name, in_chans, size):
    if name == "inception_resnet_v2" and size == 80:
        size = 75  # its smallest "valid"-padded size: the paper's own layout
    model = create_model(name, in_chans=in_chans, input_size=size).eval()
    with torch.no_grad():
        out = model(torch.randn(1, in_chans, size, size))
    assert out.logits.shape == (1, 8) and out.va.shape == (1, 2) and out.keypoints is None


def test_landmark_models_read_landmarks_and_fall_back_to_a_learned_shape():
    model = create_model("cnn_3dnn", input_size=32).eval()
    assert model.uses_landmarks and not create_model("vgg_fer").uses_landmarks
    x = torch.randn(2, 1, 32, 32)
    landmarks = torch.rand(2, 68, 2) * 2 - 1
    with torch.no_grad():
        given = model(x, landmarks).logits
        moved = model(x, landmarks * 0.5).logits
        missing = model(x, torch.full((2, 68, 2), float("nan"))).logits
        absent = model(x).logits
    assert not torch.allclose(given, moved)  # the landmarks reach the output
    torch.testing.assert_close(missing, absent)  # NaN rows and None both use default_landmarks
    with pytest.raises(ValueError, match=r"landmarks must be \(N, 68, 2\)"):
        model(x, torch.zeros(2, 5, 2))


def test_the_registry_says_which_architectures_read_landmarks():
    """Callers without a network (a run's data, a dataset evaluation) ask the registry; it agrees with the nets."""
    readers = {name for name in list_models() if uses_landmarks(name)}
    assert readers == {"cnn_1dnn", "cnn_3dnn"}
    for name in (*sorted(readers), "simple_cnn"):
        assert create_model(name, num_classes=8, input_size=48).uses_landmarks is uses_landmarks(name)


def test_cnn_1dnn_and_3dnn_differ_in_their_dnns():
    one, three = create_model("cnn_1dnn"), create_model("cnn_3dnn")
    assert one.backbone.feature_dim == 128 and three.backbone.feature_dim == 3 * 128
    assert len(one.backbone.dnns) == 1 and len(three.backbone.dnns) == 3
    assert one.backbone.fc[0].out_features == 4096  # landmarks + last pooling into a 4096-unit FC layer


def test_inception_resnet_v2_matches_the_paper_size():
    model = create_model("inception_resnet_v2", in_chans=3, input_size=299, va_head=False)
    # 54.3M in the trunk (timm's 55.8M minus its 1000-way classifier's 1.54M)
    assert 54_000_000 < count_parameters(model.backbone) < 54_700_000


def test_keypoint_head_and_flops():
    from ml.models import count_flops

    model = create_model("keypoint_resnet18", input_size=96, num_keypoints=15).eval()
    with torch.no_grad():
        assert model(torch.zeros(2, 1, 96, 96)).keypoints.shape == (2, 15, 2)
    small, large = count_flops(model, 48), count_flops(model, 96)
    assert 3.5 < large / small < 4.5  # convolutions scale with the pixel count


def test_pretrained_checkpoint_of_another_label_set_keeps_the_shared_head_rows(tmp_path):
    from ml.checkpoint import Checkpoint, save_checkpoint
    from ml.taxonomy import AFFECTNET8, FER2013_7

    source = create_model("vgg_fer", num_classes=8)
    path = save_checkpoint(tmp_path / "ferplus.pt", Checkpoint(
        arch="vgg_fer", label_set=AFFECTNET8, input_size=48, in_chans=1, mean=[0.5], std=[0.25],
        state_dict=source.state_dict(),
    ))  # fmt: skip
    model = create_model("vgg_fer", num_classes=7, pretrained_path=path, class_names=FER2013_7.classes)
    for row, name in enumerate(FER2013_7.classes):
        torch.testing.assert_close(model.head.weight[row], source.head.weight[AFFECTNET8.index(name)])
        torch.testing.assert_close(model.head.bias[row], source.head.bias[AFFECTNET8.index(name)])
    torch.testing.assert_close(model.backbone.features[0][0].weight, source.backbone.features[0][0].weight)
    # Without the class names the head cannot be matched and keeps its fresh initialisation.
    fresh = create_model("vgg_fer", num_classes=7, pretrained_path=path)
    assert not torch.equal(fresh.head.weight[0], source.head.weight[AFFECTNET8.index(FER2013_7.classes[0])])

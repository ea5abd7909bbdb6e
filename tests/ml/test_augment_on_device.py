"""Training batches are augmented on the model's device with the CPU generator's draws.

A GPU run augments on the GPU (no per-batch CPU work but drawing numbers), so every random value
drawn on the CPU must be moved to the batch's device before it meets the batch. PyTorch's "meta"
device stands in for a GPU here: any CPU tensor that meets a meta batch raises, exactly as a CPU
tensor meeting a CUDA batch would, and nothing is computed, so the test is quick on any machine.
"""

import torch

from ml.data.presets import AugmentPreset
from ml.data.transforms import normalize, to_tensor
from ml.models.factory import create_model
from ml.training import TrainConfig, loop
from ml.training.geometry import augment_with_points
from ml.training.mixing import mix_batch

EVERY_CHANGE = AugmentPreset(
    flip=True, max_rotation=10, max_shift=0.1, scale=(0.9, 1.1), max_shear=5, brightness=0.2, contrast=0.2,
    noise_std=0.05, blur_sigma=1.0, blur_probability=0.5, erase_probability=0.5,
)  # fmt: skip


def test_every_augmentation_and_mix_stays_on_the_batch_device():
    generator = torch.Generator().manual_seed(0)
    batch = to_tensor(torch.zeros(8, 48, 48, dtype=torch.uint8, device="meta"))
    points = torch.rand(8, 68, 2, device="meta")

    images, moved = augment_with_points(batch, points, generator, EVERY_CHANGE)
    images = normalize(images, [0.5], [0.25])
    for mode in ("mixup", "cutmix"):
        mixed, _, _ = mix_batch(images, torch.rand(8, 7), None, generator, mode, 1.0)
        assert mixed.device.type == "meta"
    assert images.device.type == "meta" and moved.device.type == "meta"
    assert images.shape == (8, 1, 48, 48) and moved.shape == (8, 68, 2)


def test_a_training_batch_reaches_a_model_on_another_device():
    model = create_model("vgg_fer_fast", num_classes=7, in_chans=1, input_size=48, va_head=False).to("meta")
    data = loop.TrainingTensors(
        images=torch.zeros(16, 48, 48, dtype=torch.uint8), targets=torch.eye(7)[torch.arange(16) % 7],
        va=torch.zeros(16, 2), mean=[0.5], std=[0.25], loss_weights=None, sample_weights=None,
    )  # fmt: skip
    config = TrainConfig(arch="vgg_fer_fast", augment_preset="strong_erasing", mix="mixup", va_head=False)
    loss = loop.batch_loss(model, data, torch.arange(8), config, torch.Generator().manual_seed(0), torch.device("meta"))
    assert loss.device.type == "meta" and loss.shape == ()

from rest_framework import serializers

from ml.data.presets import DEFAULT_PRESET, PRESETS
from ml.models import get_spec
from webapp.datasets.models import Dataset, Label
from webapp.modelzoo.serializers import EvaluationSerializer
from webapp.training import selectors
from webapp.training.models import TrainingRun

# Hyperparameters an admin may set, with the defaults the form shows. Everything else in
# ml.training.TrainConfig keeps ml's default.


# Epochs the launch form suggests: a CPU worker trains some ten times slower than a GPU one.
GPU_DEFAULT_EPOCHS, CPU_DEFAULT_EPOCHS = 30, 10


def launch_defaults(answering: dict[str, bool]) -> dict:
    """The queue and epochs to suggest, given which queues a worker answers on (see WorkerQueuesView)."""
    if answering.get("gpu"):
        return {"queue": "gpu", "epochs": GPU_DEFAULT_EPOCHS, "reason": "a GPU worker answered"}
    if answering.get("cpu"):
        return {"queue": "cpu", "epochs": CPU_DEFAULT_EPOCHS,
                "reason": "no GPU worker answered; a CPU worker did, so the run is sized for it"}  # fmt: skip
    return {"queue": "gpu", "epochs": GPU_DEFAULT_EPOCHS,
            "reason": "no worker answered yet; the run waits in the queue until one starts"}  # fmt: skip


class LaunchSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    datasets = serializers.PrimaryKeyRelatedField(queryset=Dataset.objects.all(), many=True, allow_empty=False)
    label_sources = serializers.ListField(
        child=serializers.ChoiceField(choices=Label.Source.choices), allow_empty=False,
        default=[choice for choice, _ in Label.Source.choices],
    )  # fmt: skip
    architecture = serializers.ChoiceField(choices=[])
    task = serializers.ChoiceField(choices=TrainingRun.Task.choices, default=TrainingRun.Task.EMOTION)
    queue = serializers.ChoiceField(choices=TrainingRun.Queue.choices, default=TrainingRun.Queue.GPU)
    epochs = serializers.IntegerField(min_value=1, max_value=500, default=GPU_DEFAULT_EPOCHS)
    batch_size = serializers.IntegerField(min_value=1, max_value=1024, default=64)
    lr = serializers.FloatField(min_value=1e-6, max_value=1.0, default=1e-3)
    optimizer = serializers.ChoiceField(choices=["adamw", "adam", "sgd"], default="adamw")
    weight_decay = serializers.FloatField(min_value=0.0, max_value=1.0, default=1e-4)
    input_size = serializers.IntegerField(min_value=32, max_value=299, default=48)
    channels = serializers.ChoiceField(choices=[1, 3], default=1)
    augmentation = serializers.ChoiceField(choices=list(PRESETS), default=DEFAULT_PRESET)  # ml/data/presets.py
    imbalance = serializers.ChoiceField(choices=["none", "loss", "sampler"], default="none")
    patience = serializers.IntegerField(min_value=1, max_value=500, default=10)
    freeze_backbone_epochs = serializers.IntegerField(min_value=0, max_value=500, default=0)
    seed = serializers.IntegerField(min_value=0, max_value=2**31 - 1, default=0)
    max_steps_per_epoch = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["architecture"].choices = selectors.architecture_names()

    def validate(self, data):
        spec = get_spec(data["architecture"])
        if data["input_size"] < spec.min_input_size:
            raise serializers.ValidationError(
                {"input_size": [f"{spec.name} needs an input size of at least {spec.min_input_size}"]}
            )
        missing = selectors.missing_labels(data["task"], data["datasets"], data["label_sources"])
        if missing:
            raise serializers.ValidationError({"label_sources": [missing]})
        if data["freeze_backbone_epochs"] >= data["epochs"]:
            raise serializers.ValidationError(
                {"freeze_backbone_epochs": ["must be fewer than the epochs, or nothing is fine-tuned"]}
            )
        data["label_sources"] = sorted(set(data["label_sources"]))
        return data

    def train_config(self) -> dict:
        """The TrainConfig fields this launch sets."""
        d = self.validated_data
        keys = ("epochs", "batch_size", "lr", "optimizer", "weight_decay", "input_size", "channels", "imbalance",
                "patience", "freeze_backbone_epochs", "seed")  # fmt: skip
        config = {k: d[k] for k in keys}
        config["augment_preset"] = d["augmentation"]
        config["augment"] = d["augmentation"] != "none"  # the older flag, kept consistent for older readers
        if d.get("max_steps_per_epoch"):
            config["max_steps_per_epoch"] = d["max_steps_per_epoch"]
        return config


class TrainingRunSerializer(serializers.ModelSerializer):
    datasets = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    model_version = serializers.SlugRelatedField(slug_field="tag", read_only=True)
    model_version_id = serializers.IntegerField(read_only=True, allow_null=True)
    total_epochs = serializers.IntegerField(read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    evaluations = serializers.SerializerMethodField()

    class Meta:
        model = TrainingRun
        fields = [
            "id", "name", "datasets", "label_sources", "architecture", "task", "queue", "config", "status", "message",
            "cancel_requested", "epoch", "total_epochs", "progress", "eta_seconds", "train_loss", "history",
            "data_summary", "log_tail", "worker_host", "device", "attempts", "resumed_from_epoch", "model_version",
            "model_version_id", "evaluations", "created_by", "created_at", "started_at", "finished_at",
        ]  # fmt: skip

    def get_evaluations(self, run) -> list[dict]:
        if run.model_version_id is None:
            return []
        evaluations = run.model_version.evaluations.select_related("dataset")
        return EvaluationSerializer(evaluations, many=True).data


class ArchitectureSerializer(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()
    min_input_size = serializers.IntegerField()
    default_input_size = serializers.IntegerField()
    parameter_count = serializers.IntegerField()

from django.urls import reverse
from rest_framework import serializers

from ml.taxonomy import EMOTIONS
from webapp.datasets.models import Dataset, ImportJob, Item, ItemPrediction, Label, LandmarkJob, PredictionJob

IMPORT_FORMATS = Dataset.import_formats()


class ImportCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    format = serializers.ChoiceField(choices=IMPORT_FORMATS)
    file = serializers.FileField(required=False)
    server_path = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=1000, help_text="a file or folder under IMPORT_ROOT"
    )
    description = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, data):
        has_file, has_path = "file" in data, bool(data["server_path"].strip())
        if has_file and has_path:
            raise serializers.ValidationError({"file": ["give either a file to upload or a server_path, not both"]})
        if not (has_file or has_path):
            raise serializers.ValidationError({"file": ["give a file to upload, or a server_path under IMPORT_ROOT"]})
        return data


class ImportJobSerializer(serializers.ModelSerializer):
    dataset = serializers.SlugRelatedField(slug_field="name", read_only=True)
    dataset_id = serializers.IntegerField(read_only=True)
    progress = serializers.FloatField(read_only=True)

    class Meta:
        model = ImportJob
        fields = [
            "id", "dataset", "dataset_id", "source_name", "server_path", "status", "message", "progress", "total",
            "processed", "imported", "duplicates", "error_count", "errors", "created_at", "started_at", "finished_at",
        ]  # fmt: skip


class DatasetSerializer(serializers.ModelSerializer):
    item_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Dataset
        fields = ["id", "name", "description", "format", "item_count", "created_at"]


class DatasetDetailSerializer(DatasetSerializer):
    histogram = serializers.DictField(child=serializers.DictField(child=serializers.IntegerField()), read_only=True)

    class Meta(DatasetSerializer.Meta):
        fields = [*DatasetSerializer.Meta.fields, "histogram"]


class LabelSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Label
        fields = ["id", "source", "emotion", "votes", "valence", "arousal", "keypoints", "created_by", "created_at"]


class ItemSerializer(serializers.ModelSerializer):
    emotion = serializers.CharField(read_only=True, allow_null=True)
    image_url = serializers.SerializerMethodField()
    labels = LabelSerializer(many=True, read_only=True)

    class Meta:
        model = Item
        fields = ["id", "split", "emotion", "image_url", "source_name", "width", "height", "content_hash", "labels"]

    def get_image_url(self, item) -> str:
        return reverse("datasets:item-image", args=[item.pk])


class ItemPredictionSerializer(serializers.ModelSerializer):
    model_version = serializers.SlugRelatedField(slug_field="tag", read_only=True)

    class Meta:
        model = ItemPrediction
        fields = ["id", "model_version", "emotion", "probs", "top_probability", "entropy", "valence", "arousal",
                  "va_source", "created_at"]  # fmt: skip


class ItemListSerializer(ItemSerializer):
    predicted = serializers.CharField(read_only=True, allow_null=True, help_text="newest prediction's emotion")
    predicted_top = serializers.FloatField(read_only=True, allow_null=True, help_text="its probability")

    class Meta(ItemSerializer.Meta):
        fields = [*ItemSerializer.Meta.fields, "predicted", "predicted_top"]


class ItemDetailSerializer(ItemSerializer):
    dataset_id = serializers.IntegerField(read_only=True)
    predictions = ItemPredictionSerializer(many=True, read_only=True)

    class Meta(ItemSerializer.Meta):
        fields = [*ItemSerializer.Meta.fields, "dataset_id", "predictions"]


class PredictionJobSerializer(serializers.ModelSerializer):
    model_version = serializers.SlugRelatedField(slug_field="tag", read_only=True)
    progress = serializers.FloatField(read_only=True)

    class Meta:
        model = PredictionJob
        fields = ["id", "dataset_id", "model_version", "status", "message", "progress", "total", "processed",
                  "created_at", "finished_at"]  # fmt: skip


class LandmarkJobSerializer(serializers.ModelSerializer):
    progress = serializers.FloatField(read_only=True)

    class Meta:
        model = LandmarkJob
        fields = ["id", "dataset_id", "status", "message", "backend", "progress", "total", "processed", "unreadable",
                  "created_at", "finished_at"]  # fmt: skip


class ItemFilterSerializer(serializers.Serializer):
    """Query parameters of the item list; anything else in them is refused with a 400."""

    split = serializers.CharField(required=False, allow_blank=True, max_length=20)
    emotion = serializers.ChoiceField(choices=[*EMOTIONS, "none"], required=False, allow_blank=True)
    labeled = serializers.ChoiceField(choices=["yes", "no"], required=False, allow_blank=True)
    disagrees = serializers.BooleanField(required=False, default=False)

    def selector_kwargs(self) -> dict:
        """The validated filters as keyword arguments of selectors.dataset_items."""
        data = self.validated_data
        labeled = {"yes": True, "no": False}.get(data.get("labeled") or "")
        return {
            "split": data.get("split") or None,
            "emotion": data.get("emotion") or None,
            "labeled": labeled,
            "disagrees": data.get("disagrees", False),
        }

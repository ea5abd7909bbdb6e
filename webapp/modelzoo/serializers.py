from django.urls import reverse
from rest_framework import serializers

from webapp.modelzoo.models import Evaluation, ModelVersion, Promotion


class ModelVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ModelVersion
        fields = [
            "id", "tag", "name", "source", "architecture", "label_set", "num_classes", "input_size", "in_chans",
            "parameter_count", "cpu_latency_ms", "va_head", "va_learned",
            "metrics", "config", "description", "is_active", "created_at",
        ]  # fmt: skip


class PromotionSerializer(serializers.ModelSerializer):
    model_version = ModelVersionSerializer(read_only=True)
    previous = serializers.SlugRelatedField(slug_field="tag", read_only=True)
    promoted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Promotion
        fields = ["id", "model_version", "previous", "is_rollback", "promoted_by", "promoted_at"]


class EvaluationSerializer(serializers.ModelSerializer):
    dataset = serializers.SlugRelatedField(slug_field="name", read_only=True)
    confusion_png_url = serializers.SerializerMethodField()

    class Meta:
        model = Evaluation
        fields = ["id", "model_version", "dataset", "dataset_id", "split", "metrics", "per_class", "classes",
                  "confusion", "confusion_png_url", "created_at"]  # fmt: skip

    def get_confusion_png_url(self, evaluation) -> str | None:
        if not evaluation.confusion_png:
            return None
        return reverse("modelzoo:confusion", args=[evaluation.pk])

from rest_framework import serializers

from webapp.modelzoo.models import ModelVersion, Promotion


class ModelVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ModelVersion
        fields = [
            "id", "tag", "name", "source", "architecture", "label_set", "num_classes", "input_size", "in_chans",
            "parameter_count", "va_head", "va_learned", "metrics", "config", "description", "is_active", "created_at",
        ]  # fmt: skip


class PromotionSerializer(serializers.ModelSerializer):
    model_version = ModelVersionSerializer(read_only=True)
    previous = serializers.SlugRelatedField(slug_field="tag", read_only=True)
    promoted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Promotion
        fields = ["id", "model_version", "previous", "is_rollback", "promoted_by", "promoted_at"]

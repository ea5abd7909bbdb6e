from django.urls import reverse
from rest_framework import serializers

from ml.faces.images import accepted_formats_text
from ml.taxonomy import EMOTIONS
from webapp.datasets.models import Label
from webapp.datasets.serializers import LabelSerializer
from webapp.uploads.models import Face, Upload


class UploadCreateSerializer(serializers.Serializer):
    image = serializers.FileField(help_text=f"a {accepted_formats_text()} photo (checked by content, not by name)")


class FaceSerializer(serializers.ModelSerializer):
    upload = serializers.PrimaryKeyRelatedField(read_only=True)
    model_version = serializers.SlugRelatedField(slug_field="tag", read_only=True)
    va_learned_on = serializers.CharField(
        source="model_version.va_learned_on", read_only=True, allow_null=True,
        help_text="with va_source learned: what the V/A head's annotations were, e.g. synthetic faces",
    )  # fmt: skip
    crop_url = serializers.SerializerMethodField()
    saliency_url = serializers.SerializerMethodField()
    corrections = serializers.SerializerMethodField()

    class Meta:
        model = Face
        fields = [
            "id", "upload", "index", "box", "score", "landmarks", "emotion", "probs", "valence", "arousal",
            "va_source", "va_learned_on", "model_version", "crop_url", "saliency_url", "saliency_degenerate",
            "crop_to_image", "item", "corrections",
        ]  # fmt: skip

    def get_crop_url(self, face) -> str:
        return reverse("uploads:face-file", args=[face.pk, "crop"])

    def get_saliency_url(self, face) -> str | None:
        return reverse("uploads:face-file", args=[face.pk, "saliency"]) if face.saliency else None

    def get_corrections(self, face) -> list[dict]:
        if face.item_id is None:
            return []
        labels = [label for label in face.item.labels.all() if label.source == Label.Source.CORRECTION]
        return LabelSerializer(labels, many=True).data


class UploadSerializer(serializers.ModelSerializer):
    """An upload and its prediction job: `status` is pending, running, done or failed."""

    model_version = serializers.SlugRelatedField(slug_field="tag", read_only=True)
    image_url = serializers.SerializerMethodField()
    page_url = serializers.SerializerMethodField()
    faces = FaceSerializer(many=True, read_only=True)

    class Meta:
        model = Upload
        fields = [
            "id", "status", "message", "original_name", "format", "size_bytes", "width", "height", "sha256",
            "model_version", "attempts", "created_at", "started_at", "finished_at", "timings_ms", "detection",
            "image_url", "page_url", "faces",
        ]  # fmt: skip

    def get_image_url(self, upload) -> str:
        return reverse("uploads:photo", args=[upload.pk])

    def get_page_url(self, upload) -> str:
        return reverse("uploads:detail", args=[upload.pk])


class CorrectionSerializer(serializers.Serializer):
    """A person's label for a face: an emotion, valence and arousal, or both."""

    emotion = serializers.ChoiceField(choices=EMOTIONS, required=False, allow_null=True)
    valence = serializers.FloatField(min_value=-1, max_value=1, required=False, allow_null=True)
    arousal = serializers.FloatField(min_value=-1, max_value=1, required=False, allow_null=True)

    def validate(self, data):
        valence, arousal = data.get("valence"), data.get("arousal")
        if (valence is None) != (arousal is None):
            raise serializers.ValidationError("give valence and arousal together (a point on the circumplex)")
        if data.get("emotion") is None and valence is None:
            raise serializers.ValidationError("give an emotion, valence and arousal, or both")
        return data


class CorrectionLabelSerializer(LabelSerializer):
    """The label a correction made, with the dataset item it belongs to (/datasets/items/<item>/)."""

    item = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta(LabelSerializer.Meta):
        fields = [*LabelSerializer.Meta.fields, "item"]

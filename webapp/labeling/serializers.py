from django.urls import reverse
from rest_framework import serializers

from ml.taxonomy import EMOTIONS
from webapp.core.validation import id_field
from webapp.labeling.models import Assignment, LabelingSession


class SessionCreateSerializer(serializers.ModelSerializer):
    class Meta:
        model = LabelingSession
        fields = ["id", "name", "dataset", "ask", "selection", "unsure_below", "order", "split", "labels_per_item",
                  "gold_rate", "show_prediction", "allow_guests"]  # fmt: skip
        extra_kwargs = {
            "gold_rate": {"min_value": 0.0, "max_value": 0.5},
            "labels_per_item": {"min_value": 1},
            "unsure_below": {"min_value": 0.01, "max_value": 1.0},
        }


class AssignmentSerializer(serializers.ModelSerializer):
    """What an annotator gets: the image through their assignment, never the item's id, labels or source."""

    image_url = serializers.SerializerMethodField()
    prediction = serializers.SerializerMethodField()

    class Meta:
        model = Assignment
        fields = ["id", "image_url", "prediction", "expires_at"]

    def get_image_url(self, assignment) -> str:
        return reverse("labeling:assignment-image", args=[assignment.pk])

    def get_prediction(self, assignment) -> str | None:
        """The item's model prediction at session creation, only where the session lets annotators see it."""
        if not assignment.session_item.session.show_prediction:
            return None
        return assignment.session_item.prediction or None


class HoldingSerializer(serializers.Serializer):
    holding = serializers.ListField(child=id_field(), required=False, default=list, max_length=10)


class AnswerSerializer(serializers.Serializer):
    emotion = serializers.ChoiceField(choices=EMOTIONS, required=False, allow_blank=True, default="")
    not_face = serializers.BooleanField(required=False, default=False)
    unsure = serializers.BooleanField(required=False, default=False)
    valence = serializers.FloatField(required=False, allow_null=True, default=None, min_value=-1, max_value=1)
    arousal = serializers.FloatField(required=False, allow_null=True, default=None, min_value=-1, max_value=1)
    duration_ms = serializers.IntegerField(min_value=0, max_value=24 * 3600 * 1000)
    prediction_shown = serializers.CharField(required=False, allow_blank=True, default="", max_length=20)


class AcceptSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=["majority", "dawid_skene"], default="majority")

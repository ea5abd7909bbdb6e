from rest_framework import serializers

from webapp.datasets.models import Dataset, ImportJob, Item, Label


class ImportCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    format = serializers.ChoiceField(choices=Dataset.import_formats())
    file = serializers.FileField(required=False)
    server_path = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=1000, help_text="a file or folder under IMPORT_ROOT"
    )
    description = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, data):
        if ("file" in data) == bool(data["server_path"].strip()):
            raise serializers.ValidationError({"file": ["give either a file to upload or a server_path, not both"]})
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
        fields = ["id", "source", "emotion", "votes", "valence", "arousal", "created_by", "created_at"]


class ItemSerializer(serializers.ModelSerializer):
    emotion = serializers.CharField(read_only=True, allow_null=True)
    image_url = serializers.SerializerMethodField()
    labels = LabelSerializer(many=True, read_only=True)

    class Meta:
        model = Item
        fields = ["id", "split", "emotion", "image_url", "source_name", "width", "height", "content_hash", "labels"]

    def get_image_url(self, item) -> str:
        return item.image.url

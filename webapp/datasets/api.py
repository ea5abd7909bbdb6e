"""JSON API for datasets: imports, datasets and items, for admins only (webapp/core/access.py)."""

from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from webapp.accounts.permissions import IsAdmin
from webapp.core.downloads import export_download
from webapp.datasets import exports, selectors, services
from webapp.datasets.models import Dataset, ImportJob, Item, LandmarkJob, PredictionJob
from webapp.datasets.serializers import (
    DatasetDetailSerializer,
    DatasetSerializer,
    ImportCreateSerializer,
    ImportJobSerializer,
    ItemDetailSerializer,
    ItemFilterSerializer,
    ItemListSerializer,
    LandmarkJobSerializer,
    PredictionJobSerializer,
)


def _import_request_schema() -> dict:
    """The import body as the API validates it: a file *or* a server_path, never both (oneOf),
    which a serializer alone cannot say in OpenAPI; generated clients then send one of them."""
    formats = [value for value, _ in Dataset.import_formats()]
    return {
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 100},
            "format": {"type": "string", "enum": formats},
            "file": {"type": "string", "format": "binary", "description": "a zip, or the CSV of a CSV format"},
            "server_path": {
                "type": "string",
                "minLength": 1,
                "maxLength": 1000,
                "description": "a file or folder under IMPORT_ROOT",
            },  # fmt: skip
            "description": {"type": "string"},
        },
        "required": ["name", "format"],
        "oneOf": [{"required": ["file"]}, {"required": ["server_path"]}],
    }


class ImportCreateView(APIView):
    """Import a zip or CSV upload, or a file/folder under IMPORT_ROOT (server_path); the import runs on a worker."""

    permission_classes = [IsAdmin]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": _import_request_schema()}, responses={202: ImportJobSerializer})
    def post(self, request):
        data = ImportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.start_import(
            name=data.validated_data["name"],
            format=data.validated_data["format"],
            upload=data.validated_data.get("file"),
            server_path=data.validated_data["server_path"].strip(),
            description=data.validated_data["description"],
            user=request.user,
        )
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ImportJobView(generics.RetrieveAPIView):
    """An import's progress and the first errors it met."""

    permission_classes = [IsAdmin]
    serializer_class = ImportJobSerializer
    queryset = ImportJob.objects.select_related("dataset")


class DatasetListView(generics.ListAPIView):
    permission_classes = [IsAdmin]
    serializer_class = DatasetSerializer

    def get_queryset(self):
        return selectors.datasets_with_counts()


class DatasetDetailView(generics.RetrieveAPIView):
    """A dataset with its class histogram per split."""

    permission_classes = [IsAdmin]
    serializer_class = DatasetDetailSerializer

    def get_queryset(self):
        return selectors.datasets_with_counts()

    def get_object(self):
        dataset = super().get_object()
        dataset.histogram = selectors.class_histogram(dataset)
        return dataset


class DatasetItemsView(generics.ListAPIView):
    """A dataset's items with their labels and newest prediction, filtered by split, current emotion
    ("none" = no emotion label), labeled=yes|no, and disagrees=true (newest prediction != current label)."""

    permission_classes = [IsAdmin]
    serializer_class = ItemListSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("split", str),
            OpenApiParameter("emotion", str),
            OpenApiParameter("labeled", str, enum=["yes", "no"]),
            OpenApiParameter("disagrees", bool),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        dataset = get_object_or_404(Dataset, pk=self.kwargs["pk"])
        filters = ItemFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.dataset_items(dataset, **filters.selector_kwargs()).prefetch_related("labels__created_by")


class ItemDetailView(generics.RetrieveAPIView):
    """One item with its current label (`emotion`), every label and every model prediction it has."""

    permission_classes = [IsAdmin]
    serializer_class = ItemDetailSerializer
    queryset = Item.objects.annotate(emotion=selectors.latest_label_emotion()).prefetch_related(
        "labels__created_by", "predictions__model_version"
    )


class DatasetPredictView(APIView):
    """Classify every item of the dataset with the active model on a worker (admins)."""

    permission_classes = [IsAdmin]

    @extend_schema(request=None, responses={202: PredictionJobSerializer})
    def post(self, request, pk: int):
        dataset = get_object_or_404(Dataset, pk=pk)
        job = services.start_prediction(dataset, user=request.user)
        return Response(PredictionJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class PredictionJobView(generics.RetrieveAPIView):
    """A prediction run's progress."""

    permission_classes = [IsAdmin]
    serializer_class = PredictionJobSerializer
    queryset = PredictionJob.objects.select_related("model_version")


class DatasetLandmarksView(APIView):
    """Find the 68 landmarks of the dataset's items that have none, on a worker (admins, like predictions)."""

    permission_classes = [IsAdmin]

    @extend_schema(request=None, responses={202: LandmarkJobSerializer})
    def post(self, request, pk: int):
        dataset = get_object_or_404(Dataset, pk=pk)
        job = services.start_landmarks(dataset, user=request.user)
        return Response(LandmarkJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class LandmarkJobView(generics.RetrieveAPIView):
    """A landmark job's progress."""

    permission_classes = [IsAdmin]
    serializer_class = LandmarkJobSerializer
    queryset = LandmarkJob.objects.all()


class DatasetExportView(APIView):
    """The dataset streamed in one of exports.EXPORTS (CSV formats or class-folders.zip); admins."""

    permission_classes = [IsAdmin]

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request, pk: int, kind: str):
        return export_response(get_object_or_404(Dataset, pk=pk), kind)


def export_response(dataset: Dataset, kind: str) -> StreamingHttpResponse:
    return export_download(exports.EXPORTS, kind, dataset, f"dataset-{dataset.pk}-{kind}", streaming=True)

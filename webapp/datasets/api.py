"""JSON API for datasets: imports (admins), datasets and items (logged-in users)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from webapp.accounts.permissions import IsAdmin
from webapp.datasets import selectors, services
from webapp.datasets.models import Dataset, ImportJob
from webapp.datasets.serializers import (
    DatasetDetailSerializer,
    DatasetSerializer,
    ImportCreateSerializer,
    ImportJobSerializer,
    ItemSerializer,
)


class ImportCreateView(APIView):
    """Import a zip or CSV upload, or a file/folder under IMPORT_ROOT (server_path); the import runs on a worker."""

    permission_classes = [IsAdmin]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=ImportCreateSerializer, responses={202: ImportJobSerializer})
    def post(self, request):
        data = ImportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            job = services.start_import(
                name=data.validated_data["name"],
                format=data.validated_data["format"],
                upload=data.validated_data.get("file"),
                server_path=data.validated_data["server_path"].strip(),
                description=data.validated_data["description"],
                user=request.user,
            )
        except services.ImportRejected as exc:
            field = "server_path" if data.validated_data["server_path"].strip() else "file"
            raise ValidationError({field: [str(exc)]}) from None
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ImportJobView(generics.RetrieveAPIView):
    """An import's progress and the first errors it met."""

    permission_classes = [IsAdmin]
    serializer_class = ImportJobSerializer
    queryset = ImportJob.objects.select_related("dataset")


class DatasetListView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = DatasetSerializer

    def get_queryset(self):
        return selectors.datasets_with_counts()


class DatasetDetailView(generics.RetrieveAPIView):
    """A dataset with its class histogram per split."""

    permission_classes = [IsAuthenticated]
    serializer_class = DatasetDetailSerializer

    def get_queryset(self):
        return selectors.datasets_with_counts()

    def get_object(self):
        dataset = super().get_object()
        dataset.histogram = selectors.class_histogram(dataset)
        return dataset


class DatasetItemsView(generics.ListAPIView):
    """A dataset's items, filtered by split and current emotion ("none" = no emotion label)."""

    permission_classes = [IsAuthenticated]
    serializer_class = ItemSerializer

    @extend_schema(parameters=[OpenApiParameter("split", str), OpenApiParameter("emotion", str)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        dataset = get_object_or_404(Dataset, pk=self.kwargs["pk"])
        items = selectors.dataset_items(
            dataset, split=self.request.query_params.get("split"), emotion=self.request.query_params.get("emotion")
        )
        return items.prefetch_related("labels__created_by")

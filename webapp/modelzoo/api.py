"""JSON API for model versions, promotions and evaluations: admins only (webapp/core/access.py)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from webapp.accounts.permissions import IsAdmin
from webapp.modelzoo import services
from webapp.modelzoo.models import ModelVersion, Promotion
from webapp.modelzoo.serializers import EvaluationSerializer, ModelVersionSerializer, PromotionSerializer


class ModelVersionListView(generics.ListAPIView):
    """Every model version, newest first; `is_active` marks the one predictions use."""

    permission_classes = [IsAdmin]
    serializer_class = ModelVersionSerializer

    def get_queryset(self):
        services.active_version()  # a fresh site lists its bundled models too
        return ModelVersion.objects.all()


class ModelVersionDetailView(generics.RetrieveAPIView):
    permission_classes = [IsAdmin]
    serializer_class = ModelVersionSerializer
    queryset = ModelVersion.objects.all()


class PromoteView(APIView):
    """Make this version the one every new prediction uses; workers pick it up on their next job."""

    permission_classes = [IsAdmin]

    @extend_schema(request=None, responses={201: PromotionSerializer})
    def post(self, request, pk: int):
        version = get_object_or_404(ModelVersion, pk=pk)
        promotion = services.promote(version, request.user)
        return Response(PromotionSerializer(promotion).data, status=201)


class PromotionPreviewView(APIView):
    """The candidate beside the active model on the data both were measured on, with warnings; writes nothing."""

    permission_classes = [IsAdmin]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        from webapp.modelzoo.comparison import promotion_preview

        return Response(promotion_preview(get_object_or_404(ModelVersion, pk=pk)).as_dict())


class RollbackView(APIView):
    """Re-activate the version the last promotion replaced."""

    permission_classes = [IsAdmin]

    @extend_schema(request=None, responses={201: PromotionSerializer})
    def post(self, request):
        promotion = services.rollback(request.user)
        return Response(PromotionSerializer(promotion).data, status=201)


class PromotionListView(generics.ListAPIView):
    """The promotion history, newest first."""

    permission_classes = [IsAdmin]
    serializer_class = PromotionSerializer
    queryset = Promotion.objects.select_related("model_version", "previous", "promoted_by")


class EvaluateView(APIView):
    """Queue (again) this version's CPU latency and its evaluation on every compatible dataset."""

    permission_classes = [IsAdmin]

    @extend_schema(request=None, responses={202: ModelVersionSerializer})
    def post(self, request, pk: int):
        version = get_object_or_404(ModelVersion, pk=pk)
        if not version.checkpoint_exists():
            raise ValidationError({"model": [f"the checkpoint of {version.tag} is missing ({version.checkpoint})"]})
        services.queue_evaluation(version)
        version.refresh_from_db()
        return Response(ModelVersionSerializer(version).data, status=202)


class EvaluationListView(generics.ListAPIView):
    """A version's evaluations: metrics, per-class figures and the confusion matrix per dataset split."""

    permission_classes = [IsAdmin]
    serializer_class = EvaluationSerializer

    def get_queryset(self):
        version = get_object_or_404(ModelVersion, pk=self.kwargs["pk"])
        return version.evaluations.select_related("dataset")

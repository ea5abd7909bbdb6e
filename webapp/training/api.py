"""JSON API for training runs (admins): launch, follow, cancel; the architectures on offer."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from webapp.accounts.permissions import IsAdmin
from webapp.training import selectors, services
from webapp.training.serializers import (
    ArchitectureSerializer,
    LaunchSerializer,
    TrainingRunSerializer,
    launch_defaults,
)

QUEUE_PROBE_TIMEOUT_S = 2.0


class WorkerQueuesView(APIView):
    """Which training queues a worker answers on now, and the launch defaults that suit them."""

    permission_classes = [IsAdmin]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        from webapp.health.services import answering_queues

        answering = answering_queues(timeout=QUEUE_PROBE_TIMEOUT_S)
        return Response({"answering": answering, "defaults": launch_defaults(answering)})


class RunListCreateView(APIView):
    """List runs, newest first; POST launches one on the chosen queue."""

    permission_classes = [IsAdmin]

    @extend_schema(responses={200: TrainingRunSerializer(many=True)})
    def get(self, request):
        return Response(TrainingRunSerializer(selectors.runs()[:100], many=True).data)

    @extend_schema(request=LaunchSerializer, responses={201: TrainingRunSerializer})
    def post(self, request):
        launch = LaunchSerializer(data=request.data)
        launch.is_valid(raise_exception=True)
        d = launch.validated_data
        name = d["name"].strip() or f"{d['architecture']} on {', '.join(ds.name for ds in d['datasets'])}"[:100]
        run = services.launch_run(
            user=request.user, name=name, datasets=d["datasets"], label_sources=d["label_sources"],
            architecture=d["architecture"], task=d["task"], queue=d["queue"], config=launch.train_config(),
        )  # fmt: skip
        return Response(TrainingRunSerializer(run).data, status=status.HTTP_201_CREATED)


class RunDetailView(generics.RetrieveAPIView):
    """A run's progress: epoch, ETA, per-epoch curves, log tail, worker and device."""

    permission_classes = [IsAdmin]
    serializer_class = TrainingRunSerializer

    def get_queryset(self):
        return selectors.runs()


class RunCancelView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(request=None, responses={202: TrainingRunSerializer})
    def post(self, request, pk: int):
        run = get_object_or_404(selectors.runs(), pk=pk)
        run = services.cancel_run(run)
        return Response(TrainingRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class ArchitectureListView(APIView):
    """Registered architectures with their parameter counts (8 classes, grayscale, default input size)."""

    permission_classes = [IsAdmin]

    @extend_schema(responses={200: ArchitectureSerializer(many=True)})
    def get(self, request):
        return Response(ArchitectureSerializer(selectors.architectures(), many=True).data)

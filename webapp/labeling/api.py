"""JSON API for labeling: session setup and statistics (admins), the labeling loop (whoever
webapp.core.access.may_label admits: annotators, and guests in their own session only)."""

from dataclasses import asdict

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from webapp.accounts.permissions import IsAdmin
from webapp.core import access
from webapp.core.downloads import export_download
from webapp.core.validation import MAX_ID
from webapp.labeling import exports, services
from webapp.labeling.models import Assignment, LabelingSession
from webapp.labeling.selectors import progress
from webapp.labeling.serializers import (
    AcceptSerializer,
    AnswerSerializer,
    AssignmentSerializer,
    HoldingSerializer,
    SessionCreateSerializer,
)
from webapp.labeling.statistics import session_statistics


def _session_to_label(request, pk: int) -> LabelingSession:
    """The session if the user may label in it now; 404 when it is none of theirs, 403 when closed."""
    session = get_object_or_404(LabelingSession, pk=pk)
    access.require_may_label(request.user, session)
    return session


def _my_assignment(request, pk: int) -> Assignment:
    """One of the user's own assignments in a session they may still label (same answers as above)."""
    assignment = get_object_or_404(
        Assignment.objects.select_related("session_item__session"), pk=pk, annotator_id=request.user.pk
    )
    _session_to_label(request, assignment.session_item.session_id)
    return assignment


class SessionCreateView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(request=SessionCreateSerializer, responses={201: SessionCreateSerializer})
    def post(self, request):
        data = SessionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = services.create_session(user=request.user, **data.validated_data)
        return Response(SessionCreateSerializer(session).data, status=status.HTTP_201_CREATED)


class SessionStatisticsView(APIView):
    """Counts, Fleiss' kappa, Krippendorff's alpha, per-annotator figures and per-item aggregates."""

    permission_classes = [IsAdmin]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        return Response(asdict(session_statistics(get_object_or_404(LabelingSession, pk=pk))))


class NextItemView(APIView):
    """Reserve the annotator's next item (204 when none is left for them)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=HoldingSerializer, responses={200: AssignmentSerializer, 204: None})
    def post(self, request, pk: int):
        session = _session_to_label(request, pk)
        data = HoldingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignment = services.next_assignment(session, request.user, data.validated_data["holding"])
        if assignment is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response({**AssignmentSerializer(assignment).data, "progress": progress(session, request.user)})


class SubmitView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=AnswerSerializer, responses={201: None})
    def post(self, request, pk: int):
        assignment = _my_assignment(request, pk)
        data = AnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        annotation = services.submit(assignment, request.user, **data.validated_data)
        body = {"annotation_id": annotation.pk, "progress": progress(annotation.session, request.user)}
        return Response(body, status=status.HTTP_201_CREATED)


class SkipView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request, pk: int):
        services.skip(_my_assignment(request, pk), request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UndoView(APIView):
    """Take back the newest answer; the item comes back to be labelled again."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: AssignmentSerializer, 204: None})
    def post(self, request, pk: int):
        session = _session_to_label(request, pk)
        assignment = services.undo_last(session, request.user)
        if assignment is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response({**AssignmentSerializer(assignment).data, "previous": assignment.previous_answer,
                         "progress": progress(session, request.user)})  # fmt: skip


class ReleaseView(APIView):
    """Give back held items when the labeling page closes (sent with navigator.sendBeacon,
    which can only post a form: the ids come comma-separated in `assignments`)."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(request=None, responses={204: None})
    def post(self, request, pk: int):
        session = _session_to_label(request, pk)
        raw = str(request.data.get("assignments", ""))
        parts = [part.strip() for part in raw.split(",") if part.strip()][:10]
        if not all(part.isdigit() and 0 < int(part) <= MAX_ID for part in parts):
            raise ValidationError({"assignments": ["comma-separated assignment ids"]})
        services.release(session, request.user, [int(part) for part in parts])
        return Response(status=status.HTTP_204_NO_CONTENT)


class CloseView(APIView):
    """Close the session: no more answers, and its guest accounts stop working (admins)."""

    permission_classes = [IsAdmin]

    @extend_schema(request=None, responses={200: SessionCreateSerializer})
    def post(self, request, pk: int):
        session = services.close_session(get_object_or_404(LabelingSession, pk=pk))
        return Response(SessionCreateSerializer(session).data)


class AcceptView(APIView):
    """Record the aggregated answers as the dataset's newest labels (source "crowd").

    Accepting again replaces the labels of the session's previous acceptance (see docs/labeling.md).
    """

    permission_classes = [IsAdmin]

    @extend_schema(request=AcceptSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        data = AcceptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = get_object_or_404(LabelingSession, pk=pk)
        result = services.accept_aggregates(session, request.user, data.validated_data["method"])
        return Response(asdict(result), status=status.HTTP_201_CREATED)


class AcceptPreviewView(APIView):
    """What accepting with a method would change (items per current -> accepted emotion); writes nothing."""

    permission_classes = [IsAdmin]

    @extend_schema(parameters=[AcceptSerializer], responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        data = AcceptSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        session = get_object_or_404(LabelingSession, pk=pk)
        preview = services.preview_acceptance(session, data.validated_data["method"])
        return Response(asdict(preview))


class SessionExportView(APIView):
    """The session's annotations, per-item aggregates or FER+-style votes as a file (exports.EXPORTS); admins."""

    permission_classes = [IsAdmin]

    @extend_schema(responses={(200, "text/csv"): bytes, (200, "application/json"): bytes})
    def get(self, request, pk: int, kind: str):
        return export_response(get_object_or_404(LabelingSession, pk=pk), kind)


def export_response(session: LabelingSession, kind: str) -> HttpResponse:
    return export_download(exports.EXPORTS, kind, session, f"session-{session.pk}-{kind}")

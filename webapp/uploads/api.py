"""JSON API for uploads: predict one photo, queue uploads, read and delete them, correct faces.

An upload is its own prediction job: poll GET /api/uploads/<id>/ until `status` is done or failed.
Everyone sees only what `selectors.visible_uploads` allows; anything else answers 404.
"""

from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from webapp.accounts.permissions import MayUseDemo
from webapp.core.exceptions import TooLarge
from webapp.core.sizes import megabytes
from webapp.core.throttles import AnonymousPredictThrottle, AnonymousUploadThrottle
from webapp.core.validation import parse_id
from webapp.uploads import selectors, services
from webapp.uploads.models import Upload
from webapp.uploads.serializers import (
    CorrectionLabelSerializer,
    CorrectionSerializer,
    FaceSerializer,
    UploadCreateSerializer,
    UploadSerializer,
)

# Above this many pixels POST /api/predict/ does not wait: the client gets the job at once.
SYNC_MAX_PIXELS = 4_000_000
# Room for the multipart boundaries and headers around the photo in a request body.
MULTIPART_OVERHEAD = 16 * 1024


class PredictionFailed(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "prediction_failed"


def _refuse_oversized_body(request) -> None:
    """413 from the declared length alone, before the body is read into a temporary file."""
    limit = settings.APP["MAX_UPLOAD_BYTES"]
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return  # Django's own parsing reports a malformed length
    if declared > limit + MULTIPART_OVERHEAD:
        raise TooLarge(f"the request is {megabytes(declared)}; the photo limit is {megabytes(limit)}")


def _refuse_several_photos(request) -> None:
    """A request holds one photo: refusing several beats silently keeping only the last one."""
    count = len(request.FILES.getlist("image"))
    if count > 1:
        raise ValidationError(
            {"image": [f"one photo per request; this one has {count} 'image' files. Send each in its own request."]}
        )


def _accept_upload(request) -> Upload:
    _refuse_oversized_body(request)
    _refuse_several_photos(request)
    data = UploadCreateSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    if not request.user.is_authenticated and not request.session.session_key:
        request.session.save()  # an anonymous demo upload belongs to this new session
    return services.create_upload(
        data.validated_data["image"], owner=request.user, session_key=request.session.session_key or ""
    )


def _upload_body(upload: Upload) -> dict:
    upload = selectors.with_faces(Upload.objects.filter(pk=upload.pk)).prefetch_related("faces__item__labels").get()
    return UploadSerializer(upload).data


class PredictView(APIView):
    """One photo in, its faces out: waits for the worker up to PREDICT_WAIT_SECONDS.

    200 with the faces when the worker answered in time; 202 with the job when it did not or the
    photo is over 4 megapixels (poll GET /api/uploads/<id>/); 422 when the prediction failed.
    """

    permission_classes = [MayUseDemo]
    parser_classes = [MultiPartParser, FormParser]
    throttle_classes = [AnonymousPredictThrottle]

    @extend_schema(
        request={"multipart/form-data": UploadCreateSerializer},
        responses={200: UploadSerializer, 202: UploadSerializer, 413: OpenApiResponse(description="photo too large")},
    )
    def post(self, request):
        upload = _accept_upload(request)
        wait = settings.APP["PREDICT_WAIT_SECONDS"]
        # Not sent (broker down): nobody will answer soon, so hand back the pending job at once.
        if upload.width * upload.height <= SYNC_MAX_PIXELS and wait > 0 and services.prediction_was_sent(upload):
            upload = services.wait_until_finished(upload, timeout=wait)
        return _job_response(upload, status.HTTP_200_OK if upload.status == Upload.Status.DONE else None)


def _job_response(upload: Upload, code: int | None = None) -> Response:
    """422 for a job that already failed; otherwise `code`, or 202 for a job still to be done."""
    upload.refresh_from_db()
    if upload.status == Upload.Status.FAILED:
        raise PredictionFailed(f"upload {upload.pk}: {upload.message}")
    return Response(_upload_body(upload), status=code or status.HTTP_202_ACCEPTED)


class UploadListCreateView(generics.ListCreateAPIView):
    """GET: your uploads (admins: all), newest first, with filters.

    POST: queue one photo, 202 + the job (422 if it already failed; 400 for several photos at once).
    """

    permission_classes = [MayUseDemo]
    serializer_class = UploadSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_throttles(self):
        return [AnonymousUploadThrottle()] if self.request.method == "POST" else []

    @extend_schema(
        parameters=[
            OpenApiParameter("emotion", str, description="has a face predicted as this emotion"),
            OpenApiParameter("model_version", str, description="predicted by this model tag"),
            OpenApiParameter("corrected", bool, description="has (true) or lacks (false) a corrected face"),
            OpenApiParameter("status", str, enum=list(Upload.Status.values)),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request={"multipart/form-data": UploadCreateSerializer}, responses={202: UploadSerializer})
    def post(self, request, *args, **kwargs):
        return _job_response(_accept_upload(request))

    def get_queryset(self):
        params = self.request.query_params
        uploads = selectors.filter_uploads(
            selectors.uploads_for(self.request),
            emotion=params.get("emotion"),
            model_version=params.get("model_version"),
            corrected=selectors.parse_bool(params.get("corrected")),
            status=params.get("status"),
        )
        return selectors.with_faces(uploads).prefetch_related("faces__item__labels")


class UploadDetailView(generics.RetrieveDestroyAPIView):
    """An upload with its job status and faces; DELETE removes it and its files."""

    permission_classes = [MayUseDemo]
    serializer_class = UploadSerializer

    def get_queryset(self):
        return selectors.with_faces(selectors.uploads_for(self.request)).prefetch_related("faces__item__labels")

    def perform_destroy(self, upload):
        services.delete_upload(upload)


class FaceListView(generics.ListAPIView):
    """Faces of the uploads you can see, filtered by emotion, model tag or upload."""

    permission_classes = [MayUseDemo]
    serializer_class = FaceSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("emotion", str),
            OpenApiParameter("model_version", str),
            OpenApiParameter("upload", int),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        faces = selectors.faces_for(self.request).select_related("model_version").prefetch_related("item__labels")
        params = self.request.query_params
        if params.get("emotion"):
            faces = faces.filter(emotion=params["emotion"])
        if params.get("model_version"):
            faces = faces.filter(model_version__tag=params["model_version"])
        upload_id = parse_id(params.get("upload"), "upload")
        if upload_id is not None:
            faces = faces.filter(upload_id=upload_id)
        return faces.order_by("-upload__created_at", "upload_id", "index")


class FaceCorrectionView(APIView):
    """Record your emotion and/or valence/arousal for a face; it becomes a training label (201)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=CorrectionSerializer, responses={201: CorrectionLabelSerializer})
    def post(self, request, pk: int):
        face = get_object_or_404(selectors.faces_for(request), pk=pk)
        data = CorrectionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        label = services.correct_face(
            face,
            user=request.user,
            emotion=data.validated_data.get("emotion"),
            valence=data.validated_data.get("valence"),
            arousal=data.validated_data.get("arousal"),
        )
        return Response(CorrectionLabelSerializer(label).data, status=status.HTTP_201_CREATED)

"""Changes to uploads: accepting a photo, recording what a worker found, corrections, deletes.

Files and rows change together or not at all: a rejected or failed write removes the files it
made, and files of deleted rows are removed only after the delete is committed (signals.py).
"""

from __future__ import annotations

import hashlib
import io
import time
from pathlib import PurePath

import numpy as np
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from PIL import Image

from webapp.core import jobs
from webapp.core.exceptions import ApplicationError, TooLarge
from webapp.core.images import BadImageError, inspect_image
from webapp.core.sizes import megabytes
from webapp.datasets.models import Dataset, Item, Label, item_image_path
from webapp.uploads.models import Face, Upload, face_file_path, photo_path
from webapp.uploads.tasks import UPLOAD_PREDICTION

# EXIF orientations that turn the picture a quarter: the upright size swaps width and height.
QUARTER_TURNS = {5, 6, 7, 8}
CORRECTIONS_DATASET = "Gallery corrections"
CORRECTIONS_SPLIT = "uploads"


class UploadRejected(ApplicationError):
    """The photo cannot be accepted; nothing was stored. The message is for the user (the API: 400 on `image`)."""

    field = "image"


class UploadTooLarge(UploadRejected, TooLarge):
    """The photo is over MAX_UPLOAD_MB: 413, about the request as a whole."""

    field = None


class CorrectionRejected(ApplicationError):
    """The correction says nothing usable; nothing was stored."""


def create_upload(file, *, owner=None, session_key: str = "") -> Upload:
    """Check the photo (size, format by content, pixels, full decode) and store it with its row.

    `file` is a Django UploadedFile (or any object with .name, .size and .read()).
    """
    limit = settings.APP["MAX_UPLOAD_BYTES"]
    if file.size > limit:
        raise UploadTooLarge(f"the photo is {megabytes(file.size)}; the limit is {megabytes(limit)}")
    data = file.read()
    info = _check_photo(data)
    width, height = _upright_size(data, info.width, info.height)
    upload = Upload(
        original_name=PurePath(file.name or "").name[:255],
        sha256=hashlib.sha256(data).hexdigest(),
        format=info.format,
        size_bytes=len(data),
        width=width,
        height=height,
        owner=owner if owner is not None and owner.is_authenticated else None,
        session_key="" if owner is not None and owner.is_authenticated else session_key,
    )
    name = default_storage.save(photo_path(upload, "photo" + info.suffix), ContentFile(data))
    upload.image.name = name
    try:
        upload.save()
    except BaseException:
        default_storage.delete(name)  # no row, so no file either
        raise
    jobs.send_after_commit(UPLOAD_PREDICTION, upload.pk)
    return upload


def _check_photo(data: bytes):
    """Format by content (ml.faces.images.ACCEPTED_FORMATS; the name's extension is never trusted)."""
    try:
        return inspect_image(data)
    except BadImageError as exc:
        raise UploadRejected(str(exc)) from None


def _upright_size(data: bytes, width: int, height: int) -> tuple[int, int]:
    """The size after the EXIF orientation is applied, as the pipeline will see the photo."""
    with Image.open(io.BytesIO(data)) as image:
        orientation = image.getexif().get(0x0112)
    return (height, width) if orientation in QUARTER_TURNS else (width, height)


def prediction_was_sent(upload: Upload) -> bool:
    """Whether the upload's task reached the broker (False: it waits, pending, for the sweeper)."""
    return jobs.was_sent(UPLOAD_PREDICTION, upload.pk)


def wait_until_finished(upload: Upload, timeout: float, poll: float = 0.05) -> Upload:
    """The upload, re-read until its prediction is done or failed, or `timeout` seconds passed.

    Reading the row (not the Celery result) works the same on every broker and result backend.
    """
    deadline = time.monotonic() + timeout
    upload.refresh_from_db()
    while not upload.is_finished and time.monotonic() < deadline:
        time.sleep(poll)
        upload.refresh_from_db()
    return upload


def start_prediction(upload_id: int) -> Upload | None:
    """Claim the upload for this worker and return it; None for a duplicate, finished or deleted job."""
    now = timezone.now()
    if not jobs.claim(UPLOAD_PREDICTION, upload_id, started_at=now, message=""):
        return None
    return Upload.objects.get(pk=upload_id)


def record_failure(upload_id: int, message: str) -> None:
    Upload.objects.filter(pk=upload_id).update(
        status=Upload.Status.FAILED, message=message[:2000], finished_at=timezone.now()
    )


def record_prediction(upload: Upload, result, version) -> Upload | None:
    """Replace the upload's faces with those in `result` (an ml PipelineResult), in one transaction.

    Safe to run twice: the second run's faces replace the first's. A face at the same index with
    the same box keeps its link to the dataset item its corrections went to.
    Returns None if the upload was deleted meanwhile (its new files are removed again).
    """
    new_files: list[str] = []
    try:
        faces = [_face_row(upload, index, face, version, new_files) for index, face in enumerate(result.faces)]
        with transaction.atomic():
            if not Upload.objects.select_for_update().filter(pk=upload.pk).exists():
                _delete_files(new_files)
                return None
            old_faces = list(Face.objects.filter(upload=upload))
            _keep_item_links(old_faces, faces)
            Face.objects.filter(upload=upload).delete()  # their files go after the commit (signals.py)
            Face.objects.bulk_create(faces)
            Upload.objects.filter(pk=upload.pk).update(
                status=Upload.Status.DONE,
                message="",
                model_version=version,
                finished_at=timezone.now(),
                timings_ms={k: round(v, 2) for k, v in result.timings_ms.items()},
                detection=result.detection.to_dict() if getattr(result, "detection", None) else {},
            )
    except BaseException:
        _delete_files(new_files)
        raise
    upload.refresh_from_db()
    return upload


def _face_row(upload: Upload, index: int, face, version, new_files: list[str]) -> Face:
    from ml.faces.alignment import similarity_from_eyes
    from ml.faces.landmarks import eye_centers

    size = face.aligned_crop.shape[0]
    to_crop = similarity_from_eyes(*eye_centers(face.landmarks), size)  # the matrix align_face used
    row = Face(
        upload=upload,
        index=index,
        box=[int(v) for v in face.box],
        score=round(float(face.score), 4),
        landmarks=np.round(face.landmarks.astype(float), 2).tolist(),
        probs={k: round(float(v), 4) for k, v in face.probs.items()},
        emotion=face.emotion,
        valence=float(np.clip(face.valence, -1, 1)),
        arousal=float(np.clip(face.arousal, -1, 1)),
        va_source=face.va_source or "derived",
        model_version=version,
        crop_to_image=np.round(_invert_affine(to_crop), 5).tolist(),
        saliency_degenerate=bool(getattr(face, "saliency_degenerate", False)),
    )
    row.crop.name = _save_png(_png(face.aligned_crop), "crop.png", new_files)
    if face.saliency is not None and not row.saliency_degenerate:
        row.saliency.name = _save_png(saliency_overlay_png(face.saliency), "saliency.png", new_files)
    return row


def _invert_affine(matrix: np.ndarray) -> np.ndarray:
    full = np.vstack([np.asarray(matrix, np.float64), [0.0, 0.0, 1.0]])
    return np.linalg.inv(full)[:2]


def _save_png(data: bytes, filename: str, new_files: list[str]) -> str:
    name = default_storage.save(face_file_path(None, filename), ContentFile(data))
    new_files.append(name)
    return name


def _png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(pixels, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def saliency_overlay_png(heatmap: np.ndarray) -> bytes:
    """A [0, 1] heatmap as a see-through red-to-yellow PNG: weak areas vanish, strong ones glow."""
    value = np.clip(np.asarray(heatmap, np.float64), 0.0, 1.0)
    rgba = np.zeros((*value.shape, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[..., 1] = np.clip(value * 2 - 1, 0, 1) * 255  # yellow only where the map is above one half
    rgba[..., 3] = value * 200
    return _png(rgba)


def _keep_item_links(old_faces: list[Face], new_faces: list[Face]) -> None:
    old_by_index = {face.index: face for face in old_faces if face.item_id}
    for face in new_faces:
        old = old_by_index.get(face.index)
        if old is not None and list(old.box) == face.box:
            face.item_id = old.item_id


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def delete_upload(upload: Upload) -> None:
    """Remove the upload, its faces and every image made from them; files go after the commit.

    The corrections-dataset items made from its faces go too, with their labels, and so do the
    copies training runs made of them (the runs keep their figures, not the faces). An item
    whose crop another upload's face shares (the same bytes) stays: it is that upload's too.
    """
    with transaction.atomic():
        made = set(Face.objects.filter(upload=upload, item__isnull=False).values_list("item_id", flat=True))
        shared = set(Face.objects.filter(item_id__in=made).exclude(upload=upload).values_list("item_id", flat=True))
        items = Item.objects.filter(pk__in=made - shared, dataset__format=Dataset.Format.UPLOADS)
        gone = list(items.values_list("pk", "image"))
        items.delete()
        upload.delete()
        if gone:
            transaction.on_commit(lambda: _forget_items(gone))


def _forget_items(gone: list[tuple[int, str]]) -> None:
    from webapp.training.services import forget_item_images

    _delete_files([name for _, name in gone])
    forget_item_images({pk for pk, _ in gone})


def correct_face(
    face: Face, *, user, emotion: str | None = None, valence: float | None = None, arousal: float | None = None
) -> Label:
    """Record a person's emotion and/or valence/arousal for this face as a training label.

    The first correction turns the face's aligned crop into an item of the gallery corrections
    dataset; every correction is a new Label on that item, so earlier ones stay visible.
    """
    if emotion is None and valence is None:
        raise CorrectionRejected("give an emotion, valence and arousal, or both")
    with transaction.atomic():
        face = Face.objects.select_for_update().select_related("upload").get(pk=face.pk)
        if face.item_id is None:
            face.item = _item_from_face(face, user)
            face.save(update_fields=["item"])
        return Label.objects.create(
            item=face.item,
            source=Label.Source.CORRECTION,
            emotion=emotion,
            valence=valence,
            arousal=arousal,
            created_by=user,
        )


def corrections_dataset(user=None) -> Dataset:
    dataset = Dataset.objects.filter(format=Dataset.Format.UPLOADS).order_by("id").first()
    if dataset is None:
        dataset, _ = Dataset.objects.get_or_create(
            name=CORRECTIONS_DATASET,
            defaults={
                "format": Dataset.Format.UPLOADS,
                "label_set": "affectnet8",
                "description": "Faces from the gallery that people corrected; their labels feed training.",
                "created_by": user,
            },
        )
    return dataset


def _item_from_face(face: Face, user) -> Item:
    """The corrections dataset's item for this face's crop (the same crop bytes share one item)."""
    with face.crop.open("rb") as handle:
        data = handle.read()
    dataset = corrections_dataset(user)
    content_hash = hashlib.sha256(data).hexdigest()
    existing = Item.objects.filter(dataset=dataset, content_hash=content_hash).first()
    if existing is not None:
        return existing
    height, width = Image.open(io.BytesIO(data)).size[::-1]
    item = Item(
        dataset=dataset,
        split=CORRECTIONS_SPLIT,
        content_hash=content_hash,
        source_name=f"upload {face.upload_id} face {face.index} ({face.upload.original_name})"[:500],
        width=width,
        height=height,
    )
    name = item_image_path(item, "face.png")
    if not default_storage.exists(name):  # content-addressed: same bytes, same file
        name = default_storage.save(name, ContentFile(data))
    item.image.name = name
    item.save()
    return item

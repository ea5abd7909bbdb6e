"""A small site with one of every object and every role, built straight in the database (no worker,
no model): what the privacy tests and the access matrix try each role against."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from webapp.accounts.services import create_annotator
from webapp.datasets.models import Dataset, ImportJob, Item, Label, LandmarkJob, PredictionJob
from webapp.labeling import services as labeling
from webapp.labeling.models import Assignment, LabelingSession
from webapp.modelzoo.models import Evaluation, ModelVersion, Promotion
from webapp.training.models import TrainingRun
from webapp.uploads import services as uploads
from webapp.uploads.models import Face, Upload

PASSWORD = "pw-world-123"


def png(shade: int, size=(48, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (shade, 100, 150)).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class World:
    admin: object
    user: object  # owns `upload`
    other: object  # owns `other_upload`
    annotator: object  # holds `assignment` in `session`
    outsider: object  # an annotator who holds nothing in `session`
    guest: object  # joined `session` by its link
    anon_key: str  # the session cookie of the anonymous visitor who owns `anon_upload`
    upload: Upload
    face: Face
    other_upload: Upload
    anon_upload: Upload
    dataset: Dataset
    item: Item
    corrections_item: Item
    import_job: ImportJob
    prediction_job: PredictionJob
    landmark_job: LandmarkJob
    version: ModelVersion
    evaluation: Evaluation
    promotion: Promotion
    run: TrainingRun
    session: LabelingSession
    other_session: LabelingSession
    assignment: Assignment

    def client(self, role: str) -> APIClient:
        """A client logged in (pages and API alike) as `role`; 'anonymous' and 'anonymous_owner' are not."""
        client = APIClient()
        if role == "anonymous_owner":
            client.cookies["sessionid"] = self.anon_key
        elif role != "anonymous":
            client.force_login(getattr(self, role))
        return client


def _version(tag: str) -> ModelVersion:
    return ModelVersion.objects.create(
        tag=tag, name=tag, source="trained", checkpoint=f"models/trained/{tag}.pt", architecture="simple_cnn",
        label_set="affectnet8", num_classes=8, input_size=48, in_chans=1, parameter_count=1000,
    )  # fmt: skip


def _upload(owner, session_key: str, version: ModelVersion, shade: int) -> Upload:
    name = default_storage.save(f"uploads/photo-{shade}.png", ContentFile(png(shade, (96, 96))))
    upload = Upload.objects.create(
        image=name, original_name=f"private-{shade}.png", sha256="0" * 64, format="PNG", size_bytes=100,
        width=96, height=96, owner=owner, session_key=session_key, status="done", model_version=version,
    )  # fmt: skip
    crop = default_storage.save(f"uploads/faces/crop-{shade}.png", ContentFile(png(shade + 1)))
    probs = {"happy": 0.9, "neutral": 0.1}
    Face.objects.create(
        upload=upload, index=0, box=[10, 10, 40, 40], score=0.99, landmarks=[[0, 0]] * 68, probs=probs,
        emotion="happy", valence=0.5, arousal=0.2, va_source="derived", model_version=version, crop=crop,
        saliency=crop, crop_to_image=[[1, 0, 10], [0, 1, 10]],
    )  # fmt: skip
    return upload


def _anonymous_session() -> str:
    from importlib import import_module

    from django.conf import settings

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store.create()
    return store.session_key


def build_world() -> World:
    User = get_user_model()
    admin = User.objects.create_superuser("world-admin", password=PASSWORD)
    user = User.objects.create_user("world-user", password=PASSWORD)
    other = User.objects.create_user("world-other", password=PASSWORD)
    annotator = create_annotator("world-annotator", PASSWORD)
    outsider = create_annotator("world-outsider", PASSWORD)
    version = _version("world-v1")
    anon_key = _anonymous_session()
    upload = _upload(user, "", version, 10)
    other_upload = _upload(other, "", version, 20)
    anon_upload = _upload(None, anon_key, version, 30)
    face = upload.faces.get()
    uploads.correct_face(face, user=user, emotion="sad")  # a private face in the corrections dataset
    face.refresh_from_db()

    dataset = Dataset.objects.create(name="world-set", format="class_folders", label_set="fer2013")
    items = []
    for shade in (40, 50, 60):
        item = Item(dataset=dataset, split="train", content_hash=f"{shade:064d}",
                    source_name=f"train/happy/{shade}.png", width=48, height=48)  # fmt: skip
        item.image.save(f"{shade}.png", ContentFile(png(shade)), save=False)
        item.save()
        Label.objects.create(item=item, source="original", emotion="happy")
        items.append(item)
    import_job = ImportJob.objects.create(dataset=dataset, source_name="world.zip", status="done")
    import_job.source.save("world.zip", ContentFile(b"PK\x05\x06" + b"\0" * 18))
    prediction_job = PredictionJob.objects.create(dataset=dataset, model_version=version)
    landmark_job = LandmarkJob.objects.create(dataset=dataset)
    confusion = default_storage.save("evaluations/world/cm.png", ContentFile(png(70)))
    evaluation = Evaluation.objects.create(model_version=version, dataset=dataset, split="train",
                                           confusion_png=confusion)  # fmt: skip
    promotion = Promotion.objects.create(model_version=version, promoted_by=admin)
    run = TrainingRun.objects.create(name="world run", label_sources=["original"], architecture="simple_cnn",
                                     config={}, status="running")  # fmt: skip
    run.datasets.add(dataset)

    session = labeling.create_session(dataset=dataset, name="world session", user=admin, allow_guests=True)
    other_session = labeling.create_session(dataset=dataset, name="other session", user=admin)
    guest = labeling.create_guest_annotator(session, "Guest Ada")
    assignment = labeling.next_assignment(session, annotator)
    Assignment.objects.filter(pk=assignment.pk).update(expires_at=timezone.now() + timedelta(hours=1))
    return World(
        admin=admin, user=user, other=other, annotator=annotator, outsider=outsider, guest=guest, anon_key=anon_key,
        upload=upload, face=face, other_upload=other_upload, anon_upload=anon_upload, dataset=dataset,
        item=items[0], corrections_item=face.item, import_job=import_job, prediction_job=prediction_job,
        landmark_job=landmark_job, version=version, evaluation=evaluation, promotion=promotion, run=run,
        session=session, other_session=other_session, assignment=assignment,
    )  # fmt: skip

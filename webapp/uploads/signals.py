"""Files follow their rows: when an Upload or a Face row is deleted (by the gallery, the API, the
admin, or a deleted user's cascade), its files are removed once the delete is committed."""

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from webapp.uploads.models import Face, Upload


def _delete_after_commit(names: list[str]) -> None:
    names = [name for name in names if name]
    if names:
        transaction.on_commit(lambda: [default_storage.delete(name) for name in names])


@receiver(post_delete, sender=Upload, dispatch_uid="uploads.remove_photo")
def remove_photo(sender, instance: Upload, **kwargs) -> None:
    _delete_after_commit([instance.image.name])


@receiver(post_delete, sender=Face, dispatch_uid="uploads.remove_face_files")
def remove_face_files(sender, instance: Face, **kwargs) -> None:
    _delete_after_commit([instance.crop.name, instance.saliency.name])

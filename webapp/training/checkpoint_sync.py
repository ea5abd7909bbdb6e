"""A run's epoch checkpoints kept in object storage too, so a worker on another machine resumes them.

A run trains in a folder on its worker's disk (webapp.training.services.run_dir). With stored
files in an S3 bucket (FER_S3_BUCKET), every finished epoch's `last.pt` (and `best.pt` when it
changed) is also stored under `training/run-<id>/`; a worker that takes the run over and finds
no `last.pt` of its own fetches them first, and ml resumes after that epoch. The stored copies go
once the run is done. With files under MEDIA_ROOT (one machine) nothing is copied: the run's
folder is already where any worker of that machine looks.

The run's training data, downloaded from the bucket (webapp.training.materialize), is removed
from the worker's disk as soon as the worker stops working on the run, so faces deleted from
the site do not linger on GPU machines that the deleting request cannot reach.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from django.core.files.storage import default_storage

from webapp.core import storage

KEPT = ("last.pt", "best.pt")  # ml's resume point, and the best epoch so far that gets registered


def enabled() -> bool:
    return not storage.is_local()


def stored_name(run_id: int, file_name: str) -> str:
    return f"training/run-{run_id}/{file_name}"


class Uploader:
    """Stores a run's checkpoints after each epoch; a file is sent again only when ml rewrote it."""

    def __init__(self, run_id: int, folder: Path):
        self.run_id, self.folder = run_id, folder
        self.sent: dict[str, int] = {}

    def push(self) -> None:
        if not enabled():
            return
        for file_name in KEPT:
            path = self.folder / file_name
            if not path.is_file():
                continue
            written = path.stat().st_mtime_ns
            if self.sent.get(file_name) != written:
                storage.store_file(path, stored_name(self.run_id, file_name))
                self.sent[file_name] = written


def fetch(run_id: int, folder: Path) -> bool:
    """Bring the stored checkpoints into `folder` when it has no `last.pt`; whether one came."""
    if not enabled() or (folder / "last.pt").is_file():
        return False
    fetched = False
    for file_name in KEPT:
        name = stored_name(run_id, file_name)
        if default_storage.exists(name):
            storage.place(name, folder / file_name)
            fetched = fetched or file_name == "last.pt"
    return fetched


def forget(run_id: int) -> None:
    """Remove the stored copies of a finished run (its model version keeps its own checkpoint)."""
    if not enabled():
        return
    for file_name in KEPT:
        default_storage.delete(stored_name(run_id, file_name))


def drop_downloaded_data(run_folder: Path) -> None:
    """Remove a run's materialized data when it was downloaded (object storage); hard links stay."""
    if enabled():
        shutil.rmtree(run_folder / "data", ignore_errors=True)

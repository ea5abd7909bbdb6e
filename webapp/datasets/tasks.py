"""Dataset tasks: importing an uploaded file (`datasets.import`), predicting every item (`datasets.predict`)
and finding the 68 landmarks of items that have none (`datasets.landmarks`).

Each claims its job row first (webapp.core.jobs: a duplicate message is a no-op), beats while it
works, and does the work through the app's own modules (imported inside the body, so the services
that send these tasks can import this module at their top). A re-run after a dead worker is safe.
"""

import contextlib

from webapp.core import jobs
from worker.celery_app import app

SKIPPED = "skipped: finished, taken by a live worker, or deleted"


@app.task(name="datasets.import", time_limit=6 * 3600, soft_time_limit=6 * 3600 - 60)
def import_dataset(job_id: int) -> dict:
    """Import one uploaded dataset file; re-running the same job is safe (see run_import)."""
    from django.utils import timezone

    from webapp.datasets.importing import run_import

    if not jobs.claim(IMPORT, job_id, started_at=timezone.now()):
        return {"job": job_id, "status": SKIPPED}
    with jobs.heartbeat(IMPORT, job_id):
        job = run_import(job_id)
    if job.status == job.Status.DONE and job.imported:
        _queue_landmarks(job.dataset)
    return {"status": job.status, "imported": job.imported, "duplicates": job.duplicates, "errors": job.error_count}


def _queue_landmarks(dataset) -> None:
    """After an import, find the landmarks of the new items (once; landmark models and the leaderboard read them)."""
    from webapp.datasets.services import DatasetJobRejected, start_landmarks

    with contextlib.suppress(DatasetJobRejected):  # every item has its landmarks already
        start_landmarks(dataset)


@app.task(name="datasets.predict", time_limit=12 * 3600, soft_time_limit=12 * 3600 - 60)
def predict_dataset(job_id: int) -> dict:
    """Classify a dataset's items with the job's model version; re-running skips answered items."""
    from django.utils import timezone

    from webapp.datasets.predicting import run_prediction
    from worker.pipelines import single_thread

    if not jobs.claim(DATASET_PREDICTION, job_id, started_at=timezone.now()):
        return {"job": job_id, "status": SKIPPED}
    # One thread: the cpu queue's other jobs (uploads, imports) share the machine's cores.
    with jobs.heartbeat(DATASET_PREDICTION, job_id), single_thread():
        job = run_prediction(job_id)
    return {"job": job_id, "status": job.status, "processed": job.processed, "total": job.total}


@app.task(name="datasets.landmarks", time_limit=6 * 3600, soft_time_limit=6 * 3600 - 60)
def find_dataset_landmarks(job_id: int) -> dict:
    """Find the landmarks of the job's dataset's items that have none; re-running skips items done."""
    from django.conf import settings
    from django.utils import timezone

    from webapp.datasets.landmarking import run_landmarks
    from worker.pipelines import shared_landmarker, single_thread

    if not jobs.claim(DATASET_LANDMARKS, job_id, started_at=timezone.now()):
        return {"job": job_id, "status": SKIPPED}
    with jobs.heartbeat(DATASET_LANDMARKS, job_id), single_thread():
        job = run_landmarks(job_id, shared_landmarker(settings.CONFIG.pipeline))
    return {"job": job_id, "status": job.status, "processed": job.processed, "unreadable": job.unreadable}


IMPORT = jobs.register(jobs.JobKind("dataset import", "datasets.ImportJob", import_dataset, queue="cpu"))
DATASET_PREDICTION = jobs.register(
    jobs.JobKind("dataset prediction", "datasets.PredictionJob", predict_dataset, queue="cpu")
)
DATASET_LANDMARKS = jobs.register(
    jobs.JobKind("dataset landmarks", "datasets.LandmarkJob", find_dataset_landmarks, queue="cpu")
)

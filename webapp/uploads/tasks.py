"""The upload task: one uploaded photo through the active model's face pipeline (`uploads.predict`).

`uploads.predict` is safe to receive twice: it claims the upload's row first (webapp.core.jobs), so
a duplicate message for a pending, running or finished upload does nothing; a re-run after a dead
worker replaces that run's faces in one transaction (webapp.uploads.services.record_prediction).
What is wrong with the photo is recorded on the upload as a message, not retried; a photo without
faces is a success with none.
"""

import logging
import time

from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_process_init
from django.conf import settings

from webapp.core import jobs
from worker import pipelines
from worker.celery_app import app

TIME_LIMIT = 300
log = logging.getLogger(__name__)


@app.task(
    name="uploads.predict", time_limit=TIME_LIMIT, soft_time_limit=TIME_LIMIT - 20,
    acks_late=True, reject_on_worker_lost=True,
)  # fmt: skip
def predict_upload(upload_id: int) -> dict:
    from webapp.uploads import services

    upload = services.start_prediction(upload_id)
    if upload is None:
        gone = not services.Upload.objects.filter(pk=upload_id).exists()
        return {"upload": upload_id, "status": "gone" if gone else "skipped: finished or taken by a live worker"}
    with jobs.heartbeat(UPLOAD_PREDICTION, upload_id):
        return _predict(upload)


UPLOAD_PREDICTION = jobs.register(jobs.JobKind("upload prediction", "uploads.Upload", predict_upload, queue="cpu"))


def _predict(upload) -> dict:
    from ml.faces.images import InvalidImageError
    from ml.faces.weights import MissingWeightsError
    from webapp.modelzoo.services import PromotionError, active_version
    from webapp.uploads import services

    upload_id = upload.pk
    try:
        version = active_version()  # asked per job: a promotion applies from the next photo on
        pipeline = pipelines.pipeline_for(version, settings.CONFIG.pipeline)
        with upload.image.open("rb") as handle:
            data = handle.read()
        with pipelines.single_thread():
            result = pipeline.analyze(data)
    except InvalidImageError as exc:
        return _failed(upload_id, f"the photo could not be read: {exc}")
    except (MissingWeightsError, PromotionError, pipelines.StaleCheckpointError) as exc:
        return _failed(upload_id, f"the model could not be loaded: {exc}")
    except SoftTimeLimitExceeded:
        return _failed(upload_id, f"the prediction took longer than {TIME_LIMIT - 20} s")
    except Exception as exc:
        _failed(upload_id, f"internal error: {type(exc).__name__}: {exc}")
        raise
    upload = services.record_prediction(upload, result, version)
    if upload is None:
        return {"upload": upload_id, "status": "gone"}
    log.info("%d faces with %s in %.0f ms", len(result.faces), version.tag, result.timings_ms.get("total", 0.0))
    return {"upload": upload_id, "status": upload.status, "faces": len(result.faces), "model": version.tag}


def _failed(upload_id: int, message: str) -> dict:
    from webapp.uploads import services

    services.record_failure(upload_id, message)
    log.warning("failed: %s", message)
    return {"upload": upload_id, "status": "failed", "message": message}


@worker_process_init.connect
def warm_up_active_pipeline(**kwargs) -> None:
    """Load and warm the active model's pipeline in each new worker process, before its first photo.

    Without this the first photo a process gets pays for loading the detector, the landmark model
    and the classifier (seconds). Only an optimisation: a failure here is logged and the job that
    needs the pipeline reports the real error.
    """
    from django.db import connections

    from webapp.modelzoo.services import active_version

    start = time.monotonic()
    try:
        version = active_version()
        pipelines.pipeline_for(version, settings.CONFIG.pipeline)
        log.info("prediction pipeline for %s ready in %.1f s", version.tag, time.monotonic() - start)
    except Exception as exc:
        log.warning("could not warm up the prediction pipeline: %s", exc)
    finally:
        connections.close_all()  # the process opens its own connection when its first task runs

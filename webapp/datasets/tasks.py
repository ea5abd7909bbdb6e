"""Dataset tasks: importing an uploaded file (`datasets.import`) and predicting every item (`datasets.predict`).

Each loads its job row, does the work through the app's own modules (imported inside the body, so
the services that send these tasks can import this module at their top) and is safe to run twice.
"""

from worker.celery_app import app


@app.task(name="datasets.import", time_limit=6 * 3600, soft_time_limit=6 * 3600 - 60)
def import_dataset(job_id: int) -> dict:
    """Import one uploaded dataset file; re-running the same job is safe (see run_import)."""
    from webapp.datasets.importing import run_import

    job = run_import(job_id)
    return {"status": job.status, "imported": job.imported, "duplicates": job.duplicates, "errors": job.error_count}


@app.task(name="datasets.predict", time_limit=12 * 3600, soft_time_limit=12 * 3600 - 60)
def predict_dataset(job_id: int) -> dict:
    """Classify a dataset's items with the job's model version; re-running skips answered items."""
    from webapp.datasets.predicting import run_prediction
    from worker.pipelines import single_thread

    # One thread: the cpu queue's other jobs (uploads, imports) share the machine's cores.
    with single_thread():
        job = run_prediction(job_id)
    return {"job": job_id, "status": job.status, "processed": job.processed, "total": job.total}

"""Dataset tasks beyond imports (`datasets.import` stays in worker.tasks): predictions on items."""

from worker.celery_app import app


@app.task(name="datasets.predict", time_limit=12 * 3600, soft_time_limit=12 * 3600 - 60)
def predict_dataset(job_id: int) -> dict:
    """Classify a dataset's items with the job's model version; re-running skips answered items."""
    from webapp.datasets.predicting import run_prediction
    from worker.pipelines import single_thread

    # One thread: the cpu queue's other jobs (uploads, imports) share the machine's cores.
    with single_thread():
        job = run_prediction(job_id)
    return {"job": job_id, "status": job.status, "processed": job.processed, "total": job.total}

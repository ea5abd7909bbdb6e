"""The model-evaluation task (`modelzoo.evaluate`): latency and metrics of one model version."""

from worker.celery_app import app


@app.task(name="modelzoo.evaluate", time_limit=6 * 3600)
def evaluate_model_version(version_id: int) -> dict:
    """Latency and evaluations of one model version on every compatible dataset; re-running refreshes them."""
    from webapp.modelzoo.evaluation import measure_version
    from webapp.modelzoo.models import ModelVersion

    version = ModelVersion.objects.filter(pk=version_id).first()
    if version is None:
        return {"version": version_id, "status": "gone"}
    evaluations = measure_version(version)
    return {"version": version_id, "evaluations": len(evaluations), "latency_ms": version.cpu_latency_ms}

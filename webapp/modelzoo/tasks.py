"""The model-evaluation task (`modelzoo.evaluate`): latency and metrics of one model version.

It claims the version's EvaluationJob row first (webapp.core.jobs), so a duplicate message is a
no-op, and beats while it measures; re-queuing a version (a new row state, pending) refreshes it.
"""

from django.utils import timezone

from webapp.core import jobs
from worker.celery_app import app


@app.task(name="modelzoo.evaluate", time_limit=6 * 3600)
def evaluate_model_version(version_id: int) -> dict:
    """Latency and evaluations of one model version on every compatible dataset; re-running refreshes them."""
    from webapp.modelzoo.evaluation import measure_version
    from webapp.modelzoo.models import EvaluationJob, ModelVersion

    version = ModelVersion.objects.filter(pk=version_id).first()
    if version is None:
        return {"version": version_id, "status": "gone"}
    if not jobs.claim(EVALUATION, version_id, started_at=timezone.now(), message=""):
        return {"version": version_id, "status": "skipped: finished or taken by a live worker"}
    rows = EvaluationJob.objects.filter(pk=version_id)
    try:
        with jobs.heartbeat(EVALUATION, version_id):
            evaluations = measure_version(version)
    except Exception as exc:
        rows.update(status="failed", message=f"{type(exc).__name__}: {exc}"[:2000], finished_at=timezone.now())
        raise
    rows.update(status="done", finished_at=timezone.now())
    return {"version": version_id, "evaluations": len(evaluations), "latency_ms": version.cpu_latency_ms}


EVALUATION = jobs.register(
    jobs.JobKind("model evaluation", "modelzoo.EvaluationJob", evaluate_model_version, queue="cpu")
)

"""The leaderboard page (admins): every model version against every dataset it was measured on; figures."""

from django.shortcuts import get_object_or_404, render

from webapp.accounts import roles
from webapp.core.access import admin_page
from webapp.core.files import send_stored_file
from webapp.modelzoo import charts, selectors, services
from webapp.modelzoo.models import Evaluation, Promotion


@admin_page
def leaderboard(request):
    services.active_version()  # a fresh site lists its bundled models too
    queued = services.queue_first_evaluations()  # bundled models get measured on first view
    columns, rows = selectors.leaderboard()
    context = {
        "columns": columns,
        "rows": rows,
        "lower_is_better": selectors.LOWER_IS_BETTER,
        "is_admin": roles.is_admin(request.user),
        "queued": queued,
        "last_promotion": Promotion.objects.select_related("model_version", "previous").first(),
        "architectures": sorted({row.version.architecture for row in rows}),
        "chart": charts.accuracy_latency([row.version for row in rows]),
    }
    return render(request, "modelzoo/leaderboard.html", context)


@admin_page
def confusion_png(request, pk: int):
    """An evaluation's confusion-matrix figure."""
    evaluation = get_object_or_404(Evaluation, pk=pk)
    return send_stored_file(request, evaluation.confusion_png)

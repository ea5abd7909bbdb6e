"""The leaderboard page: every model version against every dataset it was measured on."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from webapp.accounts import roles
from webapp.modelzoo import charts, selectors, services
from webapp.modelzoo.models import Promotion


@login_required
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

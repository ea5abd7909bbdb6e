"""Training pages (admins): the runs with the launch form, and one run's live progress."""

from django.shortcuts import get_object_or_404, render

from ml.data.presets import PRESETS
from webapp.core.access import admin_page
from webapp.datasets.models import Label
from webapp.datasets.selectors import datasets_with_counts
from webapp.training import charts, selectors
from webapp.training.models import TrainingRun
from webapp.training.serializers import LaunchSerializer


@admin_page
def run_list(request):
    defaults = {name: field.default for name, field in LaunchSerializer().fields.items()}
    context = {
        "runs": selectors.runs()[:50],
        "datasets": datasets_with_counts(),
        "label_sources": Label.Source.choices,
        "architectures": selectors.architectures(),
        "tasks": TrainingRun.Task.choices,
        "queues": TrainingRun.Queue.choices,
        "augmentations": {name: preset.describe() for name, preset in PRESETS.items()},
        "defaults": defaults,
    }
    return render(request, "training/list.html", context)


@admin_page
def run_detail(request, pk: int):
    run = get_object_or_404(selectors.runs(), pk=pk)
    return render(request, "training/run.html", {"run": run, "charts": charts.run_curves(run)})


@admin_page
def run_curves(request, pk: int):
    """The curves alone (an HTML fragment), which the run page swaps in when a new epoch arrived."""
    run = get_object_or_404(TrainingRun, pk=pk)
    return render(request, "training/_curves.html", {"run": run, "charts": charts.run_curves(run)})

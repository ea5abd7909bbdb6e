"""Dataset pages (admins only): the list with the import form, a dataset's histogram and thumbnails, an item,
and item images."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from ml.taxonomy import EMOTIONS
from webapp.accounts import roles
from webapp.core.access import admin_page
from webapp.core.files import send_stored_file, stored_name
from webapp.datasets import exports, selectors, services
from webapp.datasets.api import export_response
from webapp.datasets.models import Dataset, ImportJob, Item
from webapp.datasets.serializers import ItemFilterSerializer

THUMBNAILS_PER_PAGE = 60


@admin_page
def dataset_list(request):
    context = {
        "datasets": selectors.datasets_with_counts(),
        "formats": Dataset.import_formats(),
        "can_import": roles.is_admin(request.user),
        "import_root": settings.APP["IMPORT_ROOT"] if roles.is_admin(request.user) else None,
        "recent_imports": ImportJob.objects.select_related("dataset")[:10] if roles.is_admin(request.user) else [],
    }
    return render(request, "datasets/list.html", context)


@admin_page
def import_detail(request, pk: int):
    """A finished (or running) import's counters and the row errors it stored, after the live view is gone."""
    job = get_object_or_404(ImportJob.objects.select_related("dataset"), pk=pk)
    context = {"job": job, "errors_left_out": max(0, job.error_count - len(job.errors))}
    return render(request, "datasets/import.html", context)


@admin_page
def dataset_detail(request, pk: int):
    dataset = get_object_or_404(selectors.datasets_with_counts(), pk=pk)
    filters = ItemFilterSerializer(data=request.GET)
    if not filters.is_valid():
        messages.error(request, "Some filters were not understood and are ignored.")
        filters = ItemFilterSerializer(data={})
        filters.is_valid()
    chosen = filters.selector_kwargs()
    page = Paginator(selectors.dataset_items(dataset, **chosen), THUMBNAILS_PER_PAGE).get_page(request.GET.get("page"))
    histogram = selectors.class_histogram(dataset)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "dataset": dataset,
        "chart": selectors.histogram_chart(histogram),
        "splits": sorted(histogram),
        "emotions": [*EMOTIONS, "none"],
        "split": chosen["split"],
        "emotion": chosen["emotion"],
        "labeled": filters.validated_data.get("labeled") or "",
        "disagrees": chosen["disagrees"],
        "query": query.urlencode(),
        "page": page,
        "is_admin": roles.is_admin(request.user),
        "prediction_job": selectors.latest_prediction_job(dataset),
        "landmark_job": selectors.latest_landmark_job(dataset),
        "items_without_landmarks": dataset.items.filter(landmarks__isnull=True).count(),
        "exports": list(exports.EXPORTS),
    }
    return render(request, "datasets/detail.html", context)


@admin_page
def item_detail(request, pk: int):
    item = get_object_or_404(Item.objects.select_related("dataset"), pk=pk)
    labels = item.labels.select_related("created_by").order_by("-created_at", "-id")
    predictions = [
        {"prediction": p, "bars": [(e, p.probs.get(e, 0.0), round(100 * p.probs.get(e, 0.0), 1)) for e in EMOTIONS]}
        for p in selectors.item_predictions(item)
    ]
    with_points = next((label for label in labels if label.keypoints), None)
    points = [p for p in with_points.keypoints if p] if with_points else []
    radius = max(item.width, item.height) / 96  # about 3 screen pixels on the 288-pixel image
    context = {"item": item, "labels": labels, "predictions": predictions, "points": points,
               "point_radius": f"{radius:.2f}", "point_stroke": f"{radius / 4:.2f}"}  # fmt: skip
    return render(request, "datasets/item.html", context)


@admin_page
def item_image(request, pk: int):
    item = get_object_or_404(Item, pk=pk)
    return send_stored_file(request, stored_name(item.image))


@admin_page
@require_POST
def predict(request, pk: int):
    dataset = get_object_or_404(Dataset, pk=pk)
    try:
        job = services.start_prediction(dataset, user=request.user)
    except services.DatasetJobRejected as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Predicting {job.total} items with {job.model_version.tag}.")
    return redirect("datasets:detail", pk=pk)


@admin_page
@require_POST
def find_landmarks(request, pk: int):
    dataset = get_object_or_404(Dataset, pk=pk)
    try:
        job = services.start_landmarks(dataset, user=request.user)
    except services.DatasetJobRejected as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Finding the landmarks of {job.total - job.processed} items.")
    return redirect("datasets:detail", pk=pk)


@admin_page
def export(request, pk: int, kind: str):
    if kind not in exports.EXPORTS:
        raise Http404(f"no export {kind!r}")
    return export_response(get_object_or_404(Dataset, pk=pk), kind)

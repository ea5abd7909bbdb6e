"""Dataset pages: the list with the import form, a dataset's histogram and thumbnails, an item."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from ml.taxonomy import EMOTIONS
from webapp.accounts import roles
from webapp.datasets import selectors
from webapp.datasets.models import Dataset, ImportJob, Item

THUMBNAILS_PER_PAGE = 60


@login_required
def dataset_list(request):
    context = {
        "datasets": selectors.datasets_with_counts(),
        "formats": Dataset.import_formats(),
        "can_import": roles.is_admin(request.user),
        "recent_imports": ImportJob.objects.select_related("dataset")[:10] if roles.is_admin(request.user) else [],
    }
    return render(request, "datasets/list.html", context)


@login_required
def dataset_detail(request, pk: int):
    dataset = get_object_or_404(selectors.datasets_with_counts(), pk=pk)
    split, emotion = request.GET.get("split") or None, request.GET.get("emotion") or None
    page = Paginator(selectors.dataset_items(dataset, split=split, emotion=emotion), THUMBNAILS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    histogram = selectors.class_histogram(dataset)
    context = {
        "dataset": dataset,
        "chart": selectors.histogram_chart(histogram),
        "splits": sorted(histogram),
        "emotions": [*EMOTIONS, "none"],
        "split": split,
        "emotion": emotion,
        "page": page,
    }
    return render(request, "datasets/detail.html", context)


@login_required
def item_detail(request, pk: int):
    item = get_object_or_404(Item.objects.select_related("dataset"), pk=pk)
    labels = item.labels.select_related("created_by").order_by("-created_at", "-id")
    return render(request, "datasets/item.html", {"item": item, "labels": labels})

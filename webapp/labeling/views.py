"""Labeling pages: sessions list and setup, the keyboard labeling page, the session's statistics."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required, user_passes_test
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from ml.taxonomy import EMOTIONS
from webapp.accounts import roles
from webapp.labeling import charts, exports, selectors, services
from webapp.labeling.api import export_response
from webapp.labeling.forms import SessionForm
from webapp.labeling.models import LabelingSession
from webapp.labeling.statistics import aggregate_rows, session_statistics

admin_required = user_passes_test(roles.is_admin)
annotator_required = user_passes_test(roles.is_annotator)
AGGREGATES_PER_PAGE = 50


@login_required
def session_list(request):
    form = SessionForm(request.POST or None) if roles.is_admin(request.user) else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            session = services.create_session(user=request.user, **form.cleaned_data)
        except services.LabelingError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("labeling:detail", pk=session.pk)
    sessions = LabelingSession.objects.select_related("dataset")
    if not roles.is_admin(request.user):
        sessions = sessions.filter(is_open=True)
    context = {
        "sessions": sessions,
        "is_admin": roles.is_admin(request.user),
        "is_annotator": roles.is_annotator(request.user),
        "form": form,
    }
    return render(request, "labeling/list.html", context)


@admin_required
def session_detail(request, pk: int):
    session = get_object_or_404(LabelingSession.objects.select_related("dataset"), pk=pk)
    stats = session_statistics(session)
    items = Paginator(aggregate_rows(session, stats), AGGREGATES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "session": session,
        "stats": stats,
        "items": items,
        "distribution": charts.label_distribution(stats),
        "scatters": _scatters(stats),
        "va_chart": charts.va_points(stats) if session.asks_va else None,
        "acceptance": selectors.acceptance(session),
        "invite_url": request.build_absolute_uri(f"/labeling/join/{session.invite_token}/"),
        "exports": list(exports.EXPORTS),
    }
    return render(request, "labeling/detail.html", context)


def _scatters(stats) -> list[dict]:
    return [
        {"id": "gold-plot", "data": charts.annotator_scatter(stats, "gold_accuracy"),
         "caption": "Agreement with the majority against accuracy on gold items (annotators with gold answers)."},
        {"id": "speed-plot", "data": charts.annotator_scatter(stats, "labels_per_minute"),
         "caption": "Agreement with the majority against speed: fast and disagreeing may mean not looking."},
    ]  # fmt: skip


@annotator_required
def label_page(request, pk: int):
    session = get_object_or_404(LabelingSession, pk=pk, is_open=True)
    keys = [{"key": str(i + 1), "emotion": e} for i, e in enumerate(EMOTIONS)]
    return render(request, "labeling/label.html", {"session": session, "keys": keys})


def join(request, token: str):
    """The invite link: a guest annotator account is created and logged in."""
    session = get_object_or_404(LabelingSession, invite_token=token)
    if request.method != "POST":
        return render(request, "labeling/join.html", {"session": session})
    if request.user.is_authenticated and roles.is_annotator(request.user):
        return redirect("labeling:label", pk=session.pk)
    try:
        guest = services.create_guest_annotator(session)
    except services.LabelingError as exc:
        messages.error(request, str(exc))
        return redirect("labeling:join", token=token)
    login(request, guest, backend="django.contrib.auth.backends.ModelBackend")
    return redirect("labeling:label", pk=session.pk)


@admin_required
def export(request, pk: int, kind: str):
    if kind not in exports.EXPORTS:
        raise Http404(f"no export {kind!r}")
    return export_response(get_object_or_404(LabelingSession, pk=pk), kind)

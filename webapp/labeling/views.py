"""Labeling pages: sessions list and setup, the keyboard labeling page, the session's statistics."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from ml.taxonomy import EMOTIONS
from webapp.accounts import roles
from webapp.core import access
from webapp.core.access import admin_page
from webapp.core.files import send_stored_file, stored_name
from webapp.core.throttles import JoinThrottle
from webapp.labeling import charts, exports, selectors, services
from webapp.labeling.api import export_response
from webapp.labeling.forms import JoinForm, SessionForm
from webapp.labeling.models import Assignment, LabelingSession
from webapp.labeling.statistics import aggregate_rows, session_statistics

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
    context = {
        "sessions": access.labeling_sessions_for(request.user).select_related("dataset").distinct(),
        "is_admin": roles.is_admin(request.user),
        "form": form,
    }
    return render(request, "labeling/list.html", context)


@admin_page
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


@login_required
def label_page(request, pk: int):
    session = get_object_or_404(LabelingSession, pk=pk)
    access.require_may_label(request.user, session)
    keys = [{"key": str(i + 1), "emotion": e} for i, e in enumerate(EMOTIONS)]
    return render(request, "labeling/label.html", {"session": session, "keys": keys})


def join(request, token: str):
    """The invite link. GET asks for a display name (or offers a logged-in person to join as themselves);
    POST joins: a logged-in person as themselves, anyone else as a new guest of this session only."""
    session = get_object_or_404(LabelingSession, invite_token=token, is_open=True)
    if access.may_label(request.user, session):  # already in: an annotator, or this session's own guest
        return redirect("labeling:label", pk=session.pk)
    user = request.user if request.user.is_authenticated and not roles.is_guest(request.user) else None
    form = JoinForm(request.POST or None)
    if request.method != "POST":
        return render(request, "labeling/join.html", {"session": session, "form": form, "member": user})
    if not JoinThrottle().allow_request(request, None):
        return render(request, "labeling/join.html", {"session": session, "form": form, "member": user,
                                                      "throttled": True}, status=429)  # fmt: skip
    if user is None and not form.is_valid():
        return render(request, "labeling/join.html", {"session": session, "form": form}, status=400)
    try:
        if user is not None:
            services.join_as_self(session, user)
        else:
            user = services.create_guest_annotator(session, form.cleaned_data["display_name"])
            login(request, user, backend="webapp.accounts.backends.AccountBackend")
    except services.LabelingError as exc:
        messages.error(request, str(exc))
        return render(request, "labeling/join.html", {"session": session, "form": form}, status=403)
    return redirect("labeling:label", pk=session.pk)


@login_required
def assignment_image(request, pk: int):
    """The image of an item handed to this annotator: the only way an annotator sees an item."""
    assignment = get_object_or_404(Assignment.objects.select_related("session_item__item", "session_item__session"),
                                   pk=pk)  # fmt: skip
    if not access.may_see_assignment_image(request.user, assignment):
        raise Http404("no such assignment")
    return send_stored_file(request, stored_name(assignment.session_item.item.image))


@admin_page
@require_POST
def close(request, pk: int):
    session = services.close_session(get_object_or_404(LabelingSession, pk=pk))
    messages.success(request, f"Closed {session.name}: no more answers, and its guest accounts stop working.")
    return redirect("labeling:detail", pk=session.pk)


@admin_page
def export(request, pk: int, kind: str):
    if kind not in exports.EXPORTS:
        raise Http404(f"no export {kind!r}")
    return export_response(get_object_or_404(LabelingSession, pk=pk), kind)

"""Labeling pages: sessions list and setup, the keyboard labeling page, the session's statistics."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required, user_passes_test
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from ml.taxonomy import EMOTIONS
from webapp.accounts import roles
from webapp.labeling import exports, services
from webapp.labeling.forms import SessionForm
from webapp.labeling.models import LabelingSession
from webapp.labeling.statistics import session_statistics

admin_required = user_passes_test(roles.is_admin)
annotator_required = user_passes_test(roles.is_annotator)
EXPORTS = {
    "annotations.csv": (exports.raw_csv, "text/csv"),
    "annotations.json": (exports.raw_json, "application/json"),
    "votes-ferplus.csv": (exports.ferplus_csv, "text/csv"),
}


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
    context = {
        "session": session,
        "stats": session_statistics(session),
        "invite_url": request.build_absolute_uri(f"/labeling/join/{session.invite_token}/"),
        "exports": list(EXPORTS),
    }
    return render(request, "labeling/detail.html", context)


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
    if kind not in EXPORTS:
        raise Http404(f"no export {kind!r}")
    session = get_object_or_404(LabelingSession, pk=pk)
    build, content_type = EXPORTS[kind]
    response = HttpResponse(build(session), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="session-{session.pk}-{kind}"'
    return response

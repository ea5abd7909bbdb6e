"""The annotators page (admins): add annotators, deactivate or reactivate them, see their sessions."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from webapp.accounts import selectors, services
from webapp.accounts.forms import NewAnnotatorForm
from webapp.accounts.roles import ANNOTATORS
from webapp.core.access import admin_page


@admin_page
def annotators(request):
    form = NewAnnotatorForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        user = services.create_annotator(form.cleaned_data["username"], form.cleaned_data["password"])
        created = {"username": user.username, "password": form.cleaned_data["password"]}
        form = NewAnnotatorForm()
    people = list(selectors.annotators())
    work = selectors.sessions_by_annotator(p.pk for p in people)
    rows = [{"user": p, "sessions": work.get(p.pk, [])} for p in people]
    status = 201 if created else 400 if request.method == "POST" else 200
    return render(request, "accounts/annotators.html", {"form": form, "rows": rows, "created": created}, status=status)


@admin_page
@require_POST
def set_active(request, pk: int, active: bool):
    user = get_object_or_404(get_user_model(), pk=pk, groups__name=ANNOTATORS, is_staff=False)
    services.set_annotator_active(user, active)
    verb = "reactivated" if active else "deactivated"
    messages.success(request, f"{user.username} {verb}.")
    return redirect("accounts:annotators")

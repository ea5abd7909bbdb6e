"""Reading accounts: annotators with what they did."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, QuerySet

from webapp.accounts.roles import ANNOTATORS


@dataclass(frozen=True)
class SessionWork:
    session_id: int
    name: str
    answers: int


def annotators() -> QuerySet:
    """Members of the annotators group, with answer counts (guests belong to one session, not to the group)."""
    return (
        get_user_model()
        .objects.filter(groups__name=ANNOTATORS)
        .annotate(answers=Count("annotations"), last_answer=Max("annotations__created_at"))
        .order_by("-is_active", "username")
    )


def sessions_by_annotator(user_ids) -> dict[int, list[SessionWork]]:
    """{user id: [sessions they answered in, with their answer counts]}, newest session first."""
    from webapp.labeling.models import Annotation

    rows = (
        Annotation.objects.filter(annotator_id__in=list(user_ids))
        .values("annotator_id", "session_id", "session__name")
        .annotate(answers=Count("id"))
        .order_by("annotator_id", "-session_id")
    )
    work: dict[int, list[SessionWork]] = {}
    for row in rows:
        work.setdefault(row["annotator_id"], []).append(
            SessionWork(row["session_id"], row["session__name"], row["answers"])
        )
    return work

"""Reading labeling state cheaply, for every request of the labeling loop."""

from django.db.models import Count, Q

from webapp.labeling.models import Acceptance, Annotation, LabelingSession, SessionItem


def progress(session: LabelingSession, annotator) -> dict[str, int]:
    # Every item the session hands out, gold checks included: the same count as the session page.
    counts = SessionItem.objects.filter(session=session).aggregate(
        items=Count("id"), complete_items=Count("id", filter=Q(label_count__gte=session.labels_per_item))
    )
    counts["my_labels"] = Annotation.objects.filter(session=session, annotator=annotator).count()
    return counts


def acceptance(session: LabelingSession) -> dict | None:
    """When, how and by whom the session was last accepted, and how many crowd labels that left."""
    accepted = Acceptance.objects.filter(session=session).select_related("accepted_by").first()
    if accepted is None:
        return None
    return {
        "method": accepted.get_method_display(),
        "accepted_at": accepted.accepted_at,
        "accepted_by": accepted.accepted_by.username if accepted.accepted_by else None,
        "times": accepted.times,
        "labels": accepted.labels.count(),
    }

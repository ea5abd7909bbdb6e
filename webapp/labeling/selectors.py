"""Reading labeling state cheaply, for every request of the labeling loop."""

from django.db.models import Count, Q

from webapp.labeling.models import Annotation, LabelingSession, SessionItem


def progress(session: LabelingSession, annotator) -> dict[str, int]:
    counts = SessionItem.objects.filter(session=session, is_gold=False).aggregate(
        items=Count("id"), complete_items=Count("id", filter=Q(label_count__gte=session.labels_per_item))
    )
    counts["my_labels"] = Annotation.objects.filter(session=session, annotator=annotator).count()
    return counts

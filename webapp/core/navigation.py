"""The sections of the site, in menu order, each with its own page."""

from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    summary: str
    url_name: str
    staff_only: bool = False

    @property
    def url(self) -> str:
        return reverse(self.url_name)


SECTIONS = [
    Section(
        "upload",
        "Upload",
        "Drop photos or take a webcam snapshot: faces, 68 landmarks, emotion and valence/arousal in seconds.",
        url_name="uploads:upload",
    ),
    Section(
        "gallery",
        "Gallery",
        "Uploaded photos with every face found, its landmarks, emotion and valence/arousal.",
        url_name="uploads:gallery",
    ),
    Section(
        "datasets",
        "Datasets",
        "Imported datasets (class folders, FER-2013 CSV, FER+ votes) to browse by split and class.",
        url_name="datasets:list",
        staff_only=True,
    ),
    Section(
        "labeling",
        "Labeling",
        "Crowd labeling sessions: keyboard labeling of emotions and valence/arousal, agreement and aggregation.",
        url_name="labeling:list",
    ),
    Section(
        "training",
        "Training",
        "Training runs of the architecture zoo on the GPU workers, with live progress.",
        url_name="training:list",
        staff_only=True,
    ),
    Section(
        "annotators",
        "Annotators",
        "Add annotators, deactivate them, and see who labelled what in which session.",
        url_name="accounts:annotators",
        staff_only=True,
    ),
    Section(
        "leaderboard",
        "Leaderboard",
        "Every model version compared per dataset and metric; promote the one predictions use.",
        url_name="modelzoo:leaderboard",
        staff_only=True,
    ),
]

SECTIONS_BY_SLUG = {section.slug: section for section in SECTIONS}


def visible_sections(user) -> list[Section]:
    return [s for s in SECTIONS if not s.staff_only or user.is_staff]

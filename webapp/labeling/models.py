"""Crowd labeling: sessions over a dataset's items, who holds which item, what they said."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from webapp.datasets.models import EMOTION_CHOICES, Dataset, Item, Label, va_range_constraints


def new_invite_token() -> str:
    return secrets.token_urlsafe(16)


class LabelingSession(models.Model):
    class Ask(models.TextChoices):
        EMOTION = "emotion", "Emotion"
        VA = "va", "Valence/arousal"
        BOTH = "both", "Emotion and valence/arousal"

    class Selection(models.TextChoices):
        ALL = "all", "All items"
        UNLABELED = "unlabeled", "Items without an emotion label"
        DISAGREEMENT = "disagreement", "Items whose labels disagree"
        MODEL_UNSURE = "model_unsure", "Items the model is unsure about (run predictions first)"

    class Order(models.TextChoices):
        LEAST_LABELED = "least_labeled", "Least-labeled first"
        UNCERTAINTY = "uncertainty", "Most uncertain model prediction first (active learning)"

    name = models.CharField(max_length=100)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="labeling_sessions")
    ask = models.CharField(max_length=10, choices=Ask.choices, default=Ask.EMOTION)
    selection = models.CharField(max_length=20, choices=Selection.choices, default=Selection.ALL)
    split = models.CharField(max_length=20, blank=True, help_text="only this split; empty = every split")
    order = models.CharField(max_length=20, choices=Order.choices, default=Order.LEAST_LABELED)
    unsure_below = models.FloatField(
        default=0.6, help_text="'model unsure' items: the newest prediction's top probability is below this (0-1)"
    )
    labels_per_item = models.PositiveSmallIntegerField(default=1)
    gold_rate = models.FloatField(default=0.0, help_text="share of shown items that are gold items (0-0.5)")
    # Off by default so annotators are not anchored; when on, annotators may still keep it hidden.
    show_prediction = models.BooleanField(default=False, help_text="annotators may reveal the model's guess")
    allow_guests = models.BooleanField(default=False, help_text="the invite link creates guest annotators")
    invite_token = models.CharField(max_length=40, default=new_invite_token, unique=True)
    is_open = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(gold_rate__gte=0, gold_rate__lte=0.5), name="gold_rate_range"),
            models.CheckConstraint(condition=Q(labels_per_item__gte=1), name="at_least_one_label"),
            models.CheckConstraint(condition=Q(unsure_below__gt=0, unsure_below__lte=1), name="unsure_below_range"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def asks_emotion(self) -> bool:
        return self.ask in (self.Ask.EMOTION, self.Ask.BOTH)

    @property
    def asks_va(self) -> bool:
        return self.ask in (self.Ask.VA, self.Ask.BOTH)


class SessionItem(models.Model):
    """An item in a session. Gold items have a known answer and go to every annotator."""

    session = models.ForeignKey(LabelingSession, on_delete=models.CASCADE, related_name="session_items")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    is_gold = models.BooleanField(default=False)
    gold_emotion = models.CharField(max_length=20, choices=EMOTION_CHOICES, blank=True)
    label_count = models.PositiveIntegerField(default=0, help_text="annotations so far (kept in step by services)")
    # The item's newest model prediction when the session was created (what annotators may be shown).
    prediction = models.CharField(max_length=20, choices=EMOTION_CHOICES, blank=True)
    uncertainty = models.FloatField(null=True, blank=True, help_text="entropy (bits) of that prediction")

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["session", "item"], name="item_once_per_session")]
        indexes = [
            models.Index(fields=["session", "is_gold", "label_count", "id"], name="next_item_order"),
            models.Index(fields=["session", "is_gold", "-uncertainty", "label_count"], name="next_uncertain_item"),
        ]

    def __str__(self) -> str:
        return f"item {self.item_id} in session {self.session_id}"


class Assignment(models.Model):
    """An annotator holds a slot of an item until they label it, skip it, or it expires."""

    class Status(models.TextChoices):
        ACTIVE = "active"
        DONE = "done"
        SKIPPED = "skipped"

    session_item = models.ForeignKey(SessionItem, on_delete=models.CASCADE, related_name="assignments")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    assigned_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            # Never the same item twice to one annotator: the database enforces it under races.
            models.UniqueConstraint(fields=["session_item", "annotator"], name="one_assignment_per_annotator")
        ]

    def __str__(self) -> str:
        return f"{self.annotator_id} holds {self.session_item_id} ({self.status})"


class Annotation(models.Model):
    """What one annotator said about one item, with who/when/how long and what they were shown."""

    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="annotation")
    session = models.ForeignKey(LabelingSession, on_delete=models.CASCADE, related_name="annotations")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="annotations")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="annotations")
    emotion = models.CharField(max_length=20, choices=EMOTION_CHOICES, blank=True)
    not_face = models.BooleanField(default=False)
    unsure = models.BooleanField(default=False)
    valence = models.FloatField(null=True, blank=True)
    arousal = models.FloatField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(help_text="time from showing the item to the answer")
    prediction_shown = models.CharField(max_length=20, blank=True, help_text="the model's emotion, if shown")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            *va_range_constraints("annotation_valence_range", "annotation_arousal_range"),
        ]

    def __str__(self) -> str:
        return f"{self.annotator_id}: {self.emotion or ('not a face' if self.not_face else 'unsure')}"


class Acceptance(models.Model):
    """The session's accepted aggregate and the crowd Labels it wrote.

    One per session: accepting again deletes the Labels listed here and writes the new ones,
    so a session never leaves two sets of crowd labels in its dataset.
    """

    class Method(models.TextChoices):
        MAJORITY = "majority", "Majority vote"
        DAWID_SKENE = "dawid_skene", "Dawid-Skene"

    session = models.OneToOneField(LabelingSession, on_delete=models.CASCADE, related_name="acceptance")
    method = models.CharField(max_length=20, choices=Method.choices)
    labels = models.ManyToManyField(Label, related_name="+", help_text="the crowd labels this acceptance wrote")
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    accepted_at = models.DateTimeField()
    times = models.PositiveIntegerField(default=1, help_text="how often the session was accepted")

    def __str__(self) -> str:
        return f"session {self.session_id} accepted by {self.method}"


class Participant(models.Model):
    """Someone who joined a session through its invite link.

    A guest is an account the link made: it may label in this session only, and stops
    working when the session closes or stops taking guests (webapp/accounts/backends.py).
    A logged-in person who opens the link joins as themselves (is_guest false).
    """

    session = models.ForeignKey(LabelingSession, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participations")
    display_name = models.CharField(max_length=40)
    is_guest = models.BooleanField(default=False)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["session", "user"], name="join_a_session_once")]

    def __str__(self) -> str:
        return f"{self.display_name} in session {self.session_id}"

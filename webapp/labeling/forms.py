from django import forms

from webapp.labeling.models import LabelingSession


class SessionForm(forms.ModelForm):
    class Meta:
        model = LabelingSession
        fields = ["name", "dataset", "ask", "selection", "split", "labels_per_item", "gold_rate", "show_prediction",
                  "allow_guests"]  # fmt: skip
        widgets = {"gold_rate": forms.NumberInput(attrs={"step": "0.05", "min": "0", "max": "0.5"})}

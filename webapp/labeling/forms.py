from django import forms

from webapp.labeling.models import LabelingSession


class SessionForm(forms.ModelForm):
    class Meta:
        model = LabelingSession
        fields = ["name", "dataset", "ask", "selection", "unsure_below", "order", "split", "labels_per_item",
                  "gold_rate", "show_prediction", "allow_guests"]  # fmt: skip
        widgets = {
            "gold_rate": forms.NumberInput(attrs={"step": "0.05", "min": "0", "max": "0.5"}),
            "unsure_below": forms.NumberInput(attrs={"step": "0.05", "min": "0.05", "max": "1"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Optional: a form posted without them gets the model's defaults.
        for name in ("order", "unsure_below"):
            self.fields[name].required = False

    def clean_order(self):
        return self.cleaned_data["order"] or LabelingSession.Order.LEAST_LABELED

    def clean_unsure_below(self):
        value = self.cleaned_data["unsure_below"]
        if value is None:
            return LabelingSession._meta.get_field("unsure_below").default
        if not 0 < value <= 1:
            raise forms.ValidationError("a probability above 0 and at most 1")
        return value


class JoinForm(forms.Form):
    """A guest's name as the session's admin sees it; the account itself gets a random user name."""

    display_name = forms.CharField(max_length=40, strip=True, label="Your name (shown to the session's organisers)")

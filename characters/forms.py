"""HTML forms of characters; they validate shapes, services validate the rest and write."""

from django import forms

from characters.cards import FIELD_LIMITS, MAX_TAG_LENGTH, MAX_TAGS
from characters.models import Visibility
from storable import json_problem


class ObjectJSONField(forms.JSONField):
    """A JSON object; bodies too deep or numbers too long for Python's parser are form errors, not crashes."""

    def to_python(self, value):
        try:
            value = super().to_python(value)
        except (RecursionError, ValueError):
            raise forms.ValidationError("Enter valid JSON.") from None
        if value in (None, ""):
            return {}
        if not isinstance(value, dict):
            raise forms.ValidationError("Extensions must be a JSON object.")
        problem = json_problem(value)
        if problem:
            raise forms.ValidationError(f"The extensions {problem}.")
        return value

    def bound_data(self, data, initial):
        """Show the input as typed: re-encoding a parsed value could fail on exactly what was refused."""
        return initial if self.disabled else forms.fields.InvalidJSONInput(data or "")


class CharacterForm(forms.Form):
    name = forms.CharField(max_length=FIELD_LIMITS["name"])
    tagline = forms.CharField(max_length=FIELD_LIMITS["tagline"], required=False, help_text="One line shown under the name.")
    persona = forms.CharField(
        max_length=FIELD_LIMITS["persona"],
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Who the character is. {{char}} and {{user}} work as in character cards.",
    )
    greeting = forms.CharField(
        max_length=FIELD_LIMITS["greeting"], required=False, strip=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    example_dialogue = forms.CharField(
        max_length=FIELD_LIMITS["example_dialogue"], required=False, strip=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    tags = forms.CharField(
        required=False, max_length=(MAX_TAG_LENGTH + 2) * MAX_TAGS, help_text="Comma-separated, e.g. fantasy, mentor."
    )
    visibility = forms.ChoiceField(choices=Visibility.choices, initial=Visibility.PUBLIC)
    voice = forms.CharField(max_length=FIELD_LIMITS["voice"], required=False, help_text="A voice id.")
    extensions = ObjectJSONField(
        required=False,
        initial=dict,
        help_text="A JSON object kept in the character card.",
        widget=forms.Textarea(attrs={"rows": 3, "class": "mono"}),
    )
    portrait = forms.FileField(required=False, help_text="PNG, JPEG or WebP, at most 10 MB and 4096×4096.")
    own_likeness_attested = forms.BooleanField(
        required=False,
        label="This portrait is a photo of me, and I agree to its use",
        help_text="Photos of real people are refused unless they show you; yours is reviewed before others can see it.",
    )
    remove_portrait = forms.BooleanField(required=False)


class CardImportForm(forms.Form):
    file = forms.FileField(help_text="A character card: PNG, JSON or CHARX (V1, V2 or V3).")

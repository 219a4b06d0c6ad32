"""The report and appeal forms of every moderated item's page (characters, posts, comments)."""

from django import forms

from moderation.models import ReportReason


class ReportForm(forms.Form):
    reason = forms.ChoiceField(choices=ReportReason.choices)
    details = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))


class AppealForm(forms.Form):
    message = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), help_text="You can appeal once.")

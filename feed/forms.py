"""HTML forms of the feed; they check shapes, the services check the rest."""

from django import forms

from characters.cards import MAX_TAG_LENGTH, MAX_TAGS
from feed.models import CAPTION_MAX, COMMENT_MAX, PostVisibility


class PostForm(forms.Form):
    caption = forms.CharField(
        required=False, max_length=CAPTION_MAX, widget=forms.Textarea(attrs={"rows": 3}), help_text="Say what happens."
    )
    tags = forms.CharField(
        required=False, max_length=(MAX_TAG_LENGTH + 2) * MAX_TAGS, help_text="Comma-separated, e.g. comedy, pirates."
    )
    visibility = forms.ChoiceField(choices=PostVisibility.choices, initial=PostVisibility.PUBLIC, widget=forms.RadioSelect)

    def post_fields(self) -> dict:
        """The service's keyword arguments: caption, the tags as a list, visibility."""
        data = self.cleaned_data
        return {"caption": data["caption"], "tags": data["tags"].split(","), "visibility": data["visibility"]}


class CommentForm(forms.Form):
    text = forms.CharField(max_length=COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Add a comment"}))
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)

"""HTML forms of accounts; they validate input, services do the writing."""

from django import forms
from django.contrib.auth.forms import UserCreationForm

from accounts.models import BIO_MAX, DISPLAY_NAME_MAX, User


class SignUpForm(UserCreationForm):
    class Meta:
        model = User
        fields = ["username", "email"]

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("That username is taken.")
        return username


class ProfileForm(forms.Form):
    display_name = forms.CharField(max_length=DISPLAY_NAME_MAX, required=False)
    bio = forms.CharField(max_length=BIO_MAX, required=False, widget=forms.Textarea(attrs={"rows": 4}))
    avatar = forms.FileField(required=False, help_text="PNG, JPEG or WebP, at most 10 MB.")
    remove_avatar = forms.BooleanField(required=False)

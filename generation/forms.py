"""HTML form of a clip request; it checks shapes, the service checks the rest."""

from django import forms

from engine import speech
from generation.services.request import AUDIO_SUFFIXES


def voice_choices() -> list[tuple[str, str]]:
    return [(voice.id, voice.name) for voice in speech.VOICES.values()]


class ClipForm(forms.Form):
    script = forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": speech.MAX_SCRIPT_CHARS, "data-counter": "script-count"}),
        help_text="What the character says.",
    )
    voice = forms.ChoiceField(choices=voice_choices, required=False, widget=forms.RadioSelect)
    audio = forms.FileField(
        required=False,
        label="Or upload your own voice recording",
        help_text=f"WAV, MP3 or OGG, at most {int(speech.MAX_AUDIO_SECONDS)} seconds. The character lip-syncs to it.",
        widget=forms.ClearableFileInput(attrs={"accept": ",".join((*AUDIO_SUFFIXES, "audio/wav", "audio/mpeg", "audio/ogg"))}),
    )

"""`manage.py make_clip`: the service path and the task, synchronously, with clear errors."""

import io

import pytest
from django.core.management import CommandError, call_command

from generation.models import GenerationJob, JobStatus
from generation.tests.conftest import FAST_VOICE, wav_bytes
from moderation.services import signing_identity
from provenance import manifest

pytestmark = pytest.mark.django_db


def make_clip(**options) -> str:
    """Run the command as from a shell: every option goes through its argument parser."""
    out = io.StringIO()
    arguments = [part for name, value in options.items() for part in (f"--{name}", str(value))]
    call_command("make_clip", *arguments, stdout=out)
    return out.getvalue()


def test_it_writes_a_signed_mp4_and_prints_the_stage_timings(clip_character, tmp_path, django_capture_on_commit_callbacks):
    out = tmp_path / "clip.mp4"
    with django_capture_on_commit_callbacks(execute=True):
        printed = make_clip(character=clip_character.slug, text="Hello there.", voice=FAST_VOICE, out=out)
    report = manifest.verify(out, trust_root_pem=signing_identity().root_pem)
    assert report.state in ("Valid", "Trusted") and report.ai_generated
    assert "speech" in printed and "render" in printed and f"Wrote {out}" in printed
    job = GenerationJob.objects.get()
    assert job.status == JobStatus.SUCCEEDED and job.owner == clip_character.owner


def test_a_recording_and_another_user(clip_character, other_user, tmp_path, django_capture_on_commit_callbacks):
    recording = tmp_path / "me.wav"
    recording.write_bytes(wav_bytes(1.0))
    with django_capture_on_commit_callbacks(execute=True):
        make_clip(character=clip_character.slug, audio=recording, user="other", out=tmp_path / "clip.mp4")
    assert (tmp_path / "clip.mp4").stat().st_size > 1000 and GenerationJob.objects.get().owner == other_user


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"character": "nobody"}, 'No character with the slug "nobody"'),
        ({"user": "ghost"}, 'No active user "ghost"'),
        ({"voice": "nobody"}, 'There is no voice "nobody"'),
        ({"text": "I will kill you, I know where you live"}, "Please rewrite it"),
        ({"text": None, "audio": "missing.wav"}, "No such file"),
        ({"out": "/no/such/folder/clip.mp4"}, "does not exist"),
    ],
)
def test_clear_errors(options, message, clip_character, tmp_path):
    arguments = {"character": clip_character.slug, "text": "Hello.", "voice": FAST_VOICE, "out": tmp_path / "clip.mp4", **options}
    if arguments["text"] is None:
        del arguments["text"]
    with pytest.raises(CommandError, match=message):
        make_clip(**arguments)
    assert not GenerationJob.objects.exists()


def test_a_failed_clip_is_an_error(clip_character, tmp_path, django_capture_on_commit_callbacks):
    script = ("Well, here is a rather long story about nothing in particular. " * 16)[:1000]
    with pytest.raises(CommandError, match="at most 60 seconds"), django_capture_on_commit_callbacks(execute=True):
        make_clip(character=clip_character.slug, text=script, voice="rex", out=tmp_path / "clip.mp4")
    assert not (tmp_path / "clip.mp4").exists()

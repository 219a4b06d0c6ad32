"""Clip pages through Django's test client: the button, the form and its errors, the job page in each state, my clips."""

import html
import re
from urllib.parse import urlparse

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from generation.models import GenerationJob, JobStatus
from generation.tests.conftest import FAST_VOICE, finished_clip
from moderation.models import ModerationState

pytestmark = pytest.mark.django_db


def attribute_paths(page: str, name: str) -> list[str]:
    """The URL paths in every `name="..."` attribute of the page."""
    return [urlparse(html.unescape(value)).path for value in re.findall(rf' {name}="([^"]*)"', page)]


@pytest.fixture
def browser(client, owner):
    client.force_login(owner)
    return client


def make_clip_url(character) -> str:
    return f"/c/{character.slug}/clip/"


def submit(client, character, **fields):
    return client.post(make_clip_url(character), {"script": "Hello there.", "voice": FAST_VOICE, **fields})


def test_the_character_page_offers_a_clip_to_whoever_may_make_one(client, owner, other_user, clip_character, make_character):
    client.force_login(other_user)
    assert 'data-testid="make-clip"' in client.get(clip_character.get_absolute_url()).content.decode()
    client.force_login(owner)
    no_portrait = make_character("Blank", with_portrait=False)
    assert 'data-testid="make-clip"' not in client.get(no_portrait.get_absolute_url()).content.decode()
    clip_character.moderation_state = ModerationState.HELD
    clip_character.save()
    assert 'data-testid="make-clip"' not in client.get(clip_character.get_absolute_url()).content.decode()


def test_the_form_has_a_counter_voices_with_samples_and_an_upload(browser, clip_character):
    clip_character.voice = "basil"
    clip_character.save()
    page = browser.get(make_clip_url(clip_character)).content.decode()
    assert 'id="script-count"' in page and 'data-max="1000"' in page
    assert 'data-preview="/api/clips/voices/ada/preview.wav"' in page
    assert 'value="basil" checked' in page  # the character's own voice is preselected
    assert 'type="file" name="audio"' in page and "60 seconds" in page


def test_anonymous_visitors_are_sent_to_log_in(client, clip_character):
    response = client.get(make_clip_url(clip_character))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_submitting_goes_to_the_job_page_with_a_live_progress_bar(browser, clip_character):
    response = submit(browser, clip_character)
    job = GenerationJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/clips/jobs/{job.pk}/"
    page = browser.get(response["Location"]).content.decode()
    assert (
        "<progress" in page
        and "In the queue, 1st in line" in page
        and "No clip</span> ahead of yours" in page
        and f'data-socket="/ws/jobs/{job.pk}/"' in page
    )
    assert f'action="/clips/jobs/{job.pk}/cancel/"' in page and "generation/job.js" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"script": "I will kill you, I know where you live"}, "Please rewrite it"),
        ({"script": ""}, "Write a script"),
        ({"voice": "nobody"}, "Select a valid choice"),
        ({"script": "", "audio": SimpleUploadedFile("voice.mp3", b"not audio")}, "audio"),
    ],
)
def test_refusals_show_on_the_form(fields, message, browser, clip_character):
    response = submit(browser, clip_character, **fields)
    assert response.status_code == 200 and message in response.content.decode()
    assert 'class="errorlist' in response.content.decode() and not GenerationJob.objects.exists()


def test_the_quota_shows_on_the_form(browser, clip_character, settings):
    settings.CLIP_DAILY_QUOTA = 0
    response = submit(browser, clip_character)
    assert "renews at midnight UTC" in response.content.decode() and not GenerationJob.objects.exists()


def test_a_character_without_a_portrait_explains_why_there_is_no_form(browser, make_character):
    page = browser.get(make_clip_url(make_character("Blank", with_portrait=False))).content.decode()
    assert 'data-testid="clip-refusal"' in page and "no portrait" in page and 'data-testid="clip-form"' not in page


def test_a_held_character_is_403(browser, clip_character):
    clip_character.moderation_state = ModerationState.HELD
    clip_character.save()
    assert browser.get(make_clip_url(clip_character)).status_code == 403


def test_cancel_from_the_job_page(browser, clip_character):
    submit(browser, clip_character)
    job = GenerationJob.objects.get()
    response = browser.post(f"/clips/jobs/{job.pk}/cancel/", follow=True)
    page = response.content.decode()
    assert "This clip was cancelled." in page and "Make another" in page and "<progress" not in page
    again = browser.post(f"/clips/jobs/{job.pk}/cancel/", follow=True).content.decode()
    assert "already cancelled" in again


def test_a_finished_job_shows_the_player_provenance_and_timings(browser, clip_character):
    submit(browser, clip_character)
    job = GenerationJob.objects.get()
    clip = finished_clip(job, signer="Marionette dev")
    GenerationJob.objects.filter(pk=job.pk).update(
        timings={"speech": 0.1, "render": 0.5, "publish": 0.2},
        fallback_reason="The animation could not be rendered (RuntimeError). This clip shows the still portrait.",
    )
    page = browser.get(f"/clips/jobs/{job.pk}/").content.decode()
    # Signed S3 URLs carry the second they were signed in: the page's and the test's may differ in that alone.
    assert attribute_paths(page, "poster") == [urlparse(clip.poster.url).path]
    assert urlparse(clip.video.url).path in attribute_paths(page, "src")
    assert "AI-generated" in page and "00112233aabbccdd" in page and "Trusted" in page and "Marionette dev" in page
    assert "Download MP4" in page and "Make another" in page and "still portrait" in page and "render" in page
    assert "<progress" not in page


def test_a_failed_job_shows_why(browser, clip_character):
    submit(browser, clip_character)
    job = GenerationJob.objects.get()
    GenerationJob.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, error="This script takes 73 seconds to say.")
    assert "This script takes 73 seconds to say." in browser.get(f"/clips/jobs/{job.pk}/").content.decode()


def test_other_peoples_jobs_are_404(client, other_user, browser, clip_character):
    submit(browser, clip_character)
    job = GenerationJob.objects.get()
    client.force_login(other_user)
    assert client.get(f"/clips/jobs/{job.pk}/").status_code == 404
    assert client.post(f"/clips/jobs/{job.pk}/cancel/").status_code == 404
    assert client.get("/clips/jobs/not-a-uuid/").status_code == 404


def test_my_clips_lists_my_jobs_only(client, browser, other_user, clip_character):
    submit(browser, clip_character, script="Hello from the list.")
    page = browser.get("/clips/").content.decode()
    assert "Hello from the list." in page and "queued" in page
    client.force_login(other_user)
    assert "Hello from the list." not in client.get("/clips/").content.decode()

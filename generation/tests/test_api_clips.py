"""The clip API through HTTP: requests and refusals, who sees which job and clip, cancel, voices, the schema."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from generation.models import Clip, GenerationJob
from generation.tests.conftest import FAST_VOICE, finished_clip
from moderation.models import ModerationState

pytestmark = pytest.mark.django_db

JOBS = "/api/clips/jobs/"


def post_job(client, character, **fields):
    return client.post(JOBS, {"character": character.slug, "voice": FAST_VOICE, **fields}, format="json")


@pytest.fixture
def job(client_for, owner, clip_character) -> GenerationJob:
    response = post_job(client_for(owner), clip_character, script="Hello there.")
    assert response.status_code == 201, response.json()
    return GenerationJob.objects.get(pk=response.json()["id"])


@pytest.fixture
def clip(job) -> Clip:
    return finished_clip(job, signer="Marionette", watermark_payload_matches=True, watermark_confidence=0.98)


# --- requesting ------------------------------------------------------------------------------------


def test_a_request_answers_with_the_queued_job(client_for, owner, clip_character):
    response = post_job(client_for(owner), clip_character, script="Hello there.")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "queued" and body["progress"] == 0 and not body["finished"] and body["clip"] is None
    assert body["character"] == {"slug": clip_character.slug, "name": "Mira"} and body["voice"] == FAST_VOICE
    assert body["socket"] == f"/ws/jobs/{body['id']}/" and body["source"] == "script"
    assert body["url"].endswith(f"{JOBS}{body['id']}/") and body["page"].endswith(f"/clips/jobs/{body['id']}/")


def test_a_recording_is_sent_as_multipart(client_for, owner, clip_character, recording, job_files):
    client = client_for(owner)
    response = client.post(JOBS, {"character": clip_character.slug, "audio": recording()}, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["source"] == "recording"
    assert job_files() == [f"generation/audio/{response.json()['id']}.wav"]


def test_the_sixth_clip_of_the_day_is_429_and_nothing_is_queued(
    client_for, owner, clip_character, django_capture_on_commit_callbacks
):
    client = client_for(owner)
    with django_capture_on_commit_callbacks() as callbacks:
        statuses = [post_job(client, clip_character, script="Hello.").status_code for _ in range(6)]
    assert statuses == [201] * 5 + [429]
    assert len(callbacks) == 5 and GenerationJob.objects.count() == 5
    refusal = post_job(client, clip_character, script="Hello.").json()
    assert refusal["code"] == "quota_exceeded" and "5" in refusal["detail"]


def test_the_quota_follows_the_setting(client_for, owner, clip_character, settings):
    settings.CLIP_DAILY_QUOTA = 1
    client = client_for(owner)
    assert post_job(client, clip_character, script="Hello.").status_code == 201
    assert post_job(client, clip_character, script="Hello.").status_code == 429


def test_a_blocked_script_is_400_content_blocked(client_for, owner, clip_character):
    response = post_job(client_for(owner), clip_character, script="I will kill you, I know where you live")
    assert response.status_code == 400
    assert response.json()["code"] == "content_blocked" and response.json()["categories"]
    assert not GenerationJob.objects.exists()


def test_a_held_character_is_refused_with_the_reason(client_for, owner, clip_character):
    clip_character.moderation_state = ModerationState.HELD
    clip_character.save()
    response = post_job(client_for(owner), clip_character, script="Hello.")
    assert response.status_code == 403 and "held for review" in response.json()["detail"]


def test_another_users_private_character_is_not_found(client_for, other_user, clip_character):
    clip_character.visibility = "private"
    clip_character.save()
    response = post_job(client_for(other_user), clip_character, script="Hello.")
    assert response.status_code == 400 and "character" in response.json()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"voice": "nobody"}, "voice"),
        ({"script": "x" * 1001}, "script"),
        ({"script": ""}, "script"),
    ],
)
def test_field_errors_name_the_field(fields, field, client_for, owner, clip_character):
    response = post_job(client_for(owner), clip_character, **{"script": "Hello.", **fields})
    assert response.status_code == 400 and field in response.json(), response.json()


@pytest.mark.parametrize(
    ("name", "content"),
    [("song.mp3", b"this is just text, not audio"), ("empty.wav", b""), ("notes.txt", b"hello")],
)
def test_bad_recordings_are_400_with_a_message_and_store_nothing(name, content, client_for, owner, clip_character, job_files):
    upload = SimpleUploadedFile(name, content)
    response = client_for(owner).post(JOBS, {"character": clip_character.slug, "audio": upload}, format="multipart")
    assert response.status_code == 400 and response.json()["audio"], response.json()
    assert job_files() == [] and not GenerationJob.objects.exists()


def test_a_recording_over_a_minute_is_refused(client_for, owner, clip_character, recording, job_files):
    response = client_for(owner).post(JOBS, {"character": clip_character.slug, "audio": recording(61)}, format="multipart")
    assert response.status_code == 400 and "60 seconds" in response.json()["audio"][0]
    assert job_files() == []


@pytest.mark.parametrize(
    ("body", "content_type"),
    [('{"character": ', "application/json"), ("[1, 2]", "application/json"), ("{}", "application/json")],
)
def test_malformed_bodies_are_400(body, content_type, client_for, owner):
    response = client_for(owner).post(JOBS, body, content_type=content_type)
    assert response.status_code == 400


def test_anonymous_requests_are_401(client_for, clip_character):
    assert post_job(client_for(None), clip_character, script="Hello.").status_code == 401
    assert client_for(None).get(JOBS).status_code == 401


# --- reading and cancelling ------------------------------------------------------------------------


@pytest.mark.parametrize(("actor", "expected"), [("owner", 200), ("other", 404), ("staff", 404), ("anonymous", 401)])
def test_only_the_owner_sees_a_job(actor, expected, job, client_for, owner, other_user, staff_user):
    user = {"owner": owner, "other": other_user, "staff": staff_user, "anonymous": None}[actor]
    assert client_for(user).get(f"{JOBS}{job.pk}/").status_code == expected


@pytest.mark.parametrize(("actor", "expected"), [("owner", 200), ("other", 404), ("staff", 200), ("anonymous", 401)])
def test_a_clip_is_seen_by_its_owner_and_staff(actor, expected, clip, client_for, owner, other_user, staff_user):
    user = {"owner": owner, "other": other_user, "staff": staff_user, "anonymous": None}[actor]
    response = client_for(user).get(f"/api/clips/{clip.pk}/")
    assert response.status_code == expected
    if expected == 200:
        body = response.json()
        assert f"clips/{clip.job_id}/video.mp4" in body["video"] and f"clips/{clip.job_id}/poster.jpg" in body["poster"]
        assert body["duration"] == 1.5 and body["watermark_payload"] == "00112233aabbccdd"
        assert body["provenance"]["c2pa_state"] == "Trusted" and body["provenance"]["watermark_found"]


def test_a_finished_job_shows_its_clip(clip, client_for, owner):
    body = client_for(owner).get(f"{JOBS}{clip.job_id}/").json()
    assert body["status"] == "succeeded" and body["finished"] and body["clip"]["id"] == str(clip.pk)


def test_the_job_list_is_yours_and_paginated(job, client_for, owner, other_user):
    body = client_for(owner).get(JOBS).json()
    assert body["count"] == 1 and body["results"][0]["id"] == str(job.pk)
    assert client_for(other_user).get(JOBS).json()["count"] == 0


@pytest.mark.parametrize("bad", ["not-a-uuid", str(uuid.uuid4()), "9" * 300, "1' OR '1'='1"])
def test_unknown_or_malformed_ids_are_404(bad, client_for, owner):
    client = client_for(owner)
    assert client.get(f"{JOBS}{bad}/").status_code == 404
    assert client.post(f"{JOBS}{bad}/cancel/").status_code == 404
    assert client.get(f"/api/clips/{bad}/").status_code == 404


def test_cancel_then_cancel_again(job, client_for, owner, other_user):
    assert client_for(other_user).post(f"{JOBS}{job.pk}/cancel/").status_code == 404
    response = client_for(owner).post(f"{JOBS}{job.pk}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled" and response.json()["finished"]
    again = client_for(owner).post(f"{JOBS}{job.pk}/cancel/")
    assert again.status_code == 409 and again.json()["code"] == "job_finished"


# --- voices and the schema -------------------------------------------------------------------------


def test_the_voice_catalogue_links_previews_that_play(client_for):
    client = client_for(None)
    voices = client.get("/api/clips/voices/").json()
    ada = next(voice for voice in voices if voice["id"] == FAST_VOICE)
    assert ada["name"] and ada["description"] and ada["preview"].startswith("http://testserver/api/clips/voices/")
    response = client.get(f"/api/clips/voices/{FAST_VOICE}/preview.wav")
    assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
    assert response.content[:4] == b"RIFF" and "max-age" in response["Cache-Control"]
    assert client.get("/api/clips/voices/nobody/preview.wav").status_code == 404


def test_the_schema_documents_the_clip_routes(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for route in ("/api/clips/jobs/", "/api/clips/jobs/{job_id}/", "/api/clips/jobs/{job_id}/cancel/", "/api/clips/{clip_id}/"):
        assert route in schema["paths"]
    assert "/api/clips/voices/{voice_id}/preview.wav" in schema["paths"]

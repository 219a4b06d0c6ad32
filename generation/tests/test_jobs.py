"""Clip jobs through the services and the real task: checks, quota, cancellation, idempotency and the published clip."""

import io
import threading
import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import default_storage

from engine import speech
from generation import services, tasks
from generation.models import Clip, GenerationJob, JobStatus
from generation.tests.conftest import FAST_VOICE, run_job_in_thread
from moderation.models import ModerationState, UsageCounter
from moderation.services import ContentBlocked, QuotaExceeded, signing_identity
from provenance import manifest

pytestmark = pytest.mark.django_db


def request(user, character, **arguments) -> GenerationJob:
    return services.request_clip(user=user, character=character, voice=arguments.pop("voice", FAST_VOICE), **arguments)


def output_names(job: GenerationJob) -> list[str]:
    return [f"clips/{job.pk}/poster.jpg", f"clips/{job.pk}/video.mp4"]


def run(job: GenerationJob, captured) -> str | None:
    """Run the task as a worker would (same task id), and the on-commit work the worker's transactions queue."""
    with captured(execute=True):
        return tasks.run_job.apply(args=[str(job.pk)], task_id=job.task_id).get()


# --- the request and its checks ------------------------------------------------------------------


def test_a_request_queues_one_task_after_commit(owner, clip_character, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        job = request(owner, clip_character, text="  Hello there.  ")
    assert len(callbacks) == 1
    assert job.status == JobStatus.QUEUED and job.script == "Hello there." and job.voice == FAST_VOICE and job.task_id
    assert UsageCounter.objects.get(user=owner, action="clip").count == 1


def test_the_default_voice_is_the_characters_own_when_the_catalogue_has_it(owner, clip_character):
    clip_character.voice = "basil"
    assert request(owner, clip_character, text="Hi.", voice="").voice == "basil"
    clip_character.voice = "a voice from an imported card"
    assert request(owner, clip_character, text="Hi.", voice="").voice == speech.DEFAULT_VOICE


def test_the_daily_quota_refuses_the_sixth_clip_and_queues_nothing(owner, clip_character, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        for _ in range(5):
            request(owner, clip_character, text="Hello.")
        with pytest.raises(QuotaExceeded):
            request(owner, clip_character, text="Hello.")
    assert len(callbacks) == 5 and GenerationJob.objects.count() == 5


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"text": ""}, "script"),
        ({"text": "… !!! …"}, "script"),
        ({"text": "x" * (speech.MAX_SCRIPT_CHARS + 1)}, "script"),
        ({"text": "Nul \x00 inside"}, "script"),
        ({"text": "Hello.", "voice": "no-such-voice"}, "voice"),
    ],
)
def test_bad_requests_are_refused_without_using_the_quota(arguments, field, owner, clip_character):
    with pytest.raises(ValidationError) as refusal:
        request(owner, clip_character, **arguments)
    assert field in refusal.value.message_dict
    assert not GenerationJob.objects.exists() and not UsageCounter.objects.exists()


def test_a_blocked_script_and_one_moderation_would_hold_are_both_refused(owner, clip_character):
    with pytest.raises(ContentBlocked) as blocked:
        request(owner, clip_character, text="I will kill you, I know where you live")
    assert blocked.value.categories
    with pytest.raises(ContentBlocked) as doubtful:
        request(owner, clip_character, text="You are a pathetic worthless loser")
    assert "harassment" in doubtful.value.categories and "without a moderator" in str(doubtful.value)
    assert not GenerationJob.objects.exists() and not UsageCounter.objects.exists()


@pytest.mark.parametrize("state", [ModerationState.HELD, ModerationState.REJECTED, ModerationState.TAKEN_DOWN])
def test_characters_moderation_holds_make_no_clips(state, owner, clip_character):
    clip_character.moderation_state = state
    with pytest.raises(PermissionDenied):
        request(owner, clip_character, text="Hello.")


def test_only_the_owner_makes_clips_of_a_private_character(owner, other_user, clip_character):
    clip_character.visibility = "private"
    with pytest.raises(PermissionDenied):
        request(other_user, clip_character, text="Hello.")
    assert request(owner, clip_character, text="Hello.").owner == owner


def test_others_may_make_clips_of_a_public_character(other_user, clip_character):
    assert request(other_user, clip_character, text="Hello.").owner == other_user


def test_a_character_without_a_portrait_makes_no_clips(owner, make_character):
    with pytest.raises(ValidationError, match="portrait"):
        request(owner, make_character(with_portrait=False), text="Hello.")


def test_a_script_and_a_recording_together_are_refused(owner, clip_character, recording, job_files):
    with pytest.raises(ValidationError, match="not both"):
        request(owner, clip_character, text="Hello.", audio_file=recording())
    assert job_files() == []


@pytest.mark.parametrize(
    "upload",
    [
        pytest.param(lambda recording: recording(61), id="61 seconds"),
        pytest.param(lambda recording: File(io.BytesIO(b"not audio at all"), name="song.mp3"), id="text as mp3"),
        pytest.param(lambda recording: recording(1, name="voice.exe"), id="wrong suffix"),
    ],
)
def test_bad_recordings_are_refused_and_nothing_is_stored(upload, owner, clip_character, recording, job_files):
    with pytest.raises(ValidationError) as refusal:
        request(owner, clip_character, audio_file=upload(recording))
    assert refusal.value.message_dict["audio"]
    assert job_files() == [] and not GenerationJob.objects.exists() and not UsageCounter.objects.exists()


def test_a_quota_refusal_after_the_upload_check_leaves_no_file(owner, clip_character, recording, job_files, settings):
    settings.CLIP_DAILY_QUOTA = 0
    with pytest.raises(QuotaExceeded):
        request(owner, clip_character, audio_file=recording())
    assert job_files() == []


# --- cancelling ------------------------------------------------------------------------------------


def test_cancel_before_the_run_means_the_task_does_nothing(
    owner, clip_character, recording, job_files, django_capture_on_commit_callbacks
):
    job = request(owner, clip_character, audio_file=recording())
    assert job_files() == [job.audio.name]
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_job(user=owner, job=job)
    assert job_files() == []  # the recording goes with the job
    assert run(job, django_capture_on_commit_callbacks) is None
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and job.attempts == 0 and not Clip.objects.exists()
    with pytest.raises(services.JobFinished):
        services.cancel_job(user=owner, job=job)


def test_only_the_owner_cancels(owner, other_user, clip_character):
    job = request(owner, clip_character, text="Hello.")
    with pytest.raises(PermissionDenied):
        services.cancel_job(user=other_user, job=job)


def test_cancel_while_running_stops_the_worker_and_stores_nothing(owner, clip_character, job_files, transactional_db):
    job = request(owner, clip_character, text="This is a longer script, so that the clip is still rendering. " * 3)
    outcome: dict[str, str | None] = {}
    worker = threading.Thread(target=lambda: outcome.update(status=run_job_in_thread(str(job.pk), job.task_id)))
    worker.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and GenerationJob.objects.filter(pk=job.pk, stage="render").count() == 0:
        time.sleep(0.01)
    services.cancel_job(user=owner, job=job)
    worker.join(30)
    job.refresh_from_db()
    assert outcome["status"] == JobStatus.CANCELLED and job.status == JobStatus.CANCELLED
    assert not Clip.objects.exists() and job_files() == []


# --- running ---------------------------------------------------------------------------------------


def test_the_task_publishes_a_checked_clip_and_a_redelivery_changes_nothing(
    owner, clip_character, job_files, django_capture_on_commit_callbacks, tmp_path
):
    job = request(owner, clip_character, text="Hello there, friend.")
    assert run(job, django_capture_on_commit_callbacks) == JobStatus.SUCCEEDED
    job.refresh_from_db()
    clip = Clip.objects.get(job=job)
    assert job.progress == 100 and job.attempts == 1 and job.finished_at and not job.error
    assert set(job.timings) >= {"speech", "render", "encode", "sign", "publish"}
    assert (clip.owner, clip.character, clip.width, clip.height) == (owner, clip_character, 512, 512)
    assert 0.8 < clip.duration < 3 and len(clip.watermark_payload) == 16
    assert clip.provenance["watermark_found"] and clip.provenance["watermark_payload_matches"]
    assert clip.provenance["c2pa_state"] in ("Valid", "Trusted") and clip.provenance["ai_generated"]
    assert job_files() == output_names(job)
    video = default_storage.open(clip.video.name).read()
    # An independent look at the stored file: its manifest verifies and carries the clip's payload.
    (tmp_path / "clip.mp4").write_bytes(video)
    report = manifest.verify(tmp_path / "clip.mp4", trust_root_pem=signing_identity().root_pem)
    assert (
        report.state in ("Valid", "Trusted") and report.ai_generated and report.watermark_payload.hex() == clip.watermark_payload
    )

    assert run(job, django_capture_on_commit_callbacks) is None  # a redelivered message finds the job done
    assert Clip.objects.count() == 1 and job_files() == output_names(job)
    assert default_storage.open(clip.video.name).read() == video


def test_a_job_left_running_by_a_crashed_worker_runs_again_into_one_clip(
    owner, clip_character, job_files, django_capture_on_commit_callbacks
):
    job = request(owner, clip_character, text="Hello again.")
    # The first worker claimed the job, stored half a video, and died before it committed anything.
    GenerationJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, attempts=1, stage="encode", progress=80)
    default_storage.save(f"clips/{job.pk}/video.mp4", File(io.BytesIO(b"half a video"), name="video.mp4"))

    assert tasks.run_job.apply(args=[str(job.pk)], task_id="another-task").get() is None  # not the task that owns it
    assert run(job, django_capture_on_commit_callbacks) == JobStatus.SUCCEEDED
    job.refresh_from_db()
    assert job.attempts == 2 and Clip.objects.filter(job=job).count() == 1
    assert job_files() == output_names(job)
    assert default_storage.open(f"clips/{job.pk}/video.mp4").read(12)[4:8] == b"ftyp"


def test_a_job_whose_worker_keeps_dying_fails_instead_of_looping(owner, clip_character, django_capture_on_commit_callbacks):
    job = request(owner, clip_character, text="Hello.")
    GenerationJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, attempts=services.MAX_ATTEMPTS)
    assert run(job, django_capture_on_commit_callbacks) is None
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error == services.GENERIC_FAILURE


def test_a_recording_is_lip_synced_and_deleted_when_the_job_ends(
    owner, clip_character, recording, job_files, django_capture_on_commit_callbacks
):
    job = request(owner, clip_character, audio_file=recording(1.2))
    assert run(job, django_capture_on_commit_callbacks) == JobStatus.SUCCEEDED
    job.refresh_from_db()
    assert not job.audio and job_files() == output_names(job)
    assert 1.0 < Clip.objects.get(job=job).duration < 1.6


def test_a_script_too_long_to_say_fails_the_job_with_the_engines_message(
    owner, clip_character, job_files, django_capture_on_commit_callbacks
):
    script = ("Well, here is a rather long story about nothing in particular. " * 16)[: speech.MAX_SCRIPT_CHARS]
    job = request(owner, clip_character, text=script, voice="rex")  # a slow voice: over a minute of speech
    assert run(job, django_capture_on_commit_callbacks) == JobStatus.FAILED
    job.refresh_from_db()
    assert "at most 60 seconds" in job.error and not Clip.objects.exists() and job_files() == []
    assert UsageCounter.objects.get(user=owner, action="clip").count == 0  # a failed job gives the day's clip back


def test_deleting_the_character_deletes_its_clips_files(owner, clip_character, job_files, django_capture_on_commit_callbacks):
    from characters.services import delete_character

    job = request(owner, clip_character, text="Hello there.")
    run(job, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        delete_character(character=clip_character, actor=owner)
    assert job_files() == [] and not GenerationJob.objects.exists()

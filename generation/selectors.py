"""Reads of clip jobs and clips: who may see which, the live state a page or socket shows, the voice catalogue."""

import uuid
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet
from django.urls import reverse

from accounts.models import User
from engine import speech
from generation.models import Clip, GenerationJob, JobStatus

STAGE_LABELS = {
    "speech": "Speaking the script",
    "features": "Listening to the audio",
    "rig": "Finding the face",
    "motion": "Animating",
    "render": "Rendering frames",
    "encode": "Encoding the video",
    "sign": "Signing its provenance",
    "publish": "Checking and publishing",
}
STATUS_LABELS = {
    JobStatus.QUEUED: "Waiting for a worker",
    JobStatus.SUCCEEDED: "Done",
    JobStatus.FAILED: "Failed",
    JobStatus.CANCELLED: "Cancelled",
}
PREVIEW_CACHE_SECONDS = 24 * 3600


def parse_uuid(value: Any) -> uuid.UUID | None:
    """A UUID from a URL or message, or None for anything else (so bad ids read as unknown, not as errors)."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def jobs_for_owner(*, user: User) -> QuerySet[GenerationJob]:
    return GenerationJob.objects.filter(owner=user).select_related("character", "clip")


def job_for_owner(*, job_id: Any, user: User) -> GenerationJob | None:
    """The job when the user owns it; None for unknown ids and other people's jobs alike."""
    pk = parse_uuid(job_id)
    if pk is None or not user.is_authenticated:
        return None
    return jobs_for_owner(user=user).filter(pk=pk).first()


def job_by_id(job_id: Any) -> GenerationJob | None:
    """Any job by id, for the socket, which tells an unknown job from someone else's."""
    pk = parse_uuid(job_id)
    return None if pk is None else GenerationJob.objects.select_related("clip").filter(pk=pk).first()


def clip_for_viewer(*, clip_id: Any, user: User) -> Clip | None:
    """Clips are private to their owner (and staff) until the feed publishes them."""
    pk = parse_uuid(clip_id)
    if pk is None or not user.is_authenticated:
        return None
    clips = Clip.objects.select_related("character", "owner", "job")
    if not user.is_staff:
        clips = clips.filter(owner=user)
    return clips.filter(pk=pk).first()


def recording_readable(*, name: str, viewer: User) -> bool:
    """An uploaded recording is heard by the job's owner and staff only."""
    if not viewer.is_authenticated:
        return False
    jobs = GenerationJob.objects.filter(audio=name)
    return (jobs if viewer.is_staff else jobs.filter(owner=viewer)).exists()


def stage_label(job: GenerationJob) -> str:
    if job.status == JobStatus.RUNNING:
        return STAGE_LABELS.get(job.stage, job.stage.replace("_", " ").capitalize() or "Starting")
    return STATUS_LABELS[job.status]


def clip_summary(clip: Clip) -> dict[str, Any]:
    return {
        "id": str(clip.pk),
        "url": reverse("api-clip-detail", kwargs={"clip_id": clip.pk}),
        "page": clip.get_absolute_url(),
        "video": clip.video.url,
        "poster": clip.poster.url,
    }


def job_state(job: GenerationJob) -> dict[str, Any]:
    """What a progress bar needs; the same shape goes over the socket, the API and the page."""
    clip = Clip.objects.filter(job=job).first() if job.status == JobStatus.SUCCEEDED else None
    return {
        "id": str(job.pk),
        "status": job.status,
        "finished": job.is_finished,
        "progress": 100 if job.status == JobStatus.SUCCEEDED else job.progress,
        "stage": job.stage,
        "label": stage_label(job),
        "error": job.error,
        "fallback_reason": job.fallback_reason,
        "clip": clip_summary(clip) if clip is not None else None,
    }


def voice_catalogue() -> list[dict[str, str]]:
    return [
        {
            "id": voice.id,
            "name": voice.name,
            "description": voice.description,
            "engine": voice.engine,
            "preview": reverse("api-voice-preview", kwargs={"voice_id": voice.id}),
        }
        for voice in speech.VOICES.values()
    ]


def voice_preview(voice_id: str) -> bytes | None:
    """The voice's sample as WAV, synthesized once and then served from the cache; None for unknown voices."""
    if voice_id not in speech.VOICES:
        return None
    return cache.get_or_set(f"generation:voice-preview:{voice_id}", lambda: speech.preview(voice_id), PREVIEW_CACHE_SECONDS)

"""Reads of clip jobs and clips: who may see which, the live state a page or socket shows, the voice catalogue."""

import statistics
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from engine import speech
from generation import queueing
from generation.models import ACTIVE_STATUSES, Clip, GenerationJob, JobStatus

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
RECENT_JOBS = 20  # the typical job length is the median of this many recent successes


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


def stage_label(job: GenerationJob, queue: queueing.Estimate | None = None) -> str:
    if job.status == JobStatus.RUNNING:
        return STAGE_LABELS.get(job.stage, job.stage.replace("_", " ").capitalize() or "Starting")
    if job.status == JobStatus.QUEUED and queue is not None:
        return f"In the queue, {ordinal(queue.position)} in line, starting {time_from_now(queue.start)}"
    return STATUS_LABELS[job.status]


def ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def time_from_now(moment: datetime) -> str:
    seconds = (moment - timezone.now()).total_seconds()
    if seconds < 60:
        return "within a minute"
    minutes = round(seconds / 60)
    return f"in about {minutes} min" if minutes < 90 else f"in about {round(minutes / 60)} h"


# --- The queue: what waits, in which order, and when each waiting job should start.


def waiting_jobs() -> QuerySet[GenerationJob]:
    """Jobs the workers will take: queued and not run directly by the command that asked for them."""
    return GenerationJob.objects.filter(status=JobStatus.QUEUED, direct=False)


def active_jobs_of(user: User) -> int:
    return GenerationJob.objects.filter(owner=user, status__in=ACTIVE_STATUSES).count()


def typical_job_seconds() -> float:
    """The median run of the latest successful jobs; CLIP_JOB_SECONDS until there are any."""
    recent = (
        GenerationJob.objects.filter(status=JobStatus.SUCCEEDED, started_at__isnull=False, finished_at__isnull=False)
        .order_by("-finished_at")
        .values_list("started_at", "finished_at")[:RECENT_JOBS]
    )
    durations = [(finished - started).total_seconds() for started, finished in recent]
    return statistics.median(durations) if durations else settings.CLIP_JOB_SECONDS


def queue_order() -> list[queueing.Waiting]:
    """The waiting jobs in the order workers take them."""
    waiting = [
        queueing.Waiting(job_id=pk, owner_id=owner_id, requested_at=created_at)
        for pk, owner_id, created_at in waiting_jobs().values_list("pk", "owner_id", "created_at")
    ]
    lately = timezone.now() - timedelta(seconds=settings.CLIP_QUEUE_FAIRNESS_SECONDS)
    served = GenerationJob.objects.filter(started_at__gte=lately).values_list("owner_id", flat=True)
    return queueing.fair_order(waiting, served)


def queue_estimates() -> dict[Any, queueing.Estimate]:
    """Every waiting job's place in line and expected start and finish."""
    now = timezone.now()
    started = GenerationJob.objects.filter(status=JobStatus.RUNNING, started_at__isnull=False).values_list(
        "started_at", flat=True
    )
    elapsed = [(now - moment).total_seconds() for moment in started]
    return queueing.estimate(
        queue_order(),
        now=now,
        running_elapsed=elapsed,
        job_seconds=typical_job_seconds(),
        slots=max(settings.CLIP_WORKER_SLOTS, len(elapsed)),
    )


def queue_wait_seconds(depth: int) -> int:
    """How long a refused request should wait before the queue has room again."""
    return queueing.seconds_until_below(
        depth, limit=settings.CLIP_QUEUE_MAX_DEPTH, job_seconds=typical_job_seconds(), slots=settings.CLIP_WORKER_SLOTS
    )


def queue_summary(estimate: queueing.Estimate | None) -> dict[str, Any] | None:
    if estimate is None:
        return None
    return {
        "position": estimate.position,
        "ahead": estimate.position - 1,
        "estimated_start": estimate.start.isoformat(),
        "estimated_finish": estimate.finish.isoformat(),
    }


def job_queue_estimate(job: GenerationJob) -> queueing.Estimate | None:
    return queue_estimates().get(job.pk) if job.status == JobStatus.QUEUED else None


def clip_summary(clip: Clip) -> dict[str, Any]:
    return {
        "id": str(clip.pk),
        "url": reverse("api-clip-detail", kwargs={"clip_id": clip.pk}),
        "page": clip.get_absolute_url(),
        "video": clip.video.url,
        "poster": clip.poster.url,
    }


def job_state(job: GenerationJob, queue: queueing.Estimate | None = None) -> dict[str, Any]:
    """What a progress bar needs; the same shape goes over the socket, the API and the page.

    `queue` is the job's place in line when the caller already worked out the whole queue's.
    """
    clip = Clip.objects.filter(job=job).first() if job.status == JobStatus.SUCCEEDED else None
    queue = queue or job_queue_estimate(job)
    return {
        "id": str(job.pk),
        "status": job.status,
        "finished": job.is_finished,
        "progress": 100 if job.status == JobStatus.SUCCEEDED else job.progress,
        "stage": job.stage,
        "label": stage_label(job, queue),
        "queue": queue_summary(queue),
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

"""A job's life after the request: its final states, cancellation, progress, the worker's claim, and file clean-up.

A job moves queued → running → succeeded | failed | cancelled. Every move to a final state is
conditional on the job still being active, under a row lock, so whichever of the worker, a
cancel and a redelivered task gets there first wins and the others change nothing.
"""

import logging
import time
import uuid
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from common.errors import ApplicationError
from common.media import delete_on_commit, stored_names
from generation import queueing, selectors
from generation.models import ACTIVE_STATUSES, Clip, GenerationJob, JobStatus
from moderation import services as moderation

logger = logging.getLogger(__name__)

QUOTA_ACTION = "clip"
MAX_ATTEMPTS = 3  # a job whose runs keep killing their worker fails instead of looping forever
CANCEL_POLL_SECONDS = 0.5
PUBLISH_STAGE = "publish"
GENERIC_FAILURE = (
    "Something went wrong while making this clip. Please try again; if it keeps failing, try another script or portrait."
)


class JobFinished(ApplicationError):
    """The job already ended, so it can no longer be cancelled."""

    code = "job_finished"
    status = 409


def end_job(
    *, job_id: uuid.UUID, status: str, from_statuses: tuple[str, ...] = ACTIVE_STATUSES, error: str = "", **fields: Any
) -> GenerationJob | None:
    """Move an active job to a final state, once; None when something else ended it first.

    The uploaded recording is deleted with the move: a finished job never needs it again. A failed
    job gives its owner back the day's clip it used.
    """
    with transaction.atomic():
        job = GenerationJob.objects.select_for_update().filter(pk=job_id, status__in=from_statuses).first()
        if job is None:
            return None
        delete_on_commit(job.audio.storage, stored_names(job, "audio"))
        job.audio = ""
        job.status, job.error, job.finished_at = status, error, timezone.now()
        for name, value in fields.items():
            setattr(job, name, value)
        job.save()
        if status == JobStatus.FAILED:
            moderation.release_quota(user_id=job.owner_id, action=QUOTA_ACTION, day=job.created_at.date())
        transaction.on_commit(partial(send_state, job))
        transaction.on_commit(announce_queue)
    return job


def cancel_job(*, user: User, job: GenerationJob) -> GenerationJob:
    """The owner stops a queued or running job; a running worker notices within CANCEL_POLL_SECONDS and stops."""
    if job.owner_id != user.pk:
        raise PermissionDenied("Only the owner can cancel this job.")
    cancelled = end_job(job_id=job.pk, status=JobStatus.CANCELLED)
    if cancelled is None:
        job.refresh_from_db(fields=["status"])
        raise JobFinished(f"This job has already {job.get_status_display().lower()}; there is nothing to cancel.")
    return cancelled


def send_state(job: GenerationJob, queue: queueing.Estimate | None = None) -> None:
    """Tell the job's socket listeners where it stands. Best effort: a lost event must not fail the clip."""
    try:
        state = selectors.job_state(job, queue)
        async_to_sync(get_channel_layer().group_send)(job.group_name, {"type": "job.progress", **state})
    except Exception:  # the channel layer's client raises many kinds of connection errors
        logger.warning("Could not send the progress of clip job %s", job.pk, exc_info=True)


def announce_queue() -> None:
    """Tell every waiting job's listeners its new place in line and times; after any job joins, starts or ends."""
    try:
        estimates = selectors.queue_estimates()
        jobs = GenerationJob.objects.filter(pk__in=list(estimates))
        events = [(job.group_name, {"type": "job.progress", **selectors.job_state(job, estimates[job.pk])}) for job in jobs]
        async_to_sync(send_all)(events)
    except Exception:  # like send_state: the queue's news is best effort
        logger.warning("Could not announce the clip queue", exc_info=True)


async def send_all(events: list[tuple[str, dict[str, Any]]]) -> None:
    """Many groups' events on one event loop: one async_to_sync per event would cost a thread hop each."""
    layer = get_channel_layer()
    for group, event in events:
        await layer.group_send(group, event)


class JobProgress:
    """The engine's callbacks for one run: progress goes to the row and the job's group, cancellation comes from the row."""

    def __init__(self, job: GenerationJob) -> None:
        self.job = job
        self.checked_at = 0.0
        self.stopped = False

    def report(self, stage: str, percent: float) -> None:
        # The engine's 100 % is not the job's: publishing still follows, and only success shows 100.
        percent = max(0, min(99, int(percent)))
        if (stage, percent) == (self.job.stage, self.job.progress):
            return
        self.job.stage, self.job.progress = stage, percent
        if GenerationJob.objects.filter(pk=self.job.pk, status=JobStatus.RUNNING).update(stage=stage, progress=percent):
            send_state(self.job)

    def should_cancel(self) -> bool:
        """True once the job is no longer running (cancelled, or deleted with its character); reads the row at most twice a second."""
        now = time.monotonic()
        if not self.stopped and now - self.checked_at >= CANCEL_POLL_SECONDS:
            self.checked_at = now
            self.stopped = not GenerationJob.objects.filter(pk=self.job.pk, status=JobStatus.RUNNING).exists()
        return self.stopped


def claim_job(*, job_id: str, task_id: str | None) -> GenerationJob | None:
    """Take the job for this run, or None when there is nothing to do.

    A queued job is taken. A running one is taken back only by a redelivery of the task that
    started it (its worker died: acks_late puts the message back), and fails once that has
    happened MAX_ATTEMPTS times. Finished jobs, and jobs another task is running, are left alone.
    """
    pk = selectors.parse_uuid(job_id)
    if pk is None:
        return None
    with transaction.atomic():
        job = GenerationJob.objects.select_for_update(of=("self",)).select_related("character").filter(pk=pk).first()
        if job is None or job.is_finished:
            return None
        if job.status == JobStatus.RUNNING and (not task_id or task_id != job.task_id):
            return None
        if job.attempts >= MAX_ATTEMPTS:
            logger.error("Clip job %s failed: its worker was lost %d times", job.pk, job.attempts)
            end_job(job_id=job.pk, status=JobStatus.FAILED, error=GENERIC_FAILURE)
            return None
        job.status, job.started_at, job.stage, job.progress = JobStatus.RUNNING, timezone.now(), "", 0
        job.task_id = task_id or job.task_id
        job.attempts += 1
        job.save(update_fields=["status", "started_at", "stage", "progress", "task_id", "attempts"])
        transaction.on_commit(announce_queue)
    return job


def delete_job_files(sender: type, instance: GenerationJob, **kwargs: Any) -> None:
    """A deleted job (directly, or with its character or owner) takes its uploaded recording along."""
    delete_on_commit(instance.audio.storage, stored_names(instance, "audio"))


def delete_clip_files(sender: type, instance: Clip, **kwargs: Any) -> None:
    delete_on_commit(instance.video.storage, stored_names(instance, "video", "poster"))

"""Lost clip jobs: a job whose ticket never reached a worker gets one more ticket, then fails.

A message can be lost between the request and a worker (a broker restart without persistence,
a publish that seemed to succeed). Beat runs the sweep every CLIP_QUEUE_SWEEP_SECONDS. Waiting
long is no sign of a lost ticket while workers keep taking jobs (a fair queue may keep a heavy
user's fifth clip waiting for a long time), so the sweep acts only on a stalled queue: no job
started in the last CLIP_QUEUED_MAX_AGE_SECONDS and none running. Then a job queued longer than
that gets one more ticket, and one still queued as long after that fails and gives its owner
back the day's clip.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from generation.models import GenerationJob, JobStatus
from generation.services.lifecycle import end_job
from generation.services.request import enqueue_job

LOST_JOB_FAILURE = (
    "This clip never reached a clip worker, so it was stopped and today's clip given back. Please try again in a few minutes."
)


@dataclass(frozen=True)
class SweepResult:
    requeued: int
    failed: int


def sweep_lost_jobs(*, now: datetime | None = None) -> SweepResult:
    """Queue again the jobs queued too long, once; fail those still queued as long after that."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.CLIP_QUEUED_MAX_AGE_SECONDS)
    if queue_moving(since=cutoff, now=now):
        return SweepResult(requeued=0, failed=0)
    queued = GenerationJob.objects.filter(status=JobStatus.QUEUED)
    to_requeue = queued.filter(requeued_at__isnull=True, created_at__lt=cutoff).values_list("pk", flat=True)
    to_fail = queued.filter(requeued_at__lt=cutoff).values_list("pk", flat=True)
    requeued = sum(requeue_job(job_id=job_id, cutoff=cutoff, now=now) for job_id in list(to_requeue))
    failed = sum(
        end_job(job_id=job_id, status=JobStatus.FAILED, from_statuses=(JobStatus.QUEUED,), error=LOST_JOB_FAILURE) is not None
        for job_id in list(to_fail)
    )
    return SweepResult(requeued=requeued, failed=failed)


def queue_moving(*, since: datetime, now: datetime) -> bool:
    """Workers took a job since the cutoff, or one runs that its worker may still finish (within the broker's visibility timeout)."""
    alive_since = now - timedelta(seconds=settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"])
    jobs = GenerationJob.objects.filter(started_at__isnull=False)
    return (
        jobs.filter(started_at__gte=since, started_at__lte=now).exists()
        or jobs.filter(status=JobStatus.RUNNING, started_at__gte=alive_since).exists()
    )


def requeue_job(*, job_id: uuid.UUID, cutoff: datetime, now: datetime) -> bool:
    """Send one more ticket for a job still queued since before the cutoff; False when a worker took it meanwhile."""
    with transaction.atomic():
        job = (
            GenerationJob.objects.select_for_update()
            .filter(pk=job_id, status=JobStatus.QUEUED, requeued_at__isnull=True, created_at__lt=cutoff)
            .first()
        )
        if job is None:
            return False
        job.task_id, job.requeued_at = str(uuid.uuid4()), now
        job.save(update_fields=["task_id", "requeued_at"])
        transaction.on_commit(partial(enqueue_job, job_id=job.pk, task_id=job.task_id))
    return True

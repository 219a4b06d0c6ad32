"""Lost clip jobs: a job whose message never reached a worker is queued once more, then failed.

A message can be lost between the request and a worker (a broker restart without persistence,
a publish that seemed to succeed). Beat runs the sweep every CLIP_QUEUE_SWEEP_SECONDS; a job
still queued CLIP_QUEUED_MAX_AGE_SECONDS after its request gets a second message under a new task
id (so a late first message and the second cannot both run it), and one still queued as long
after that fails and gives its owner back the day's clip.
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
    queued = GenerationJob.objects.filter(status=JobStatus.QUEUED)
    to_requeue = queued.filter(requeued_at__isnull=True, created_at__lt=cutoff).values_list("pk", flat=True)
    to_fail = queued.filter(requeued_at__lt=cutoff).values_list("pk", flat=True)
    requeued = sum(requeue_job(job_id=job_id, cutoff=cutoff, now=now) for job_id in list(to_requeue))
    failed = sum(
        end_job(job_id=job_id, status=JobStatus.FAILED, from_statuses=(JobStatus.QUEUED,), error=LOST_JOB_FAILURE) is not None
        for job_id in list(to_fail)
    )
    return SweepResult(requeued=requeued, failed=failed)


def requeue_job(*, job_id: uuid.UUID, cutoff: datetime, now: datetime) -> bool:
    """Hand a job still queued since before the cutoff to the queue again; False when a worker took it meanwhile."""
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

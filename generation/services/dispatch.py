"""Who gets the next worker: admission to the clip queue, and the claim of the next job in fair order.

A request does not send its job to the broker; it sends a ticket (RUN_NEXT_JOB_TASK), one per
job. A worker holding a ticket takes whichever waiting job comes first in the fair order
(generation/queueing.py), so the broker's first-in-first-out order never decides who waits.
Tickets and waiting jobs match one for one; a spare ticket (its job was cancelled) finds the
next job or nothing. A redelivered ticket (its worker died) takes back the job it was running.
"""

from django.conf import settings

from accounts.models import User
from common.errors import ApplicationError
from generation import selectors
from generation.models import GenerationJob, JobStatus
from generation.services.lifecycle import claim_job

RUN_NEXT_JOB_TASK = "generation.tasks.run_next_job"


class QueueFull(ApplicationError):
    """Too many clips are waiting for every user; new ones are refused until the queue shortens."""

    code = "queue_full"
    status = 503


class TooManyJobs(ApplicationError):
    """One user has as many unfinished clips as anyone may."""

    code = "too_many_jobs"
    status = 429


def check_queue_admits(user: User) -> None:
    """Refuse a new job, before anything is stored, when the queue or the user's share of it is full."""
    depth = selectors.waiting_jobs().count()
    if depth >= settings.CLIP_QUEUE_MAX_DEPTH:
        wait = selectors.queue_wait_seconds(depth)
        raise QueueFull(
            f"{depth} clips are waiting for a worker, the most the queue takes. Please try again in {minutes(wait)}.",
            retry_after=wait,
        )
    active = selectors.active_jobs_of(user)
    if active >= settings.CLIP_QUEUE_MAX_PER_USER:
        wait = round(selectors.typical_job_seconds())
        raise TooManyJobs(
            f"You have {active} clips waiting or in the making, the most at once. "
            f"Please wait until one finishes (about {minutes(wait)}).",
            retry_after=max(1, wait),
        )


def minutes(seconds: int) -> str:
    return "a minute" if seconds <= 90 else f"{round(seconds / 60)} minutes"


def claim_next_job(*, task_id: str) -> GenerationJob | None:
    """Take the job this ticket should run: the one it was running when its worker died, else the next in fair order."""
    resumed = GenerationJob.objects.filter(status=JobStatus.RUNNING, task_id=task_id).values_list("pk", flat=True).first()
    if resumed is not None:
        return claim_job(job_id=str(resumed), task_id=task_id)
    for waiting in selectors.queue_order():
        job = claim_job(job_id=str(waiting.job_id), task_id=task_id)
        if job is not None:
            return job  # else another ticket took it first, or it had failed too often: try the next one
    return None

"""Celery tasks of the clip pipeline; they run on the `generation` queue, the sweep on `default` (see CELERY_TASK_ROUTES)."""

from celery import shared_task

from generation import services


@shared_task(bind=True, name=services.RUN_JOB_TASK, acks_late=True, reject_on_worker_lost=True, queue="generation")
def run_job(self, job_id: str) -> str | None:
    """Make and publish one given job's clip (make_clip and tests; requests send run_next_job tickets).

    acks_late with reject_on_worker_lost puts the message back when the worker dies mid-run, so
    the run is safe to repeat: the service claims the job first and does nothing for one that
    is finished, cancelled or run by another task.
    """
    from generation.services import worker  # the engine and torch load in the worker, never in the web process

    return worker.run_job(job_id=job_id, task_id=self.request.id)


@shared_task(bind=True, name=services.RUN_NEXT_JOB_TASK, acks_late=True, reject_on_worker_lost=True, queue="generation")
def run_next_job(self) -> str | None:
    """A clip request's ticket: make the clip of whichever waiting job comes next in fair order (services.dispatch).

    Redelivered after its worker died, the ticket takes back the job it was running, as run_job does.
    """
    from generation.services import worker

    return worker.run_next_job(task_id=self.request.id)


@shared_task(name="generation.tasks.sweep_lost_jobs")
def sweep_lost_jobs() -> dict[str, int]:
    """Scheduled by beat (CELERY_BEAT_SCHEDULE), routed to the default queue (CELERY_TASK_ROUTES)."""
    result = services.sweep_lost_jobs()
    return {"requeued": result.requeued, "failed": result.failed}

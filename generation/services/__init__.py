"""Every write to clip jobs, by concern: the request, the job's lifecycle, the worker's run, publishing.

This package exposes what the web process needs (requests, cancellation, progress, clean-up, the sweep of lost jobs);
`generation.services.worker` and `.publish` hold the worker's side and are imported by the task
when it runs, so starting the web process never loads the engine's models.
"""

from generation.services.dispatch import RUN_NEXT_JOB_TASK, QueueFull, TooManyJobs, check_queue_admits
from generation.services.lifecycle import (
    GENERIC_FAILURE,
    MAX_ATTEMPTS,
    PUBLISH_STAGE,
    JobFinished,
    cancel_job,
    delete_clip_files,
    delete_job_files,
    send_state,
)
from generation.services.request import RUN_JOB_TASK, RigNeeded, check_can_make_clip, enqueue_job, request_clip, resolve_voice
from generation.services.sweep import LOST_JOB_FAILURE, SweepResult, sweep_lost_jobs

__all__ = [
    "GENERIC_FAILURE",
    "LOST_JOB_FAILURE",
    "MAX_ATTEMPTS",
    "PUBLISH_STAGE",
    "RUN_JOB_TASK",
    "RUN_NEXT_JOB_TASK",
    "JobFinished",
    "QueueFull",
    "RigNeeded",
    "SweepResult",
    "TooManyJobs",
    "cancel_job",
    "check_can_make_clip",
    "check_queue_admits",
    "delete_clip_files",
    "delete_job_files",
    "enqueue_job",
    "request_clip",
    "resolve_voice",
    "send_state",
    "sweep_lost_jobs",
]

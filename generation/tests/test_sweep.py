"""The sweep of lost clip jobs: queued too long, a job gets one more message, then fails and gives its day's clip back."""

from datetime import timedelta

import pytest
from django.utils import timezone

from generation import services, tasks
from generation.models import GenerationJob, JobStatus
from moderation.models import UsageCounter
from moderation.services import consume_quota

pytestmark = pytest.mark.django_db

MAX_AGE = 600


@pytest.fixture(autouse=True)
def max_age(settings) -> None:
    settings.CLIP_QUEUED_MAX_AGE_SECONDS = MAX_AGE


def requested_job(owner, character, **fields) -> GenerationJob:
    """A job as a clip request leaves it: one of today's clips used, a task id, queued."""
    consume_quota(user=owner, action="clip", limit=5)
    return GenerationJob.objects.create(owner=owner, character=character, script="Hi.", task_id="first-task", **fields)


def used_today(owner) -> int:
    return UsageCounter.objects.get(user=owner, action="clip").count


def later(seconds: float):
    return timezone.now() + timedelta(seconds=seconds)


def test_a_lost_job_is_queued_once_more_then_failed_with_its_clip_given_back(
    owner, clip_character, generation_queue, django_capture_on_commit_callbacks
):
    job = requested_job(owner, clip_character)
    first_sweep = later(MAX_AGE + 1)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep_lost_jobs(now=first_sweep) == services.SweepResult(requeued=1, failed=0)
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.requeued_at == first_sweep
    assert job.task_id != "first-task" and generation_queue() == 1
    assert services.sweep_lost_jobs(now=first_sweep + timedelta(seconds=MAX_AGE - 1)) == services.SweepResult(0, 0)

    assert services.sweep_lost_jobs(now=first_sweep + timedelta(seconds=MAX_AGE + 1)) == services.SweepResult(0, 1)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error == services.LOST_JOB_FAILURE and job.finished_at
    assert used_today(owner) == 0 and generation_queue() == 1


def test_running_finished_and_recent_jobs_are_left_alone(owner, clip_character):
    running = requested_job(owner, clip_character, status=JobStatus.RUNNING)
    succeeded = requested_job(owner, clip_character, status=JobStatus.SUCCEEDED)
    cancelled = requested_job(owner, clip_character, status=JobStatus.CANCELLED)
    recent = requested_job(owner, clip_character)
    before = {job.pk: (job.status, job.task_id) for job in (running, succeeded, cancelled)}

    assert services.sweep_lost_jobs(now=recent.created_at + timedelta(seconds=MAX_AGE - 1)) == services.SweepResult(0, 0)
    assert services.sweep_lost_jobs(now=later(3 * MAX_AGE)) == services.SweepResult(requeued=1, failed=0)

    after = {job.pk: (job.status, job.task_id) for job in GenerationJob.objects.filter(pk__in=before)}
    assert after == before and not GenerationJob.objects.filter(pk__in=before, requeued_at__isnull=False).exists()
    assert used_today(owner) == 4


def test_the_scheduled_task_runs_the_sweep(owner, clip_character, settings):
    settings.CLIP_QUEUED_MAX_AGE_SECONDS = 0
    requested_job(owner, clip_character)
    assert tasks.sweep_lost_jobs.apply().get() == {"requeued": 1, "failed": 0}
    assert "sweep-lost-clip-jobs" in settings.CELERY_BEAT_SCHEDULE

"""Clips: a generation job per request, and the one clip a successful job publishes."""

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)
FINISHED_STATUSES = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


class GenerationJob(models.Model):
    """One request for a clip, from queued to finished; a worker claims it before running it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="generation_jobs")
    character = models.ForeignKey("characters.Character", on_delete=models.CASCADE, related_name="generation_jobs")
    script = models.TextField(blank=True)
    audio = models.FileField(
        upload_to="generation/audio/", blank=True, help_text="The uploaded recording, kept until the job ends."
    )
    voice = models.CharField(max_length=64, blank=True)
    seed = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent, 0-100.")
    stage = models.CharField(max_length=32, blank=True)
    error = models.TextField(blank=True, help_text="Shown to the owner.")
    fallback_reason = models.TextField(blank=True, help_text="Why a still clip was made instead of an animated one.")
    timings = models.JSONField(default=dict, blank=True, help_text="Seconds per stage.")
    task_id = models.CharField(max_length=255, blank=True, help_text="The Celery task that runs this job.")
    attempts = models.PositiveSmallIntegerField(default=0, help_text="How many times a worker claimed the job.")
    requeued_at = models.DateTimeField(
        null=True, blank=True, help_text="When the job, still queued long after its request, was handed to the queue again."
    )
    direct = models.BooleanField(
        default=False, help_text="Run by the command that requested it (make_clip, the demo), never taken by a worker."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["owner", "-created_at"]),
            models.Index(fields=["status", "created_at"], name="generation_job_queue"),
            models.Index(fields=["status", "started_at"], name="generation_job_started"),
        ]

    def __str__(self) -> str:
        return f"Clip job {self.pk} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("job_detail", kwargs={"job_id": self.pk})

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def group_name(self) -> str:
        """The channel-layer group that hears this job's progress."""
        return f"job.{self.pk}"


class Clip(models.Model):
    """The published result of a job: the signed MP4, its poster and what the output checks found."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    job = models.OneToOneField(GenerationJob, on_delete=models.CASCADE, related_name="clip")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clips")
    character = models.ForeignKey("characters.Character", on_delete=models.CASCADE, related_name="clips")
    video = models.FileField(upload_to="clips/")
    poster = models.FileField(upload_to="clips/")
    duration = models.FloatField(help_text="Seconds.")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    fps = models.FloatField()
    watermark_payload = models.CharField(max_length=16, help_text="The 64-bit payload in every frame, as hex.")
    provenance = models.JSONField(default=dict, blank=True, help_text="What re-reading the stored file found.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"])]

    def __str__(self) -> str:
        return f"Clip of {self.character} ({self.pk})"

    def get_absolute_url(self) -> str:
        return self.job.get_absolute_url()

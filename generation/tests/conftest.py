"""Fixtures of the clip tests: a character with a drawn face, recordings, finished clips (the worker and server are in the root conftest)."""

import io
import math
from collections.abc import Callable

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections

from demo.art import DEMO_STYLES, draw_portrait
from engine import speech
from generation.models import Clip, GenerationJob, JobStatus
from generation.testing import clip_row

FAST_VOICE = "ada"  # an eSpeak voice: no neural model to load, so test clips take about half a second


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    """Users are made in almost every test here; the production hasher spends half a second on each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def face_png() -> bytes:
    buffer = io.BytesIO()
    draw_portrait(next(iter(DEMO_STYLES.values())), size=256).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def clip_character(owner, face_png):
    """A public character whose portrait has a face the rig detector finds."""
    from characters import services

    return services.create_character(owner=owner, name="Mira", portrait=face_png)


@pytest.fixture
def job_files(stored_files) -> Callable[[], list[str]]:
    """The stored files of clip jobs (recordings and clips): everything but the characters' portraits."""
    return lambda: [name for name in stored_files() if not name.startswith("portraits/")]


def finished_clip(job: GenerationJob, **provenance: object) -> Clip:
    """Mark the job succeeded and give it a clip as the task would leave it (the task itself is tested in test_jobs)."""
    GenerationJob.objects.filter(pk=job.pk).update(status=JobStatus.SUCCEEDED, progress=100)
    clip = clip_row(job, provenance={"ai_generated": True, "c2pa_state": "Trusted", "watermark_found": True, **provenance})
    clip.save(force_insert=True)
    return clip


def wav_bytes(seconds: float, *, rate: int = 16000) -> bytes:
    """A voiced-sounding tone (a 140 Hz buzz that swells like syllables), as 16-bit mono WAV."""
    t = np.arange(int(seconds * rate)) / rate
    envelope = 0.5 + 0.5 * np.sin(2 * math.pi * 3 * t)
    return speech.pcm_wav(0.4 * envelope * np.sign(np.sin(2 * math.pi * 140 * t)), rate)


@pytest.fixture
def recording() -> Callable[..., SimpleUploadedFile]:
    def make(seconds: float = 1.0, name: str = "me.wav") -> SimpleUploadedFile:
        return SimpleUploadedFile(name, wav_bytes(seconds), content_type="audio/wav")

    return make


def run_job_in_thread(job_id: str, task_id: str) -> str | None:
    """Run a job the way a worker thread does, closing the thread's database connection afterwards."""
    from generation.services import worker

    try:
        return worker.run_job(job_id=job_id, task_id=task_id)
    finally:
        connections.close_all()

"""Fixtures of the clip tests: a character with a drawn face, recordings, a real worker and a live ASGI server."""

import io
import math
import threading
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.db.backends.signals import connection_created

from characters.demo_art import DEMO_STYLES, draw_portrait
from config.embedded import free_port
from generation.engine import speech
from generation.models import Clip, GenerationJob, JobStatus

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
    return Clip.objects.create(
        job=job,
        owner=job.owner,
        character=job.character,
        video=f"clips/{job.pk}/video.mp4",
        poster=f"clips/{job.pk}/poster.jpg",
        duration=1.5,
        width=512,
        height=512,
        fps=25,
        watermark_payload="00112233aabbccdd",
        provenance={"ai_generated": True, "c2pa_state": "Trusted", "watermark_found": True, **provenance},
    )


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


def read_uncommitted(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA read_uncommitted = 1")


@pytest.fixture
def concurrent_sqlite(transactional_db) -> Iterator[None]:
    """Let threads read the shared in-memory SQLite test database while another thread writes to it.

    In shared-cache mode a reader meets a writer's table lock with an immediate "database table is
    locked" error; read-uncommitted readers take no such locks. Other databases need nothing.
    """
    connection_created.connect(read_uncommitted)
    connection.ensure_connection()
    read_uncommitted(None, connection)
    yield
    connection_created.disconnect(read_uncommitted)


@pytest.fixture
def generation_worker(concurrent_sqlite) -> Iterator[None]:
    """A real Celery worker thread consuming the generation queue through the test session's Redis."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    with start_worker(app, queues=["generation"], perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30):
        yield


def run_job_in_thread(job_id: str, task_id: str) -> str | None:
    """Run a job the way a worker thread does, closing the thread's database connection afterwards."""
    from generation import services

    try:
        return services.run_job(job_id=job_id, task_id=task_id)
    finally:
        connections.close_all()


class LiveASGIServer:
    """Daphne serving the project's ASGI app (HTTP and WebSockets) from a thread of this process.

    pytest-django's live_server speaks only HTTP, and a Daphne process could not see the
    in-memory test database. Twisted's reactor cannot restart, so one server serves the session.
    """

    def __init__(self) -> None:
        from daphne.server import Server
        from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

        from config.asgi import application

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        started = threading.Event()
        self.server = Server(
            ASGIStaticFilesHandler(application),
            endpoints=[f"tcp:port={self.port}:interface=127.0.0.1"],
            signal_handlers=False,
            ready_callable=started.set,
        )
        self.thread = threading.Thread(target=self.server.run, name="daphne", daemon=True)
        self.thread.start()
        if not started.wait(10):
            raise RuntimeError("Daphne did not start")

    def stop(self) -> None:
        from twisted.internet import reactor

        reactor.callFromThread(reactor.stop)
        self.thread.join(10)


@pytest.fixture(scope="session")
def asgi_server() -> Iterator[LiveASGIServer]:
    server = LiveASGIServer()
    yield server
    server.stop()

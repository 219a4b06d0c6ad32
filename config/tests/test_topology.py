"""Several machines, on loopback: two Daphne processes and two Celery workers on PostgreSQL, Redis and (in CI) S3.

A clip requested through one Daphne reports its progress on a socket held on the other, and a
worker killed mid-job leaves the job to the other worker, which finishes it exactly once: one
clip, one set of files, the day's clip counted once.
"""

import copy
import io
import os
import queue
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import connection
from django.utils import timezone

from config.tests.topology import Daphne, Process, SocketListener, Worker, database_url, redis_url, wait_until
from demo.art import DEMO_STYLES, draw_portrait
from generation.models import Clip, GenerationJob, JobStatus
from generation.services.lifecycle import QUOTA_ACTION
from moderation.models import UsageCounter
from moderation.services import signing_identity

pytestmark = [
    pytest.mark.django_db(transaction=True),  # the processes see only committed rows
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
        reason="the multi-process topology needs a database server: set DATABASE_URL to PostgreSQL (and REDIS_URL, S3_*), as .ci/run does",
    ),
]

FAST_VOICE = "ada"  # eSpeak: no neural voice to load
# Long enough that the job is still rendering when its first worker dies; short enough to render in a few seconds.
SCRIPT = (
    "Good evening, everyone. Tonight the lighthouse keeper tells the story of the storm that took the old pier, "
    "and of the fishing boats that came home anyway, one lantern at a time, through the rain and the dark."
)
VISIBILITY_TIMEOUT_SECONDS = 20  # a lost worker's message returns to the queue this long after it was handed out
JOB_SECONDS = 240  # bound of the whole job, both runs included, on a slow shared machine


def subprocess_storage(media_root: Path) -> dict[str, Any]:
    """The default storage as the processes configure it, without the test's private prefix (conftest.isolated_media)."""
    if settings.S3_BUCKET:
        storage = copy.deepcopy(settings.STORAGES["default"])
        storage["OPTIONS"].pop("location", None)
        return storage
    return {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(media_root)}}


@pytest.fixture
def topology_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The variables every process gets: the test database, a Redis database of their own, shared media and secret."""
    url = redis_url(settings.REDIS_URL)
    broker = redis.Redis.from_url(url)
    broker.flushdb()  # messages of an earlier, interrupted run
    env = {
        **os.environ,
        "DATABASE_URL": database_url(connection.settings_dict),
        "REDIS_URL": url,
        "MEDIA_ROOT": str(tmp_path / "media"),
        "VAR_DIR": str(settings.VAR_DIR),  # the C2PA development chain and the secret key, made once below
        "SECRET_KEY": settings.SECRET_KEY,
        "DEBUG": "false",
        "SECURE_COOKIES": "false",
        "BROKER_VISIBILITY_TIMEOUT_SECONDS": str(VISIBILITY_TIMEOUT_SECONDS),
        "BROKER_RESTORE_INTERVAL_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    signing_identity()  # generate the development chain now, not in two workers at once
    yield env
    broker.flushdb()
    broker.close()


def portrait_png() -> bytes:
    buffer = io.BytesIO()
    draw_portrait(next(iter(DEMO_STYLES.values())), size=256).save(buffer, format="PNG")
    return buffer.getvalue()


def sign_up_and_make_character(web: Daphne) -> tuple[dict[str, str], str]:
    """A creator signs up and makes a character with a drawn face, all through one Daphne; returns their auth header and its slug."""
    account = {"username": "creator", "email": "creator@example.com", "password": "a-Long-passw0rd-for-tests"}
    response = requests.post(f"{web.url}/api/auth/signup/", json=account, timeout=30)
    assert response.status_code == 201, response.text
    auth = {"Authorization": f"Token {response.json()['token']}"}
    response = requests.post(
        f"{web.url}/api/characters/",
        data={"name": "Keeper", "visibility": "public", "voice": FAST_VOICE},
        files={"portrait": ("keeper.png", portrait_png(), "image/png")},
        headers=auth,
        timeout=60,
    )
    assert response.status_code == 201, response.text
    return auth, response.json()["slug"]


def frames_until(listener: SocketListener, condition, processes: list[Process]) -> list[dict[str, Any]]:
    """The frames heard until one meets the condition, bounded by JOB_SECONDS."""
    heard: list[dict[str, Any]] = []

    def arrived() -> bool:
        try:
            event = listener.next(timeout=0.5)
        except queue.Empty:
            return False
        if isinstance(event, int):
            raise AssertionError(f"The socket closed ({event}) after {heard}")
        heard.append(event)
        return condition(event)

    wait_until(arrived, "the job's progress on the socket", processes, timeout=JOB_SECONDS)
    return heard


def test_a_clip_asked_of_one_daphne_reports_on_the_other_and_survives_a_worker_killed_mid_job(topology_env, tmp_path):
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    processes: list[Process] = []
    listener: SocketListener | None = None
    try:
        web_1, web_2 = Daphne("daphne-1", topology_env, log_dir), Daphne("daphne-2", topology_env, log_dir)
        workers = [Worker(f"generation-{name}", "generation", topology_env, log_dir) for name in ("a", "b")]
        processes += [web_1, web_2, *workers]
        wait_until(lambda: all(worker.ready() for worker in workers), "both workers", processes)
        # Healthy means each Daphne reaches the database, Redis, the channel layer and a worker.
        wait_until(lambda: web_1.health() == 200 and web_2.health() == 200, "both Daphnes healthy", processes)

        auth, slug = sign_up_and_make_character(web_1)
        response = requests.post(
            f"{web_1.url}/api/clips/jobs/",
            json={"character": slug, "script": SCRIPT, "voice": FAST_VOICE},
            headers=auth,
            timeout=30,
        )
        assert response.status_code == 201, response.text
        job_id = response.json()["id"]
        token = auth["Authorization"].removeprefix("Token ")
        listener = SocketListener(f"ws://127.0.0.1:{web_2.port}/ws/jobs/{job_id}/?token={token}", origin=web_2.url)

        before_kill = frames_until(listener, lambda frame: frame["status"] == JobStatus.RUNNING, processes)
        job = GenerationJob.objects.get(pk=job_id)
        first = next(worker for worker in workers if worker.received(job.task_id))
        first.kill()
        second = next(worker for worker in workers if worker is not first)
        job.refresh_from_db()
        assert job.status == JobStatus.RUNNING and job.attempts == 1  # killed mid-job, not after it

        after_kill = frames_until(listener, lambda frame: frame["finished"], [web_1, web_2, second])
        final = after_kill[-1]
        assert final["status"] == JobStatus.SUCCEEDED, after_kill
        assert listener.next(timeout=30) == 1000  # the socket closes once the job ended

        # The second worker finished it, after its redelivery, once.
        wait_until(lambda: second.succeeded(job.task_id), "the second worker's log", [second])
        job.refresh_from_db()
        assert job.status == JobStatus.SUCCEEDED and job.attempts == 2
        clip = Clip.objects.get(job=job)
        assert Clip.objects.filter(owner=job.owner).count() == 1
        assert final["clip"]["id"] == str(clip.pk)
        usage = UsageCounter.objects.get(user=job.owner, action=QUOTA_ACTION, day=timezone.now().date())
        assert usage.count == 1

        storage: Storage = storages.create_storage(subprocess_storage(Path(topology_env["MEDIA_ROOT"])))
        directories, files = storage.listdir(f"clips/{job.pk}/")
        assert (directories, sorted(files)) == ([], ["poster.jpg", "video.mp4"])
        with storage.open(clip.video.name, "rb") as video:
            assert video.read(12)[4:8] == b"ftyp"

        # Either Daphne answers for the job the same way: the state lives in PostgreSQL, not in a process.
        for web in (web_1, web_2):
            state = requests.get(f"{web.url}/api/clips/jobs/{job_id}/", headers=auth, timeout=30).json()
            assert state["status"] == JobStatus.SUCCEEDED and state["clip"]["id"] == str(clip.pk)
        assert (
            before_kill[0]["status"] in (JobStatus.QUEUED, JobStatus.RUNNING) and before_kill[-1]["status"] == JobStatus.RUNNING
        )
        assert [frame["status"] for frame in after_kill[:-1]] == [JobStatus.RUNNING] * (len(after_kill) - 1)
    finally:
        if listener is not None:
            listener.close()
        for process in processes:
            process.kill()

"""The platform's wiring: health of its parts, the run command, the ASGI app."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from rest_framework.test import APIClient

from config import health
from config.celery import app as celery_app
from config.embedded import free_port, redis_answers
from config.tests.conftest import run_together
from generation.models import GenerationJob, JobStatus

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def fresh_worker_ping(monkeypatch) -> None:
    """Each test starts with no shared worker ping answer, as a freshly started process does."""
    monkeypatch.setattr(health, "worker_ping", health.WorkerPing())


@pytest.mark.django_db
def test_health_reports_a_missing_worker(client):
    response = client.get("/api/health/")
    body = response.json()
    assert response.status_code == 503 and not body["healthy"]
    assert body["checks"]["database"]["ok"] and body["checks"]["cache"]["ok"] and body["checks"]["channel_layer"]["ok"]
    assert not body["checks"]["workers"]["ok"] and "worker" in body["checks"]["workers"]["error"]


@pytest.mark.django_db(transaction=True)
def test_health_is_green_with_a_celery_worker(client):
    with start_worker(celery_app, perform_ping_check=False, loglevel="WARNING"):
        response = client.get("/api/health/")
    assert response.status_code == 200, response.json()
    assert response.json()["healthy"]


@pytest.mark.django_db(transaction=True)
def test_a_flood_of_health_checks_pings_once_and_leaves_the_broker_pool_to_clip_requests(
    settings, monkeypatch, client_for, owner, make_character, generation_queue
):
    settings.HEALTH_WORKER_PING_SECONDS = 60
    pings = []
    real_ping = health.ping_workers
    monkeypatch.setattr(health, "ping_workers", lambda timeout: pings.append(timeout) or real_ping(timeout))
    character = make_character("Captain Nova", voice="ada")
    flood = [lambda: APIClient().get("/api/health/") for _ in range(30)]
    clip = [
        lambda: client_for(owner).post(
            "/api/clips/jobs/", {"character": character.slug, "voice": "ada", "script": "Hi."}, format="json"
        )
    ]

    responses = run_together([*flood, *clip])

    assert [response.status_code for response in responses[:-1]] == [503] * 30
    assert all("no Celery worker" in response.json()["checks"]["workers"]["error"] for response in responses[:-1])
    assert len(pings) == 1
    held = [celery_app.pool.acquire(block=False) for _ in range(celery_app.conf.broker_pool_limit)]
    for connection in held:
        connection.release()
    assert responses[-1].status_code == 201, responses[-1].json()
    after = client_for(owner).post(
        "/api/clips/jobs/", {"character": character.slug, "voice": "ada", "script": "Hi."}, format="json"
    )
    assert after.status_code == 201
    assert GenerationJob.objects.filter(owner=owner, status=JobStatus.QUEUED).count() == 2
    assert generation_queue() == 2


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def daphnes_in_group(group: int) -> int:
    """How many Daphne processes run in a process group (Linux /proc)."""
    count = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[2]) == group and b"daphne" in cmdline:
            count += 1
    return count


def test_run_command_serves_and_ctrl_c_stops_every_process(tmp_path):
    """runplatform starts Redis, a worker and WEB_PROCESSES Daphnes on one port; SIGINT to its process group (Ctrl-C) ends them all."""
    port, redis_port = free_port(), free_port()
    env = {**os.environ, "VAR_DIR": str(tmp_path), "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", "WEB_PROCESSES": "2"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    if "DATABASE_URL" not in env:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runplatform", "--port", str(port)],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline, status, body = time.monotonic() + 90, None, {}
        while time.monotonic() < deadline:
            try:
                status, body = get_json(f"http://127.0.0.1:{port}/api/health/")
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        assert status == 200, body
        assert redis_answers(f"redis://127.0.0.1:{redis_port}/0")
        assert daphnes_in_group(process.pid) == 2
        # Every request is answered, whichever Daphne accepts it (one that has not pinned a worker yet may say 503).
        answers = [get_json(f"http://127.0.0.1:{port}/api/health/") for _ in range(10)]
        assert all(status in {200, 503} and "checks" in answer for status, answer in answers)
    finally:
        os.killpg(process.pid, signal.SIGINT)
        output = process.communicate(timeout=60)[0].decode()
    assert process.returncode == 0, output
    assert "Stopped." in output
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)  # nothing is left in the process group
    assert not redis_answers(f"redis://127.0.0.1:{redis_port}/0")

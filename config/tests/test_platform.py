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

from config.celery import app as celery_app
from config.embedded import free_port, redis_answers

ROOT = Path(__file__).resolve().parents[2]


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


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_run_command_serves_and_ctrl_c_stops_every_process(tmp_path):
    """runplatform starts Redis, a worker and Daphne; SIGINT to its process group (Ctrl-C) ends them all."""
    port, redis_port = free_port(), free_port()
    env = {**os.environ, "VAR_DIR": str(tmp_path), "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0"}
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
    finally:
        os.killpg(process.pid, signal.SIGINT)
        output = process.communicate(timeout=60)[0].decode()
    assert process.returncode == 0, output
    assert "Stopped." in output
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)  # nothing is left in the process group
    assert not redis_answers(f"redis://127.0.0.1:{redis_port}/0")

"""Pytest plugin: a test session gets its own embedded Redis unless REDIS_URL names a server.

It also sets two defaults of the environment for the production settings (DEBUG off) the suite runs
with: static files by their plain names (no collectstatic before a test run) and session cookies that a
browser keeps over the plain HTTP of the browser tests' loopback server.

Loaded with `-p` (see pyproject.toml) so that it runs before pytest-django reads the settings.
A private server on a free port keeps test sessions that run at the same time from sharing,
and stopping, each other's Redis.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from config.embedded import free_port, start_embedded_redis, stop


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    os.environ.setdefault("STATIC_MANIFEST", "false")
    os.environ.setdefault("SECURE_COOKIES", "false")
    if os.environ.get("REDIS_URL"):
        return
    url = f"redis://127.0.0.1:{free_port()}/0"
    data_dir = Path(tempfile.mkdtemp(prefix="test-redis-"))
    process = start_embedded_redis(url, data_dir)
    os.environ["REDIS_URL"] = url
    early_config.add_cleanup(lambda: (stop(process), shutil.rmtree(data_dir, ignore_errors=True)))

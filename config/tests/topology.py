"""The production topology on loopback: Daphne and Celery worker processes started as the deploy files start them.

Each process is a child of the test in a session of its own, so a kill takes its pool children
along, and writes its output to a log file the test reads (a worker says there which task it got).
"""

import asyncio
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse, urlunparse

import requests
from django.conf import settings
from websockets.asyncio.client import ClientConnection, connect

from config import web
from config.embedded import free_port

STARTUP_SECONDS = 90  # two Daphnes and two workers import Django at once on a small machine
TOPOLOGY_REDIS_DB = 15  # a Redis database of its own: no other platform's worker on the same server takes its messages


def database_url(database: Mapping[str, Any]) -> str:
    """A DATABASE_URL for the database Django is connected to (in a test, pytest-django's test database)."""
    credentials = quote(database["USER"], safe="")
    if database["PASSWORD"]:
        credentials += ":" + quote(database["PASSWORD"], safe="")
    return f"postgres://{credentials}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"


def redis_url(url: str, db: int = TOPOLOGY_REDIS_DB) -> str:
    return urlunparse(urlparse(url)._replace(path=f"/{db}"))


class Process:
    """One platform process started from its command line; its output goes to a log file."""

    def __init__(self, name: str, command: list[str], env: Mapping[str, str], log_dir: Path) -> None:
        self.name = name
        self.log = log_dir / f"{name}.log"
        with self.log.open("wb") as output:
            self.popen = subprocess.Popen(
                command, env=dict(env), stdout=output, stderr=subprocess.STDOUT, cwd=settings.BASE_DIR, start_new_session=True
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def running(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL to the whole session: what a lost machine looks like to the rest of the platform."""
        if self.running():
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(10)

    def stop(self) -> None:
        if self.running():
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


class Daphne(Process):
    def __init__(self, name: str, env: Mapping[str, str], log_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__(name, web.daphne_command(host="127.0.0.1", port=self.port), env, log_dir)

    def health(self) -> int | None:
        """The status of GET /api/health/, or None while nothing answers on the port yet."""
        try:
            return requests.get(f"{self.url}/api/health/", timeout=5).status_code
        except requests.RequestException:
            return None


class Worker(Process):
    def __init__(self, name: str, queues: str, env: Mapping[str, str], log_dir: Path) -> None:
        self.hostname = f"{name}@topology"
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queues, "-n", self.hostname]
        command += ["--concurrency", "1", "--loglevel", "INFO", "--without-gossip", "--without-mingle"]
        super().__init__(name, command, env, log_dir)

    def ready(self) -> bool:
        return f"{self.hostname} ready." in self.output()

    def received(self, task_id: str) -> bool:
        return f"[{task_id}] received" in self.output()

    def succeeded(self, task_id: str) -> bool:
        return f"[{task_id}] succeeded" in self.output()


def wait_until(condition, what: str, processes: list[Process], timeout: float = STARTUP_SECONDS) -> None:
    """Poll until the condition holds; fail with the processes' logs when it does not in time or one of them died."""
    deadline = time.monotonic() + timeout
    while not condition():
        dead = [process for process in processes if not process.running()]
        if dead or time.monotonic() > deadline:
            reason = f"{', '.join(process.name for process in dead)} exited" if dead else f"not within {timeout:.0f} s"
            logs = "\n".join(f"--- {process.name}\n{process.output()[-3000:]}" for process in processes)
            raise AssertionError(f"Waiting for {what}: {reason}\n{logs}")
        time.sleep(0.2)


class SocketListener:
    """A WebSocket held open on a thread of its own; each JSON frame, then the close code, goes to a queue.

    websockets' asyncio client, because its sync client can drop the frames that arrive in the
    same read as the server's close frame (a job's last progress events and its final state).
    """

    def __init__(self, url: str, origin: str, timeout: float = 30) -> None:
        self.events: queue.Queue[dict[str, Any] | int | BaseException] = queue.Queue()
        self.loop = asyncio.new_event_loop()
        self.socket: ClientConnection | None = None
        opened = threading.Event()
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self.listen(url, origin, opened),), daemon=True)
        self.thread.start()
        if not opened.wait(timeout):
            raise AssertionError(f"The socket {url} did not open within {timeout:.0f} s: {self.events.queue}")

    async def listen(self, url: str, origin: str, opened: threading.Event) -> None:
        try:
            async with connect(url, origin=origin, open_timeout=30) as socket:
                self.socket = socket
                opened.set()
                async for message in socket:  # ends when the server closes normally
                    self.events.put(json.loads(message))
            self.events.put(socket.close_code if socket.close_code is not None else -1)
        except BaseException as exc:  # handed to the test thread, which fails with it
            self.events.put(exc)
        finally:
            opened.set()

    def next(self, timeout: float) -> dict[str, Any] | int:
        """The next frame (a dict) or the close code (an int); raises queue.Empty after the timeout."""
        event = self.events.get(timeout=timeout)
        if isinstance(event, BaseException):
            raise AssertionError("The socket failed") from event
        return event

    def close(self) -> None:
        if self.socket is not None and self.thread.is_alive():
            asyncio.run_coroutine_threadsafe(self.socket.close(), self.loop).result(10)
        self.thread.join(10)
        self.loop.close()

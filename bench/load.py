"""Load test of the anonymous feed: 50 concurrent clients on GET /api/feed/?kind=new against the platform's web tier.

    python -m bench.load              # prints one JSON object
    python -m bench.load --seconds 30 # a longer timed phase per setup

The platform runs as `manage.py runplatform --no-worker` starts it (Daphnes only: the Celery worker and beat
play no part in a feed request), on PostgreSQL (LOAD_DATABASE_URL, default the marionette_b database on
loopback, created when missing and kept, since the demo clips take minutes to render) and Redis
(LOAD_REDIS_URL, default database 5 on loopback), with DEBUG off as in production. The database gets the
demo characters and their posts (load_demo, load_demo_posts), then copies of those posts up to two pages,
so a page of New is a full page of 20. Three setups are measured one after the other in the same run:

- baseline: one Daphne, no feed cache, a database connection per request (the platform before this change);
- processes_and_pool: WEB_PROCESSES Daphnes on one socket and the connection pool, the cache off;
- platform: the defaults (WEB_PROCESSES Daphnes, the pool, anonymous feed pages cached FEED_CACHE_SECONDS).

Each setup: start, wait until the feed answers, warm up, then CLIENTS closed-loop clients (an asyncio client of
the standard library, one keep-alive HTTP/1.1 connection each, the next request as soon as the previous
response is read) for the timed phase. A request's latency runs from writing it to reading the whole body;
any status but 200, a timeout (REQUEST_TIMEOUT_S) or a broken connection is an error. The load client shares
the machine's cores with the server, PostgreSQL and Redis, as on a one-machine install; the load average is
reported since every other process shows in the p99. The targets of the issue (>= 300 req/s, p99 <= 150 ms)
are reported as booleans for the platform setup.
"""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from bench import harness

DEFAULT_DATABASE_URL = "postgres://marionette:marionette@127.0.0.1:5432/marionette_b"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/5"
PATH = "/api/feed/?kind=new"
CLIENTS = 50
SECONDS = 15.0
WARM_UP_S = 3.0
REQUEST_TIMEOUT_S = 10.0
STARTUP_S = 120.0
FEED_POSTS = 40
TARGET_RPS = 300.0
TARGET_P99_MS = 150.0
SETUPS: dict[str, dict[str, str]] = {
    "baseline": {"WEB_PROCESSES": "1", "FEED_CACHE_SECONDS": "0", "DATABASE_POOL": "false", "DATABASE_CONN_MAX_AGE": "0"},
    "processes_and_pool": {"FEED_CACHE_SECONDS": "0"},
    "platform": {},
}


# --- the database ---------------------------------------------------------------------------------------


def ensure_database(url: str) -> None:
    """Create the bench database when it does not exist yet (the role may create databases)."""
    import psycopg
    from psycopg import sql

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def seed(env: dict[str, str]) -> int:
    """Migrate, load the demo data and copy its posts up to FEED_POSTS; in a child process with the bench's settings."""
    script = f"""
import django
django.setup()
from django.core.management import call_command
call_command("migrate", "--noinput", verbosity=0)
call_command("load_demo")
call_command("load_demo_posts")
from demo.characters import DEMO_USERNAME
from feed import services
from feed.models import Post
from generation.models import Clip, GenerationJob, JobStatus
demo = list(Post.objects.filter(owner__username=DEMO_USERNAME).select_related("clip", "clip__job", "owner").order_by("id"))
count = Post.objects.count()
for index in range(count, {FEED_POSTS}):
    source = demo[index % len(demo)]
    job = source.clip.job
    copy = GenerationJob.objects.create(
        owner=job.owner, character=job.character, script=job.script, voice=job.voice, status=JobStatus.SUCCEEDED, progress=100
    )
    clip = source.clip
    clip = Clip.objects.create(
        job=copy, owner=clip.owner, character=clip.character, video=clip.video.name, poster=clip.poster.name, duration=clip.duration,
        width=clip.width, height=clip.height, fps=clip.fps, watermark_payload=clip.watermark_payload, provenance=clip.provenance,
    )
    services.create_post(user=source.owner, clip=clip, caption=f"{{source.caption}} ({{index}})", visibility="public")
print(Post.objects.count())
"""
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=harness.ROOT, env=env, capture_output=True, text=True, timeout=1800
    )
    if result.returncode != 0:
        raise SystemExit(f"Seeding the bench database failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return int(result.stdout.strip().splitlines()[-1])


# --- the server -----------------------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Platform:
    """`runplatform --no-worker` in a process group of its own, its output in a log file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.log = log
        command = [sys.executable, "manage.py", "runplatform", "--no-worker", "--port", str(self.port)]
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                command, cwd=harness.ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"The platform exited:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{PATH}", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise SystemExit(f"The platform did not answer within {STARTUP_S:.0f} s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


# --- the load -------------------------------------------------------------------------------------------


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one HTTP/1.1 response; its status and whether the server keeps the connection open."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:] if line)}
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.read()
        return status, False
    return status, headers.get("connection", "").lower() != "close"


async def client(port: int, stop_at: float, latencies: list[float], errors: collections.Counter) -> None:
    request = f"GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\n\r\n".encode()
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while time.perf_counter() < stop_at:
        try:
            if writer is None:
                reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), REQUEST_TIMEOUT_S)
            assert reader is not None
            started = time.perf_counter()
            writer.write(request)
            status, keep = await asyncio.wait_for(read_response(reader), REQUEST_TIMEOUT_S)
            latencies.append(time.perf_counter() - started)
            if status != 200:
                errors[f"status {status}"] += 1
            if not keep:
                writer.close()
                writer = None
        except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as error:
            errors[type(error).__name__] += 1
            if writer is not None:
                writer.close()
            writer = None
            await asyncio.sleep(0.01)
    if writer is not None:
        writer.close()


async def load(port: int, seconds: float) -> tuple[list[float], collections.Counter, float]:
    latencies: list[float] = []
    errors: collections.Counter = collections.Counter()
    watch = harness.Stopwatch()
    stop_at = time.perf_counter() + seconds
    await asyncio.gather(*(client(port, stop_at, latencies, errors) for _ in range(CLIENTS)))
    return latencies, errors, watch.seconds()


def measure(name: str, base_env: dict[str, str], log_dir: Path, seconds: float) -> dict[str, Any]:
    env = {**base_env, **SETUPS[name]}
    platform = Platform(env, log_dir / f"{name}.log")
    try:
        platform.wait_ready()
        asyncio.run(load(platform.port, WARM_UP_S))
        latencies, errors, elapsed = asyncio.run(load(platform.port, seconds))
        load_average = os.getloadavg()[0]
    finally:
        platform.stop()
    ms = [latency * 1000 for latency in latencies]
    return {
        "web_processes": int(env.get("WEB_PROCESSES", "2")),
        "feed_cache_seconds": float(env.get("FEED_CACHE_SECONDS", "5")),
        "database_pool": env.get("DATABASE_POOL", "true") != "false",
        "requests": len(latencies),
        "seconds": round(elapsed, 2),
        "requests_per_s": harness.rate(len(latencies), elapsed),
        "p50_ms": round(harness.percentile(ms, 0.50), 1) if ms else None,
        "p90_ms": round(harness.percentile(ms, 0.90), 1) if ms else None,
        "p99_ms": round(harness.percentile(ms, 0.99), 1) if ms else None,
        "max_ms": round(max(ms), 1) if ms else None,
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "load_average_1m": round(load_average, 2),
    }


def main() -> None:
    arguments = harness.parser(__doc__)
    arguments.add_argument("--seconds", type=float, default=SECONDS, help="timed phase per setup")
    options = arguments.parse_args()
    database_url = os.environ.get("LOAD_DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("LOAD_REDIS_URL", DEFAULT_REDIS_URL)
    var_dir = Path(os.environ.get("LOAD_VAR_DIR", Path(tempfile.gettempdir()) / "marionette-bench-load"))
    var_dir.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "DJANGO_SETTINGS_MODULE", "WEB_PROCESSES"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "VAR_DIR": str(var_dir),
            "MEDIA_ROOT": str(var_dir / "media"),
            "LOG_LEVEL": "WARNING",
        }
    )
    ensure_database(database_url)
    posts = seed(env)
    log_dir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    results = {name: measure(name, env, log_dir, options.seconds) for name in SETUPS}
    platform, baseline = results["platform"], results["baseline"]
    harness.emit_rows(
        {
            "endpoint": f"GET {PATH}",
            "clients": CLIENTS,
            "posts": posts,
            "cores": os.cpu_count(),
            "database": "postgresql",
            "setups": results,
            "throughput_ratio": round(platform["requests_per_s"] / max(baseline["requests_per_s"], 0.1), 1),
            "meets_target_rps": platform["requests_per_s"] >= TARGET_RPS,
            "meets_target_p99": platform["p99_ms"] is not None and platform["p99_ms"] <= TARGET_P99_MS,
            "no_errors": platform["errors"] == 0,
        }
    )


if __name__ == "__main__":
    main()

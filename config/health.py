"""Health of the parts the platform runs on, for operators and the run command.

Anyone may ask, so no check may hold what the platform's own work needs: each is bounded by
HEALTH_CHECK_TIMEOUT_SECONDS, and the Celery worker ping, the one check that makes every worker
answer, uses a broker connection of its own (never the app's pools, which task publishing
waits on) and is shared by all requests of a process for HEALTH_WORKER_PING_SECONDS.
"""

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from kombu.pidbox import Mailbox

from config.celery import app as celery_app


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_cache() -> None:
    cache.set("health:probe", "ok", 10)
    if cache.get("health:probe") != "ok":
        raise RuntimeError("the cache did not return what was stored")


def check_channel_layer() -> None:
    """Send a message to a fresh channel and receive it back through Redis, within the check timeout."""

    async def round_trip() -> None:
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "health.probe"})
        message = await layer.receive(channel)
        if message.get("type") != "health.probe":
            raise RuntimeError("the channel layer returned another message")

    async def bounded() -> None:
        try:
            await asyncio.wait_for(round_trip(), timeout=settings.HEALTH_CHECK_TIMEOUT_SECONDS)
        except TimeoutError:
            raise RuntimeError(f"no answer within {settings.HEALTH_CHECK_TIMEOUT_SECONDS:g} s") from None

    async_to_sync(bounded)()


def control_mailbox() -> Mailbox:
    """Celery's control mailbox without its producer pool, so a ping publishes on the caller's connection."""
    conf = celery_app.conf
    return Mailbox(
        conf.control_exchange,
        type="fanout",
        accept=conf.accept_content,
        serializer=conf.task_serializer,
        queue_exclusive=conf.control_queue_exclusive,
        queue_durable=conf.control_queue_durable,
        reply_queue_ttl=conf.control_queue_ttl,
        reply_queue_expires=conf.control_queue_expires,
    )


def ping_workers(timeout: float) -> str | None:
    """Broadcast a ping on a fresh broker connection; the error to report, or None when a worker answered."""
    broker = celery_app.connection_for_write(
        connect_timeout=timeout,
        transport_options={"socket_timeout": timeout, "socket_connect_timeout": timeout, "max_retries": 1},
    )
    try:
        with broker:
            replies = control_mailbox()(broker).multi_call("ping", timeout=timeout)
    except Exception as exc:  # the broker's clients raise many kinds of connection errors
        return f"the broker did not answer: {exc or type(exc).__name__}"
    return None if replies else "no Celery worker answered"


class WorkerPing:
    """One worker ping in flight per process; its answer serves every health request for a few seconds.

    Callers wait for the ping in flight at most twice the check timeout, so a broker that hangs
    leaves one stuck ping thread (a daemon, which never holds up the process's exit) and bounded
    health requests, never a growing pile of either.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight: Future[str | None] | None = None
        self.answer: str | None = None
        self.answered_at: float | None = None

    def error(self) -> str | None:
        timeout = settings.HEALTH_CHECK_TIMEOUT_SECONDS
        with self.lock:
            if self.answered_at is not None and time.monotonic() - self.answered_at < settings.HEALTH_WORKER_PING_SECONDS:
                return self.answer
            if self.in_flight is None:
                self.in_flight = Future()
                threading.Thread(target=self.ping, args=(self.in_flight, timeout), name="health-ping", daemon=True).start()
            pending = self.in_flight
        try:
            # The ping's own timeouts bound it; the margin covers connecting before it waits for replies.
            return pending.result(timeout=2 * timeout)
        except FutureTimeout:
            return f"the worker ping did not finish within {2 * timeout:g} s"

    def ping(self, pending: Future[str | None], timeout: float) -> None:
        answer = "the worker ping failed"
        try:
            answer = ping_workers(timeout)
        finally:
            with self.lock:
                self.answer, self.answered_at, self.in_flight = answer, time.monotonic(), None
            pending.set_result(answer)


worker_ping = WorkerPing()


def check_workers() -> None:
    error = worker_ping.error()
    if error:
        raise RuntimeError(error)


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "cache": check_cache,
    "channel_layer": check_channel_layer,
    "workers": check_workers,
}


def run_checks() -> dict[str, dict]:
    """Run every check; each reports ok, milliseconds and the error if any."""
    results = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
            results[name] = {"ok": True}
        except Exception as exc:  # a health report must describe failures, not raise them
            results[name] = {"ok": False, "error": str(exc) or type(exc).__name__}
        results[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return results

"""Health of the parts the platform runs on, for operators and the run command."""

import asyncio
import time
from collections.abc import Callable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import connection

from config.celery import app as celery_app


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_cache() -> None:
    cache.set("health:probe", "ok", 10)
    if cache.get("health:probe") != "ok":
        raise RuntimeError("the cache did not return what was stored")


def check_channel_layer() -> None:
    """Send a message to a fresh channel and receive it back through Redis."""

    async def round_trip() -> None:
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "health.probe"})
        message = await asyncio.wait_for(layer.receive(channel), timeout=2)
        if message.get("type") != "health.probe":
            raise RuntimeError("the channel layer returned another message")

    async_to_sync(round_trip)()


def check_workers() -> None:
    replies = celery_app.control.ping(timeout=1.0)
    if not replies:
        raise RuntimeError("no Celery worker answered")


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

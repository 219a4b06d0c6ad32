"""Anonymous feed pages from a short-lived cache, answered in front of Django (config/asgi.py wraps the HTTP app).

An anonymous `GET /api/feed/` (no session cookie, no Authorization header) looks the same to every
viewer, and it is the hottest request of the platform. Django's whole response (status, headers, the
Content-Security-Policy among them, body) is kept in Redis for FEED_CACHE_SECONDS under the request's
host, scheme, Accept header and full query string, and replayed byte for byte while it lives: a hit
costs one Redis GET and no Django at all. Only a 200 that sets no cookie is kept. A new post therefore
reaches anonymous viewers within FEED_CACHE_SECONDS; signed-in viewers (their likes are in the page)
always go to Django. When Redis does not answer, requests go to Django as if there were no cache.

When a page expires under load, one request (the holder of a short Redis lock) rebuilds it through
Django while the others are still answered with the expired copy, so an expiry never sends every
client to Django at once. An expired copy is served at most STALE_SECONDS past its time, and only
while someone is rebuilding it: the next request after expiry that finds no rebuild under way
rebuilds it itself and gets the new page.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
import weakref
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import redis.asyncio as aioredis
from django.conf import settings
from django.http import parse_cookie

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

FEED_PATH = "/api/feed/"
MAX_BODY_BYTES = 1_000_000
REDIS_TIMEOUT_SECONDS = 0.5
STALE_SECONDS = 10.0  # how long an expired page is kept to answer with while one request rebuilds it
REBUILD_LOCK_SECONDS = 10.0  # a rebuild that never finished (its process died) blocks no one longer than this


def header(scope: Scope, name: bytes) -> bytes:
    """One request header's value (the last one of that name), b"" when absent."""
    value = b""
    for key, item in scope.get("headers", ()):
        if key == name:
            value = item
    return value


def anonymous(scope: Scope) -> bool:
    """No credentials at all: no Authorization header and no session cookie."""
    if header(scope, b"authorization"):
        return False
    cookies = header(scope, b"cookie")
    return not cookies or settings.SESSION_COOKIE_NAME not in parse_cookie(cookies.decode("latin-1"))


def cacheable(scope: Scope) -> bool:
    return (
        scope["type"] == "http"
        and scope["method"] == "GET"
        and scope["path"] == FEED_PATH
        and settings.FEED_CACHE_SECONDS > 0
        and anonymous(scope)
    )


def cache_key(scope: Scope) -> str:
    """Everything the page depends on for an anonymous viewer: host and scheme (its absolute URLs), Accept, the query."""
    parts = [
        header(scope, b"host"),
        scope.get("scheme", "http").encode(),
        header(scope, b"x-forwarded-proto"),
        header(scope, b"accept"),
        scope.get("query_string", b""),
    ]
    digest = hashlib.sha256(b"\0".join(parts)).hexdigest()
    return f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:feedpage:{digest}"


def encode(status: int, headers: list[tuple[bytes, bytes]], body: bytes, fresh_until: float) -> bytes:
    """A response as one value: a JSON line of status, headers and the time it expires, then the body."""
    head = {
        "status": status,
        "headers": [[name.decode("latin-1"), value.decode("latin-1")] for name, value in headers],
        "fresh_until": fresh_until,
    }
    return json.dumps(head).encode() + b"\n" + body


def decode(value: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes, float]:
    head, _, body = value.partition(b"\n")
    parsed = json.loads(head)
    headers = [(name.encode("latin-1"), item.encode("latin-1")) for name, item in parsed["headers"]]
    return parsed["status"], headers, body, parsed["fresh_until"]


# One client per event loop: an asyncio Redis connection belongs to the loop that opened it.
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis] = weakref.WeakKeyDictionary()


def client() -> aioredis.Redis:
    loop = asyncio.get_running_loop()
    if loop not in _clients:
        _clients[loop] = aioredis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
        )
    return _clients[loop]


class FeedPageCache:
    """ASGI middleware: replays a cached anonymous feed page, or runs the app and keeps what it answered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not cacheable(scope):
            await self.app(scope, receive, send)
            return
        key = cache_key(scope)
        try:
            cached = await client().get(key)
            if cached is not None:
                status, headers, body, fresh_until = decode(cached)
                # Fresh, or expired while another request rebuilds it: answer with it.
                if time.time() < fresh_until or not await client().set(
                    f"{key}:rebuild", b"1", nx=True, px=round(REBUILD_LOCK_SECONDS * 1000)
                ):
                    await send({"type": "http.response.start", "status": status, "headers": headers})
                    await send({"type": "http.response.body", "body": body})
                    return
        except (aioredis.RedisError, OSError) as error:
            logger.warning("Feed page cache unavailable: %s", error)
            await self.app(scope, receive, send)
            return
        recorder = Recorder(send, key)
        try:
            await self.app(scope, receive, recorder)
        finally:
            if cached is not None:  # this request held the rebuild lock
                await recorder.release()


class Recorder:
    """Forwards the app's messages as they come and stores the response once it is complete, if it may be kept."""

    def __init__(self, send: Send, key: str) -> None:
        self.send, self.key = send, key
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.size = 0

    async def __call__(self, message: Message) -> None:
        await self.send(message)
        if message["type"] == "http.response.start":
            self.status, self.headers = message["status"], [(bytes(k), bytes(v)) for k, v in message.get("headers", ())]
        elif message["type"] == "http.response.body":
            chunk = message.get("body", b"")
            self.body.append(chunk)
            self.size += len(chunk)
            if not message.get("more_body", False):
                await self.store()

    async def store(self) -> None:
        if self.status != 200 or self.size > MAX_BODY_BYTES or any(name.lower() == b"set-cookie" for name, _ in self.headers):
            return
        seconds = settings.FEED_CACHE_SECONDS
        value = encode(self.status, self.headers, b"".join(self.body), time.time() + seconds)
        try:
            await client().set(self.key, value, px=max(1, round((seconds + STALE_SECONDS) * 1000)))
        except (aioredis.RedisError, OSError) as error:
            logger.warning("Feed page cache unavailable: %s", error)

    async def release(self) -> None:
        try:
            await client().delete(f"{self.key}:rebuild")
        except (aioredis.RedisError, OSError) as error:
            logger.warning("Feed page cache unavailable: %s", error)

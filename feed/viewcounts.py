"""Views buffered in Redis: counted once per viewer per post per day, written to the database in batches.

Recording a view is two Redis commands and no database write: a per-(post, viewer) key that
expires after 24 hours decides whether the view counts, and counted views accumulate in one hash.
The periodic flush renames the hash away atomically, so views recorded during a flush land in a
fresh hash and none are lost or counted twice.
"""

from functools import cache

import redis
from django.conf import settings

SEEN_SECONDS = 24 * 3600
PENDING_KEY = "feed:views:pending"
FLUSHING_KEY = "feed:views:flushing"


@cache
def client_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def client() -> redis.Redis:
    return client_for(settings.REDIS_URL)


def record(*, post_id: int, viewer: str) -> bool:
    """Count the view unless this viewer was counted on this post in the last 24 h; True when it counted."""
    connection = client()
    if not connection.set(f"feed:views:seen:{post_id}:{viewer}", 1, nx=True, ex=SEEN_SECONDS):
        return False
    connection.hincrby(PENDING_KEY, str(post_id), 1)
    return True


def take_pending() -> dict[int, int]:
    """The views counted since the last flush, removed from Redis; a flush that died half-way is picked up again."""
    connection = client()
    if not connection.exists(FLUSHING_KEY):
        try:
            connection.rename(PENDING_KEY, FLUSHING_KEY)
        except redis.ResponseError:  # no views since the last flush
            return {}
    return {int(post_id): int(count) for post_id, count in connection.hgetall(FLUSHING_KEY).items()}


def forget_taken() -> None:
    """Called once the taken views are in the database."""
    client().delete(FLUSHING_KEY)

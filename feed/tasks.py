"""Periodic feed work, scheduled by Celery beat (see CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from feed import services


@shared_task(name="feed.tasks.flush_views")
def flush_views() -> int:
    """Write the views buffered in Redis to the posts' counters."""
    return services.flush_views()

"""Project package: settings, root URLs, the ASGI app and the Celery app."""

from config.celery import app as celery_app

__all__ = ["celery_app"]

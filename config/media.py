"""Local media, served only to those who may see the item a file belongs to (the one-machine mode; S3 signs its URLs).

A file is found by its storage folder, and the app that owns the folder decides from the item's
own visibility rules; an unknown name, or one the viewer may not read, is a 404 either way, so
that a private or removed item's files cannot be told apart from files that never existed.
"""

import posixpath
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest, HttpResponse
from django.views.static import serve

from accounts import selectors as account_selectors
from characters import selectors as character_selectors
from feed import selectors as feed_selectors
from generation import selectors as generation_selectors
from moderation import selectors as moderation_selectors

Reader = Callable[..., bool]

# Storage folder → who may read a file in it (upload_to of the models' file fields).
READERS: tuple[tuple[str, Reader], ...] = (
    ("clips/", feed_selectors.clip_file_readable),
    ("portraits/", character_selectors.portrait_readable),
    ("avatars/", account_selectors.avatar_readable),
    ("generation/audio/", generation_selectors.recording_readable),
    ("moderation/likeness/", moderation_selectors.reference_photo_readable),
)


def may_read(name: str, viewer: AbstractBaseUser | AnonymousUser) -> bool:
    if posixpath.normpath(name) != name or name.startswith("/"):
        return False  # "..", "//" and "./" never name a stored file
    reader = next((reader for folder, reader in READERS if name.startswith(folder)), None)
    return reader is not None and reader(name=name, viewer=viewer)


def serve_media(request: HttpRequest, path: str) -> HttpResponse:
    """MEDIA_ROOT is read per request, so tests that move it are served too."""
    if not may_read(path, request.user):
        raise Http404("No such file.")
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    # Whether it may be read depends on who asks and can change (a take-down): no shared caches.
    response["Cache-Control"] = "private, no-cache"
    return response

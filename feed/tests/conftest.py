"""Fixtures of the feed tests: posts of clips made without running the engine (the pipeline has its own tests)."""

from collections.abc import Callable
from datetime import datetime

import pytest

from feed import services
from feed.models import Post
from generation.models import GenerationJob
from generation.tests.conftest import finished_clip


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def character(make_character):
    return make_character("Captain Nova", voice="ada")


@pytest.fixture
def make_clip(owner, character):
    def make(user=None, *, script: str = "Ahoy, crew!", voice: str = "ada", on=None):
        job = GenerationJob.objects.create(owner=user or owner, character=on or character, script=script, voice=voice)
        return finished_clip(job)

    return make


@pytest.fixture
def make_post(owner, make_clip) -> Callable[..., Post]:
    def make(
        user=None,
        *,
        caption: str = "",
        tags: list[str] | None = None,
        visibility: str = "public",
        created_at: datetime | None = None,
    ) -> Post:
        post = services.create_post(
            user=user or owner, clip=make_clip(user or owner), caption=caption, tags=tags, visibility=visibility
        )
        if created_at is not None:
            Post.objects.filter(pk=post.pk).update(created_at=created_at)
            services.refresh_hot_score(post.pk)
        post.refresh_from_db()
        return post

    return make


@pytest.fixture
def post(make_post) -> Post:
    return make_post(caption="Maiden voyage", tags=["pirates", "Comedy"])

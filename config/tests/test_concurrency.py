"""Many writers at once on the configured database (the embedded SQLite file, or PostgreSQL in CI): no 500, exact counts."""

import os
import subprocess
import sys
from collections.abc import Callable

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.models import User
from config.tests.conftest import run_together
from feed import services as feed
from feed.models import Comment, Like, Post
from generation.models import GenerationJob, JobStatus
from generation.tests.conftest import FAST_VOICE, finished_clip
from moderation.models import UsageCounter

WRITERS = {"likes": 15, "comments": 15, "clips": 10, "sign_ups": 10}
QUOTA = 5


def as_user(user: User | None = None) -> APIClient:
    """A client that answers a server error with its 500 response, as a real client gets it, instead of raising it."""
    client = APIClient(raise_request_exception=False)
    if user is not None:
        client.force_authenticate(user=user)
    return client


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_writers_get_no_500_and_exact_counts(settings, owner, make_user, make_character, generation_queue):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CLIP_DAILY_QUOTA = QUOTA
    character = make_character("Captain Nova", voice=FAST_VOICE)
    post = feed.create_post(
        user=owner, clip=finished_clip(GenerationJob.objects.create(owner=owner, character=character)), visibility="public"
    )
    fans = [make_user(f"fan{number}") for number in range(WRITERS["likes"] + WRITERS["comments"])]
    likers, commenters = fans[: WRITERS["likes"]], fans[WRITERS["likes"] :]
    maker = make_user("maker")

    calls: list[Callable[[], int]] = [
        *(lambda user=user: as_user(user).post(f"/api/posts/{post.pk}/like/").status_code for user in likers),
        *(
            lambda user=user: (
                as_user(user).post(f"/api/posts/{post.pk}/comments/", {"text": "Lovely voice!"}, format="json").status_code
            )
            for user in commenters
        ),
        *(
            lambda: (
                as_user(maker)
                .post("/api/clips/jobs/", {"character": character.slug, "voice": FAST_VOICE, "script": "Ahoy!"}, format="json")
                .status_code
            )
            for _ in range(WRITERS["clips"])
        ),
        *(
            lambda number=number: (
                as_user()
                .post(
                    "/api/auth/signup/",
                    {"username": f"newcomer{number}", "email": f"newcomer{number}@example.com", "password": "a-Long-passw0rd"},
                    format="json",
                )
                .status_code
            )
            for number in range(WRITERS["sign_ups"])
        ),
    ]
    statuses = run_together(calls)

    likes, rest = statuses[: WRITERS["likes"]], statuses[WRITERS["likes"] :]
    comments, rest = rest[: WRITERS["comments"]], rest[WRITERS["comments"] :]
    clips, sign_ups = rest[: WRITERS["clips"]], rest[WRITERS["clips"] :]
    assert likes == [200] * WRITERS["likes"]
    assert comments == [201] * WRITERS["comments"]
    assert sorted(clips) == [201] * QUOTA + [429] * (WRITERS["clips"] - QUOTA)
    assert sign_ups == [201] * WRITERS["sign_ups"]

    post = Post.objects.get(pk=post.pk)
    assert post.like_count == Like.objects.filter(post=post).count() == WRITERS["likes"]
    assert post.comment_count == Comment.objects.filter(post=post).count() == WRITERS["comments"]
    assert UsageCounter.objects.get(user=maker, action="clip").count == QUOTA
    assert GenerationJob.objects.filter(owner=maker, status=JobStatus.QUEUED).count() == QUOTA
    assert User.objects.filter(username__startswith="newcomer").count() == WRITERS["sign_ups"]


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"), reason="the test above runs on the embedded SQLite here"
)
def test_the_same_writers_on_the_embedded_sqlite_default():
    """On PostgreSQL (CI), the embedded default must hold too: the test above again, in a process on SQLite."""
    env = {name: value for name, value in os.environ.items() if name != "DATABASE_URL"}
    test = f"{__file__}::test_fifty_concurrent_writers_get_no_500_and_exact_counts"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", test, "-q", "-p", "no:cacheprovider"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout

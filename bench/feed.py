"""Benchmark the feed API on PostgreSQL at a realistic size, with a trivial DRF endpoint as the floor.

    python -m bench.feed        # prints one JSON object (BENCH_DATABASE_URL overrides the database)

The feeds are the hottest reads of the platform, and whether they stay cheap depends on the row counts
and the indexes, which the test database (a handful of rows) cannot show. So a fresh PostgreSQL database
is seeded with 10,000 users, 1,000 characters and 100,000 posts over 30 days, each with its job and clip,
with heavy-tailed likes (~500k), comments (~100k, a quarter of them replies), follows (20-100 per user,
towards popular creators), tags, remixes and some unlisted, followers-only, held and deleted posts; the
posts' counters and hot scores agree with the rows. Then, in one process through DRF's APIClient (the
same middleware and authentication as a real request, no network), as a user who follows 80 creators,
For you, Following and New are timed on their first page and on a page ten cursors deep, next to a
view that only returns {"ok": true}. Per endpoint: latency percentiles, sequential requests per second,
SQL queries per request, PostgreSQL's EXPLAIN ANALYZE of the page query, the view's time split into ORM,
serializer and JSON renderer, and the garbage collector's full collections during the timing (with the
collector settled as the ASGI app does at start-up, config/heap.py); plus the profiler's hottest functions for For you. DEBUG is off, as in
production, so Django keeps no query log while timing. The database is dropped at the end. Nothing else
should run on the machine: the load average is reported, since the p99 shows every other process.
"""

import cProfile
import gc
import os
import pstats
import re
import shutil
import statistics
import sys
import tempfile
import time
import types
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
import psycopg
from psycopg import sql

from bench import harness

DEFAULT_DATABASE_URL = "postgres://marionette:marionette@127.0.0.1:5432/marionette_bench"
USERS = 10_000
CREATORS = 2_000
CHARACTERS = 1_000
POSTS = 100_000
TAGS = 60
LIKES_TARGET = 500_000
COMMENTS_PER_LIKE = 0.2
REPLY_SHARE = 0.25
FOLLOWS_PER_USER = (20, 100)
VIEWER_FOLLOWS = 80
VIEWER_LIKES = 200
REMIX_SHARE = 0.05
DAYS = 30
BATCH = 5_000
WARM_UP = 30
TIMED = 300
# A slow endpoint stops after this many seconds (with at least MIN_TIMED requests), to keep the run short.
TIMED_BUDGET_S = 20.0
MIN_TIMED = 100
DEEP_PAGE = 10
PAGE_SIZE = 20
P99_MS_MAX = 50.0
THROUGHPUT_RATIO_MIN = 0.5
RANDOM_SEED = 20260101
FEED_KINDS = ("foryou", "following", "new")
TRIVIAL_PATH = "api/bench/trivial/"
PERSONA = "Mira keeps the lighthouse on the northern cape and has not left it in eleven winters. " * 24
GREETING = "Ah, a traveller. Sit, the kettle is on, and the sea has been talkative tonight. " * 5
DIALOGUE = "{{user}}: What does the sea say?\n{{char}}: Mostly that it is tired of the wind. " * 18
SCRIPT = "Good evening, travellers. The storm outside will not let up before morning, so pull your chairs closer. " * 3


# --- environment ----------------------------------------------------------------------------------------


def configure_environment(database_url: str, redis_url: str) -> None:
    """Settings read the environment once, in django.setup(): everything is set before it."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DATABASE_URL"] = database_url
    os.environ["REDIS_URL"] = redis_url
    os.environ["DEBUG"] = "false"
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ.setdefault("SECRET_KEY", "bench-feed-not-secret")
    os.environ.setdefault("LOG_LEVEL", "WARNING")


def admin_connection(database_url: str) -> psycopg.Connection:
    """A connection to the server's maintenance database, with the bench database's credentials."""
    parsed = urlparse(database_url)
    try:
        return psycopg.connect(
            host=parsed.hostname,
            port=parsed.port or 5432,
            user=parsed.username,
            password=parsed.password,
            dbname="postgres",
            autocommit=True,
        )
    except psycopg.OperationalError as error:
        raise SystemExit(
            f"bench/feed.py needs PostgreSQL with a role that may create databases ({parsed.username}@"
            f"{parsed.hostname}:{parsed.port or 5432}); .ci/run shows how to start one. {error}"
        ) from None


def database_name(database_url: str) -> str:
    return urlparse(database_url).path.lstrip("/")


def recreate_database(database_url: str) -> None:
    name = sql.Identifier(database_name(database_url))
    with admin_connection(database_url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def drop_database(database_url: str) -> None:
    with admin_connection(database_url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database_name(database_url))))


def redis_for_bench() -> tuple[str, Any, Path | None]:
    """REDIS_URL or the embedded default when something answers there, else a private embedded server on a free port."""
    from config.embedded import free_port, redis_answers, start_embedded_redis

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6390/0"
    if redis_answers(url):
        return url, None, None
    url = f"redis://127.0.0.1:{free_port()}/0"
    data_dir = Path(tempfile.mkdtemp(prefix="bench-feed-redis-"))
    return url, start_embedded_redis(url, data_dir), data_dir


# --- the seed plan: every row decided in numpy first, so the counters agree with the rows ---------------


def zipf_weights(count: int, exponent: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, count + 1) ** exponent
    return weights / weights.sum()


def unique_pairs(left: np.ndarray, right: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    keys = np.unique(left.astype(np.int64) * width + right)
    return keys // width, keys % width


def plan_posts(rng: np.random.Generator, now: datetime) -> dict[str, np.ndarray]:
    """Owners (heavy-tailed over creators), characters, times (oldest first), visibility, moderation, remixes."""
    created = np.sort(rng.uniform(-DAYS * 86400, -60, POSTS))
    owner = rng.choice(CREATORS, POSTS, p=zipf_weights(CREATORS, 0.8))
    character = rng.choice(CHARACTERS, POSTS, p=zipf_weights(CHARACTERS, 0.9))
    visibility = rng.choice(np.array(["public", "unlisted", "followers"]), POSTS, p=[0.9, 0.05, 0.05])
    state = rng.choice(np.array(["visible", "held", "taken_down"]), POSTS, p=[0.992, 0.005, 0.003])
    deleted = rng.random(POSTS) < 0.005
    popularity = rng.pareto(1.2, POSTS) + 0.05
    # Remixes copy an earlier post, the popular ones more often; they keep its character.
    remix_of = np.full(POSTS, -1)
    remixes = np.sort(rng.choice(np.arange(1, POSTS), round(POSTS * REMIX_SHARE), replace=False))
    cumulative = np.cumsum(popularity)
    sources = np.searchsorted(cumulative, rng.random(len(remixes)) * cumulative[remixes - 1], side="right")
    remix_of[remixes] = np.minimum(sources, remixes - 1)
    character[remixes] = character[remix_of[remixes]]
    return {
        "created": created,
        "owner": owner,
        "character": character,
        "visibility": visibility,
        "state": state,
        "deleted": deleted,
        "popularity": popularity,
        "remix_of": remix_of,
        "now": np.array([now.timestamp()]),
    }


def plan_likes(rng: np.random.Generator, posts: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(post, user) pairs: likes per post follow the post's popularity, likers are the active users."""
    expected = posts["popularity"] * LIKES_TARGET / posts["popularity"].sum()
    per_post = np.minimum(rng.poisson(expected), USERS // 2)
    post = np.repeat(np.arange(POSTS), per_post)
    user = rng.permutation(USERS)[rng.choice(USERS, len(post), p=zipf_weights(USERS, 0.6))]
    # The viewer likes recent posts, so the first pages show some of them liked.
    viewer_posts = rng.choice(np.arange(POSTS - 20 * VIEWER_LIKES, POSTS), VIEWER_LIKES, replace=False)
    post = np.concatenate([post, viewer_posts])
    user = np.concatenate([user, np.full(VIEWER_LIKES, USERS - 1)])
    return unique_pairs(post, user, USERS)


def plan_follows(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(follower, followee) pairs: 20-100 per user, mostly towards the popular creators; the viewer follows 80 creators."""
    per_user = rng.integers(FOLLOWS_PER_USER[0], FOLLOWS_PER_USER[1] + 1, USERS - 1)
    follower = np.repeat(np.arange(USERS - 1), per_user)
    popular = np.zeros(USERS)
    popular[:CREATORS] = zipf_weights(CREATORS, 0.8)
    weights = 0.85 * popular + 0.15 / USERS
    followee = rng.choice(USERS, len(follower), p=weights / weights.sum())
    viewer_follows = rng.choice(CREATORS, VIEWER_FOLLOWS, replace=False, p=zipf_weights(CREATORS, 0.5))
    follower = np.concatenate([follower, np.full(VIEWER_FOLLOWS, USERS - 1)])
    followee = np.concatenate([followee, viewer_follows])
    keep = follower != followee
    return unique_pairs(follower[keep], followee[keep], USERS)


def plan_comments(rng: np.random.Generator, likes_per_post: np.ndarray) -> list[tuple[int, int, int | None, str]]:
    """(post, author, parent index or None, state) rows in id order; a reply answers an earlier top-level comment."""
    per_post = rng.poisson(likes_per_post * COMMENTS_PER_LIKE + 0.1)
    authors = rng.permutation(USERS)[rng.choice(USERS, int(per_post.sum()), p=zipf_weights(USERS, 0.6))]
    is_reply = rng.random(len(authors)) < REPLY_SHARE
    held = rng.random(len(authors)) < 0.01
    picks = rng.random(len(authors))
    rows: list[tuple[int, int, int | None, str]] = []
    for post in np.flatnonzero(per_post):
        top_level: list[int] = []
        for _ in range(per_post[post]):
            index = len(rows)
            parent = top_level[int(picks[index] * len(top_level))] if is_reply[index] and top_level else None
            if parent is None:
                top_level.append(index)
            rows.append((int(post), int(authors[index]), parent, "held" if held[index] else "visible"))
    return rows


def plan_tags(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    per_post = rng.choice(4, POSTS, p=[0.3, 0.35, 0.25, 0.1])
    post = np.repeat(np.arange(POSTS), per_post)
    return unique_pairs(post, rng.choice(TAGS, len(post), p=zipf_weights(TAGS, 1.0)), TAGS)


# --- writing the rows -----------------------------------------------------------------------------------


def iso_times(now: datetime, offsets_s: np.ndarray) -> list[str]:
    """Seconds relative to now as ISO timestamps, for COPY."""
    moments = np.datetime64(now.replace(tzinfo=None), "us") + (offsets_s * 1e6).astype("timedelta64[us]")
    return [f"{value}+00:00" for value in np.datetime_as_string(moments, unit="us")]


def copy_rows(model: Any, fields: list[str], rows: Any) -> int:
    """COPY rows into a model's table; fields are model field names, values in the same order."""
    from django.db import connection

    columns = [model._meta.get_field(name).column for name in fields]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(model._meta.db_table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def reset_sequences(*models: Any) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), list(models)):
            cursor.execute(statement)


def face_rig() -> dict[str, Any]:
    """A stored rig as the app saves it (Rig.to_dict of the template face), about 1.3 kB of JSON."""
    from engine.rig import template_rig

    return template_rig((160.0, 140.0, 190.0, 240.0), 512, 512).to_dict()


def seed_people(rng: np.random.Generator) -> tuple[list[int], list[int], list[int]]:
    """Users (creators first, the viewer last), characters of creators, tags; returns their ids in plan order."""
    from accounts.models import User
    from characters.models import Character, Tag

    avatars = rng.random(USERS) < 0.4
    users = [
        User(
            username=f"user{index:05d}",
            password="!",
            display_name=f"User {index}",
            bio="I make short clips of my characters. " * 3,
            avatar=f"avatars/bench-{index}.png" if avatars[index] else "",
            avatar_thumbnail=f"avatars/thumbs/bench-{index}.webp" if avatars[index] else "",
        )
        for index in range(USERS)
    ]
    users[-1].username = "bench_viewer"
    user_ids = [user.pk for user in User.objects.bulk_create(users, batch_size=BATCH)]
    owners = rng.choice(CREATORS, CHARACTERS, p=zipf_weights(CREATORS, 0.8))
    rig = face_rig()
    rigged = rng.random(CHARACTERS) < 0.7
    characters = [
        Character(
            owner_id=user_ids[owner],
            slug=f"bench-character-{index:04d}",
            name=f"Character {index}",
            tagline="A lighthouse keeper who talks to the sea",
            # Card texts of a typical size, a few kB in all: select_related fetches them with every post.
            persona=PERSONA,
            greeting=GREETING,
            example_dialogue=DIALOGUE,
            portrait=f"portraits/bench-{index}.png",
            portrait_thumbnail=f"portraits/thumbs/bench-{index}.webp",
            face_rig=rig if rigged[index] else None,
            card_data={"creator_notes": "Made for the bench.", "alternate_greetings": [GREETING[:200]] * 2},
        )
        for index, owner in enumerate(owners)
    ]
    character_ids = [character.pk for character in Character.objects.bulk_create(characters, batch_size=BATCH)]
    tag_ids = [tag.pk for tag in Tag.objects.bulk_create([Tag(name=f"tag{index:02d}") for index in range(TAGS)])]
    return user_ids, character_ids, tag_ids


def post_counters(
    plan: dict[str, np.ndarray], rng: np.random.Generator, likes: np.ndarray, comments: list[tuple]
) -> dict[str, np.ndarray]:
    """like/comment/remix/view counts as the services keep them: comments counted are the visible ones."""
    like_count = np.bincount(likes, minlength=POSTS)
    visible = [post for post, _, _, state in comments if state == "visible"]
    comment_count = np.bincount(np.array(visible, dtype=np.int64), minlength=POSTS)
    remixes = plan["remix_of"][plan["remix_of"] >= 0]
    remix_count = np.bincount(remixes, minlength=POSTS)
    view_count = like_count * rng.integers(5, 30, POSTS) + rng.poisson(20, POSTS)
    return {"like": like_count, "comment": comment_count, "remix": remix_count, "view": view_count}


def seed_posts(
    plan: dict[str, np.ndarray], counters: dict[str, np.ndarray], user_ids: list[int], character_ids: list[int]
) -> None:
    """A succeeded job and its clip per post, then the posts with ids 1..POSTS (oldest first)."""
    from feed.models import Post
    from feed.ranking import hot_score
    from generation.models import Clip, GenerationJob, JobStatus
    from generation.testing import clip_row

    now = datetime.fromtimestamp(plan["now"][0], UTC)
    created = [now + timedelta(seconds=float(offset)) for offset in plan["created"]]
    owners = [user_ids[owner] for owner in plan["owner"]]
    characters = [character_ids[character] for character in plan["character"]]
    jobs = [
        GenerationJob(
            owner_id=owners[index],
            character_id=characters[index],
            script=SCRIPT,
            voice="en-us",
            status=JobStatus.SUCCEEDED,
            progress=100,
            stage="done",
            attempts=1,
            started_at=created[index],
            finished_at=created[index],
        )
        for index in range(POSTS)
    ]
    GenerationJob.objects.bulk_create(jobs, batch_size=BATCH)
    clips = [
        clip_row(job, payload=f"{index:016x}", video=f"clips/bench-{index}.mp4", poster=f"clips/bench-{index}.jpg", duration=10.0)
        for index, job in enumerate(jobs)
    ]
    Clip.objects.bulk_create(clips, batch_size=BATCH)
    posts = []
    for index in range(POSTS):
        counts = {name: int(counters[name][index]) for name in ("like", "comment", "remix", "view")}
        remix_of = int(plan["remix_of"][index])
        posts.append(
            Post(
                id=index + 1,
                owner_id=owners[index],
                clip_id=clips[index].pk,
                character_id=characters[index],
                caption=f"Bench post {index}: the sea was talkative tonight, so the keeper told it a story.",
                visibility=str(plan["visibility"][index]),
                moderation_state=str(plan["state"][index]),
                remix_of_id=remix_of + 1 if remix_of >= 0 else None,
                like_count=counts["like"],
                comment_count=counts["comment"],
                remix_count=counts["remix"],
                view_count=counts["view"],
                hot_score=hot_score(
                    likes=counts["like"],
                    comments=counts["comment"],
                    remixes=counts["remix"],
                    views=counts["view"],
                    created_at=created[index],
                ),
                created_at=created[index],
                deleted_at=now if plan["deleted"][index] else None,
            )
        )
    Post.objects.bulk_create(posts, batch_size=BATCH)
    reset_sequences(Post)


def seed_engagement(
    rng: np.random.Generator,
    plan: dict[str, np.ndarray],
    likes: tuple[np.ndarray, np.ndarray],
    comments: list[tuple],
    follows: tuple[np.ndarray, np.ndarray],
    tags: tuple[np.ndarray, np.ndarray],
    ids: tuple[list[int], list[int]],
) -> dict[str, int]:
    """Likes, comments, follows and post tags by COPY: rows after the posts they point at, at plausible times."""
    from feed.models import Comment, Follow, Like, Post

    user_ids, tag_ids = ids
    now = datetime.fromtimestamp(plan["now"][0], UTC)
    like_posts, like_users = likes
    # An engagement happens between the post's creation and now.
    like_times = iso_times(now, plan["created"][like_posts] * rng.random(len(like_posts)))
    counts = {
        "likes": copy_rows(
            Like,
            ["user", "post", "created_at"],
            zip(np.take(user_ids, like_users).tolist(), (like_posts + 1).tolist(), like_times, strict=True),
        )
    }
    comment_posts = np.array([row[0] for row in comments])
    comment_times = iso_times(now, plan["created"][comment_posts] * rng.random(len(comments)))
    counts["comments"] = copy_rows(
        Comment,
        ["id", "post", "author", "parent", "text", "moderation_state", "moderation_reason", "created_at"],
        (
            (index + 1, post + 1, user_ids[author], None if parent is None else parent + 1, f"Comment {index}", state, "", moment)
            for index, ((post, author, parent, state), moment) in enumerate(zip(comments, comment_times, strict=True))
        ),
    )
    reset_sequences(Comment)
    followers, followees = follows
    follow_times = iso_times(now, -rng.uniform(0, 90 * 86400, len(followers)))
    counts["follows"] = copy_rows(
        Follow,
        ["follower", "followee", "created_at"],
        zip(np.take(user_ids, followers).tolist(), np.take(user_ids, followees).tolist(), follow_times, strict=True),
    )
    tag_posts, tag_indexes = tags
    counts["post_tags"] = copy_rows(
        Post.tags.through, ["post", "tag"], zip((tag_posts + 1).tolist(), np.take(tag_ids, tag_indexes).tolist(), strict=True)
    )
    return counts


def seed() -> dict[str, Any]:
    """Plan, write and ANALYZE the whole data set; returns the row counts and the seconds taken."""
    from django.db import connection, transaction
    from django.db.models import Count

    from accounts.models import User
    from feed import selectors
    from feed.models import Post, PostVisibility

    started = time.perf_counter()
    rng = np.random.default_rng(RANDOM_SEED)
    plan = plan_posts(rng, datetime.now(UTC))
    likes = plan_likes(rng, plan)
    comments = plan_comments(rng, np.bincount(likes[0], minlength=POSTS))
    follows = plan_follows(rng)
    tags = plan_tags(rng)
    counters = post_counters(plan, rng, likes[0], comments)
    planned = time.perf_counter()
    with transaction.atomic():
        user_ids, character_ids, tag_ids = seed_people(rng)
        seed_posts(plan, counters, user_ids, character_ids)
        posts_written = time.perf_counter()
        counts = seed_engagement(rng, plan, likes, comments, follows, tags, (user_ids, tag_ids))
    copied = time.perf_counter()
    with connection.cursor() as cursor:
        # A table in steady state: statistics for the planner, and the visibility map for index-only scans.
        cursor.execute("VACUUM ANALYZE")
    finished = time.perf_counter()
    visibility = dict(Post.objects.order_by().values_list("visibility").annotate(n=Count("id")))
    viewer = User.objects.get(username="bench_viewer")
    return {
        "users": User.objects.count(),
        "creators": CREATORS,
        "characters": len(character_ids),
        "tags": len(tag_ids),
        "posts": Post.objects.count(),
        "jobs_and_clips": POSTS,
        **counts,
        "replies": sum(1 for row in comments if row[2] is not None),
        "remixes": int((plan["remix_of"] >= 0).sum()),
        "posts_by_visibility": visibility,
        "posts_not_listed": POSTS - Post.objects.filter(visibility=PostVisibility.PUBLIC, deleted_at=None).count(),
        "max_likes_on_a_post": int(counters["like"].max()),
        "median_likes_per_post": float(np.median(counters["like"])),
        "viewer_follows": viewer.following.count(),
        "viewer_following_feed_posts": selectors.followed_posts(viewer).count(),
        "seconds": {
            "plan": round(planned - started, 2),
            "users_characters_jobs_clips_posts": round(posts_written - planned, 2),
            "likes_comments_follows_tags_copy": round(copied - posts_written, 2),
            "vacuum_analyze": round(finished - copied, 2),
            "total": round(finished - started, 2),
        },
    }


# --- measuring ------------------------------------------------------------------------------------------


def bench_urlconf() -> types.ModuleType:
    """The project's URLs plus a view that does nothing, so the floor pays the same middleware and authentication."""
    from django.urls import path
    from rest_framework.request import Request
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from config import urls

    class TrivialView(APIView):
        def get(self, request: Request) -> Response:
            return Response({"ok": True})

    module = types.ModuleType("bench_feed_urls")
    module.urlpatterns = [path(TRIVIAL_PATH, TrivialView.as_view()), *urls.urlpatterns]
    return module


def relative(url: str) -> str:
    """The next links are absolute; keep path and query."""
    parsed = urlparse(url)
    return f"{parsed.path}?{parsed.query}" if parsed.query else parsed.path


def feed_urls(client: Any) -> dict[str, str]:
    """Page 1 of each feed, and the page DEEP_PAGE reached by following the next links."""
    urls = {"trivial": f"/{TRIVIAL_PATH}"}
    for kind in FEED_KINDS:
        url = urls[f"{kind}_page1"] = f"/api/feed/?kind={kind}"
        for _ in range(DEEP_PAGE - 1):
            response = client.get(url)
            assert response.status_code == 200 and response.data["next"], (kind, response.status_code)
            url = relative(response.data["next"])
        urls[f"{kind}_deep"] = url
    return urls


def is_ok(name: str, response: Any) -> bool:
    if response.status_code != 200:
        return False
    return name == "trivial" or len(response.data["results"]) == PAGE_SIZE


class FullCollections:
    """Times the garbage collector's full (generation 2) collections while in use: their pause lands on one request."""

    def __init__(self) -> None:
        self.pauses_ms: list[float] = []
        self.started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self.started = time.perf_counter()
        else:
            self.pauses_ms.append((time.perf_counter() - self.started) * 1000)

    def __enter__(self) -> "FullCollections":
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


def time_endpoint(client: Any, name: str, url: str) -> dict[str, Any]:
    """Warm up, then TIMED sequential requests, each timed on its own."""
    for _ in range(WARM_UP):
        client.get(url)
    durations = []
    failures = 0
    with FullCollections() as collections:
        watch = harness.Stopwatch()
        for _ in range(TIMED):
            response, seconds = harness.timed(client.get, url)
            durations.append(seconds * 1000)
            failures += not is_ok(name, response)
            if len(durations) >= MIN_TIMED and watch.seconds() > TIMED_BUDGET_S:
                break
        wall = watch.seconds()
    return {
        "requests": len(durations),
        "failures": failures,
        "p50_ms": round(harness.percentile(durations, 0.5), 3),
        "p90_ms": round(harness.percentile(durations, 0.9), 3),
        "p99_ms": round(harness.percentile(durations, 0.99), 3),
        "max_ms": round(max(durations), 3),
        "mean_ms": round(statistics.fmean(durations), 3),
        "rps": harness.rate(len(durations), wall),
        "gc_full_collections": len(collections.pauses_ms),
        "gc_full_max_ms": round(max(collections.pauses_ms, default=0.0), 1),
    }


def probe_queries(client: Any, name: str, url: str) -> tuple[dict[str, Any], list[str]]:
    """One request with the queries captured (this forces Django's debug cursor, so it is kept out of the timing)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    results = [] if name == "trivial" else response.data["results"]
    probe = {
        "status": response.status_code,
        "results": len(results),
        "liked_on_page": sum(1 for post in results if post["liked"]),
        "queries": len(captured),
        "sql_ms": round(sum(float(query["time"]) for query in captured) * 1000, 3),
        "bytes": len(response.content),
    }
    return probe, [query["sql"] for query in captured]


def explain(statement: str) -> dict[str, Any]:
    """EXPLAIN (ANALYZE, BUFFERS) of the page query: its top lines, the indexes it scans and any sequential scan."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement}")
        lines = [row[0] for row in cursor.fetchall()]
    text = "\n".join(lines)
    execution = re.search(r"Execution Time: ([\d.]+) ms", text)
    return {
        "execution_ms": float(execution.group(1)) if execution else None,
        "indexes_used": sorted(set(re.findall(r"Index (?:Only )?Scan (?:Backward )?using (\w+)", text))),
        "sequential_scans": sorted(set(re.findall(r"Seq Scan on (\w+)", text))),
        "sorts": [line.strip() for line in lines if "Sort Method" in line],
        "top": [line.rstrip() for line in lines[:12]],
    }


def page_query(statements: list[str]) -> str | None:
    return next((s for s in statements if "feed_post" in s and "LIMIT" in s), None)


def hotspots(client: Any, url: str, requests: int = 100, top: int = 15) -> list[str]:
    """The functions with the most self time per request, under cProfile (which inflates Python time about 2x).
    The collector is off meanwhile, or its pauses would be charged to whichever function was running."""
    profiler = cProfile.Profile()
    gc.collect()
    gc.disable()
    try:
        profiler.enable()
        for _ in range(requests):
            client.get(url)
        profiler.disable()
    finally:
        gc.enable()
    rows = []
    for (filename, line, function), (_, calls, self_time, _, _) in pstats.Stats(profiler).stats.items():
        where = re.sub(r"^.*?/(site-packages|lib/python3\.\d+|main)/", "", filename)
        rows.append(
            (self_time, f"{self_time * 1000 / requests:7.3f} ms {calls / requests:7.1f} calls  {where}:{line}({function})")
        )
    return [row for _, row in sorted(rows, reverse=True)[:top]]


def phases(kind: str, url: str, viewer: Any, repeats: int = 30) -> dict[str, float]:
    """The view's own work for a page, phase by phase, outside the request cycle (through FeedView's own feed_page):
    the ORM (page query with the viewer's likes, tags prefetch, model rows), the serializer, the JSON renderer.
    Medians, so a collector pause in one repeat does not move them."""
    from rest_framework.renderers import JSONRenderer
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from feed.api import feed_page
    from feed.serializers import PostSerializer

    request = Request(APIRequestFactory().get(url))
    request.user = viewer
    spent: dict[str, list[float]] = {"orm_ms": [], "serialize_ms": [], "render_ms": []}
    for _ in range(repeats):
        started = time.perf_counter()
        paginator, page = feed_page(request, kind)
        fetched = time.perf_counter()
        data = PostSerializer(page, many=True, context={"request": request}).data
        serialized = time.perf_counter()
        JSONRenderer().render(paginator.get_paginated_response(data).data)
        rendered = time.perf_counter()
        spent["orm_ms"].append(fetched - started)
        spent["serialize_ms"].append(serialized - fetched)
        spent["render_ms"].append(rendered - serialized)
    return {name: round(statistics.median(seconds) * 1000, 3) for name, seconds in spent.items()}


def measure() -> dict[str, Any]:
    from django.conf import settings
    from rest_framework.test import APIClient

    from accounts.models import User
    from config import heap

    settings.ROOT_URLCONF = bench_urlconf()
    viewer = User.objects.get(username="bench_viewer")
    client = APIClient()
    client.force_authenticate(user=viewer)
    urls = feed_urls(client)
    load_before = round(os.getloadavg()[0], 2)
    # What config/asgi.py does once the app is loaded.
    heap.settle()
    endpoints: dict[str, Any] = {}
    plans: dict[str, Any] = {}
    for name, url in urls.items():
        gc.collect()
        timing = time_endpoint(client, name, url)
        probe, statements = probe_queries(client, name, url)
        endpoints[name] = {"url": url, **timing, **probe}
        statement = page_query(statements)
        if statement:
            plans[name] = explain(statement)
        if name != "trivial":
            split = phases(name.split("_")[0], url, viewer)
            # What is left of a request: middleware, DRF's dispatch, pagination links and the test client.
            split["rest_of_request_ms"] = round(timing["p50_ms"] - sum(split.values()), 3)
            endpoints[name]["phases_median"] = split
    return {
        "endpoints": endpoints,
        "plans": plans,
        "hotspots_foryou_page1": hotspots(client, urls["foryou_page1"]),
        "load_average_1m_before_timing": load_before,
    }


def verdict(endpoints: dict[str, Any]) -> dict[str, Any]:
    floor = endpoints["trivial"]["rps"]
    result = {}
    for name, figures in endpoints.items():
        if name == "trivial":
            continue
        fast = figures["p99_ms"] <= P99_MS_MAX
        ratio = figures["rps"] / floor
        result[name] = {
            "p99_ok": fast,
            "throughput_ratio": round(ratio, 3),
            "throughput_ok": ratio >= THROUGHPUT_RATIO_MIN,
            "correct": figures["failures"] == 0 and figures["results"] == PAGE_SIZE,
            "pass": fast and ratio >= THROUGHPUT_RATIO_MIN and figures["failures"] == 0,
        }
    return result


def environment() -> dict[str, Any]:
    import django
    import rest_framework
    from django.conf import settings
    from django.db import connection

    return {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "django": django.get_version(),
        "djangorestframework": rest_framework.VERSION,
        "postgresql": connection.cursor().connection.info.server_version,
        "debug": settings.DEBUG,
        # What the collector walks on a full collection: everything the project imports at setup (torch among it).
        "gc_tracked_objects": len(gc.get_objects()),
        "torch_imported": "torch" in sys.modules,
        # Other work on the machine shows in the tails; the load average says how much there was.
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    started = time.perf_counter()
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url, redis_process, redis_dir = redis_for_bench()
    try:
        configure_environment(database_url, redis_url)
        recreate_database(database_url)
        try:
            import django

            django.setup()
            from django.core.management import call_command

            migrate_started = time.perf_counter()
            call_command("migrate", verbosity=0)
            migrated = round(time.perf_counter() - migrate_started, 2)
            seeded = seed()
            measured = measure()
            info = {**environment(), "load_average_1m_before_timing": measured["load_average_1m_before_timing"]}
        finally:
            from django.db import connections

            connections.close_all()
            drop_database(database_url)
    finally:
        if redis_process is not None:
            from config.embedded import stop

            stop(redis_process)
            shutil.rmtree(redis_dir, ignore_errors=True)
    harness.emit(
        {
            "environment": info,
            "migrate_seconds": migrated,
            "seed": seeded,
            "endpoints": measured["endpoints"],
            "targets": {"p99_ms_max": P99_MS_MAX, "throughput_ratio_min": THROUGHPUT_RATIO_MIN},
            "verdict": verdict(measured["endpoints"]),
            "plans": measured["plans"],
            "hotspots_foryou_page1": measured["hotspots_foryou_page1"],
            "runtime_seconds": round(time.perf_counter() - started, 1),
        }
    )


if __name__ == "__main__":
    main()

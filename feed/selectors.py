"""Reads of the feed: who may see which post, the three feeds, tag and creator lists, comments and lineage.

Every list is a queryset ordered for keyset (cursor) pagination, with its related rows fetched
alongside, so a page costs the same few queries whatever its size.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from accounts.models import User
from feed.models import LISTED, LIVE, Comment, Follow, Like, Post, PostVisibility, RemixRequest
from generation.models import Clip
from generation.selectors import parse_uuid
from moderation.models import ModerationState

FEED_KINDS = ("foryou", "following", "new")
HOT_ORDER = ("-hot_score", "-id")
NEW_ORDER = ("-created_at", "-id")
LINEAGE_MAX_DEPTH = 8
LINEAGE_MAX_NODES = 200


# The columns pages and the API read; the related rows' large fields (card texts, face rigs,
# provenance, password hashes) stay in the database.
POST_COLUMNS = (
    *("id", "owner", "clip", "character", "remix_of", "caption", "visibility", "created_at", "deleted_at"),
    *("like_count", "comment_count", "remix_count", "view_count", "hot_score", "moderation_state", "moderation_reason"),
    *("owner__username", "owner__display_name", "owner__avatar_thumbnail", "character__slug", "character__name"),
    *("clip__video", "clip__poster", "clip__duration", "clip__width", "clip__height", "clip__job"),
    *("remix_of__owner", "remix_of__clip", "remix_of__deleted_at", "remix_of__moderation_state"),
)


def with_related(posts: QuerySet[Post], viewer: User | None = None) -> QuerySet[Post]:
    """A page's posts with what is shown next to them, and whether the viewer liked each, in two queries."""
    posts = posts.select_related("owner", "character", "clip", "remix_of").only(*POST_COLUMNS).prefetch_related("tags")
    if viewer is not None and viewer.is_authenticated:
        posts = posts.annotate(liked=Exists(Like.objects.filter(user=viewer, post=OuterRef("pk"))))
    return posts


def followed_ids(viewer: User) -> QuerySet:
    return Follow.objects.filter(follower=viewer).values("followee_id")


def viewable_posts(*, viewer: User) -> QuerySet[Post]:
    """Posts the viewer may open by link: live public and unlisted ones, followers-only ones of people they
    follow, and all of their own (staff see everything), tombstones included for their owner."""
    posts = Post.objects.all()
    if viewer.is_authenticated and viewer.is_staff:
        return posts
    shared = LIVE & Q(visibility__in=(PostVisibility.PUBLIC, PostVisibility.UNLISTED))
    if not viewer.is_authenticated:
        return posts.filter(shared)
    for_followers = LIVE & Q(visibility=PostVisibility.FOLLOWERS, owner__in=followed_ids(viewer))
    return posts.filter(shared | for_followers | Q(owner=viewer, deleted_at=None))


def clip_file_readable(*, name: str, viewer: User) -> bool:
    """A clip's video or poster (clips/<job id>/…): for its owner and staff, and for whoever may open the post
    that publishes it, so a never-posted, deleted, held or taken-down clip is nobody else's to fetch."""
    parts = name.split("/")
    pk = parse_uuid(parts[1]) if len(parts) == 3 else None
    clip = Clip.objects.filter(job_id=pk).only("id", "owner", "video", "poster").first() if pk else None
    if clip is None or name not in (clip.video.name, clip.poster.name):
        return False
    if viewer.is_authenticated and (viewer.is_staff or viewer.pk == clip.owner_id):
        return True
    return viewable_posts(viewer=viewer).filter(clip=clip).exists()


def post_for_viewer(*, post_id: Any, viewer: User) -> Post | None:
    try:
        pk = int(post_id)
    except (TypeError, ValueError):
        return None
    return with_related(viewable_posts(viewer=viewer), viewer).filter(pk=pk).first()


FOLLOWED = LIVE & Q(visibility__in=(PostVisibility.PUBLIC, PostVisibility.FOLLOWERS))


def older_than(created_at: datetime, pk: int) -> Q:
    """Posts after this one in newest-first order: the keyset condition of every time-ordered page."""
    return Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=pk)


def feed(*, kind: str, viewer: User) -> QuerySet[Post]:
    """For you by hot score and New by time, over every listed post; both are scans of a partial index."""
    posts = with_related(Post.objects.filter(LISTED), viewer)
    return posts.order_by(*(HOT_ORDER if kind == "foryou" else NEW_ORDER))


def followed_posts(viewer: User) -> QuerySet[Post]:
    """Every live post of the creators the viewer follows that followers may see."""
    return Post.objects.filter(FOLLOWED, owner__in=followed_ids(viewer))


def following_page(*, viewer: User, before: tuple[datetime, int] | None, size: int) -> list[Post]:
    """The newest posts of the creators the viewer follows, older than `before` (a post's time and id).

    Ordering every followed creator's posts by time reads all of them first (tens of thousands for
    someone following busy creators). On PostgreSQL each creator contributes only its newest `size`
    posts, read from the (owner, created_at, id) index, so a page costs followees × size index
    entries at most. SQLite has no LATERAL join and holds one machine's worth of posts: it sorts.
    """
    if connection.vendor == "postgresql":
        ids = newest_followed_ids(viewer=viewer, before=before, size=size)
        posts = {post.pk: post for post in with_related(Post.objects.filter(pk__in=ids), viewer)}
        return [posts[pk] for pk in ids if pk in posts]
    posts = followed_posts(viewer)
    if before is not None:
        posts = posts.filter(older_than(*before))
    return list(with_related(posts, viewer).order_by(*NEW_ORDER)[:size])


def newest_followed_ids(*, viewer: User, before: tuple[datetime, int] | None, size: int) -> list[int]:
    after_cursor = "AND (p.created_at, p.id) < (%s, %s)" if before is not None else ""
    statement = f"""
        SELECT newest.id FROM {Follow._meta.db_table} follow
        CROSS JOIN LATERAL (
            SELECT p.id, p.created_at FROM {Post._meta.db_table} p
            WHERE p.owner_id = follow.followee_id AND p.deleted_at IS NULL AND p.moderation_state = %s
              AND p.visibility IN (%s, %s) {after_cursor}
            ORDER BY p.created_at DESC, p.id DESC LIMIT %s
        ) newest
        WHERE follow.follower_id = %s
        ORDER BY newest.created_at DESC, newest.id DESC LIMIT %s"""
    parameters = [ModerationState.VISIBLE, PostVisibility.PUBLIC, PostVisibility.FOLLOWERS, *(before or ()), size]
    with connection.cursor() as cursor:
        cursor.execute(statement, [*parameters, viewer.pk, size])
        return [row[0] for row in cursor.fetchall()]


def tagged_posts(*, tag: str, viewer: User | None = None) -> QuerySet[Post]:
    return with_related(Post.objects.filter(LISTED, tags__name=tag.strip().lower()), viewer).order_by(*NEW_ORDER)


def creator_posts(*, creator: User, viewer: User) -> QuerySet[Post]:
    """A profile's posts: public ones, followers-only ones for followers, everything live for the creator."""
    posts = Post.objects.filter(owner=creator, deleted_at=None)
    if viewer.is_authenticated and viewer.pk == creator.pk:
        return with_related(posts, viewer).order_by(*NEW_ORDER)
    visibilities = [PostVisibility.PUBLIC]
    if is_following(viewer=viewer, creator=creator):
        visibilities.append(PostVisibility.FOLLOWERS)
    posts = posts.filter(moderation_state=ModerationState.VISIBLE, visibility__in=visibilities)
    return with_related(posts, viewer).order_by(*NEW_ORDER)


def remixes_of(*, post: Post, viewer: User) -> QuerySet[Post]:
    return with_related(viewable_posts(viewer=viewer).filter(remix_of=post, deleted_at=None), viewer).order_by(*NEW_ORDER)


def is_following(*, viewer: User, creator: User) -> bool:
    return viewer.is_authenticated and Follow.objects.filter(follower=viewer, followee=creator).exists()


def follow_counts(creator: User) -> dict[str, int]:
    return {
        "followers": Follow.objects.filter(followee=creator).count(),
        "following": Follow.objects.filter(follower=creator).count(),
    }


def visible_comments(*, viewer: User) -> Q:
    if viewer.is_authenticated and viewer.is_staff:
        return Q()
    shown = Q(moderation_state=ModerationState.VISIBLE)
    return shown | Q(author=viewer) if viewer.is_authenticated else shown


def comments_on(*, post: Post, viewer: User) -> QuerySet[Comment]:
    """Top-level comments, oldest first, each with its replies; held comments are shown to their author only."""
    shown = visible_comments(viewer=viewer)
    replies = Comment.objects.filter(shown).select_related("author").order_by("id")
    return (
        Comment.objects.filter(shown, post=post, parent=None)
        .select_related("author")
        .prefetch_related(Prefetch("replies", queryset=replies))
        .order_by("id")
    )


def comment_for_viewer(*, comment_id: Any, viewer: User) -> Comment | None:
    try:
        pk = int(comment_id)
    except (TypeError, ValueError):
        return None
    comment = Comment.objects.select_related("post", "author").filter(visible_comments(viewer=viewer), pk=pk).first()
    if comment is None or not viewable_posts(viewer=viewer).filter(pk=comment.post_id).exists():
        return None
    return comment


def remix_source_of(clip: Clip) -> Post | None:
    """The post a clip was made to remix, if its job started from "Remix"."""
    request = RemixRequest.objects.select_related("source").filter(job_id=clip.job_id).first()
    return request.source if request else None


def remix_recipe(post: Post) -> dict[str, str]:
    """What "Remix" starts from besides the post's character: its script and voice."""
    job = post.clip.job if post.clip else None
    return {"script": job.script if job else "", "voice": job.voice if job else ""}


# --- lineage --------------------------------------------------------------------------------------------


@dataclass
class LineageNode:
    """A post in a lineage tree; a tombstone when it is gone or not visible to the viewer."""

    post: Post
    visible: bool
    children: list["LineageNode"] = field(default_factory=list)

    @property
    def tombstone(self) -> str:
        if not self.visible:
            return self.post.tombstone_reason or "Not available to you."
        return ""


def lineage(*, post: Post, viewer: User) -> tuple[list[LineageNode], LineageNode]:
    """The ancestors (oldest first) and the tree of descendants of a post, level by level.

    Gone posts stay in the tree as tombstones, so a take-down hides a post's content, never its place.
    """
    ancestors: list[Post] = []
    current = post
    while current.remix_of_id is not None and len(ancestors) < LINEAGE_MAX_DEPTH:
        current = with_related(Post.objects.filter(pk=current.remix_of_id)).get()
        ancestors.append(current)
    levels = [[post]]
    count = 1
    while levels[-1] and len(levels) <= LINEAGE_MAX_DEPTH and count < LINEAGE_MAX_NODES:
        children = list(with_related(Post.objects.filter(remix_of__in=levels[-1])).order_by("id")[: LINEAGE_MAX_NODES - count])
        count += len(children)
        levels.append(children)
    every = [*ancestors, *(node for level in levels for node in level)]
    viewable = set(viewable_posts(viewer=viewer).filter(LIVE, pk__in=[item.pk for item in every]).values_list("pk", flat=True))
    nodes = {item.pk: LineageNode(item, item.pk in viewable and item.clip_id is not None) for item in every}
    for level in levels[1:]:
        for child in level:
            nodes[child.remix_of_id].children.append(nodes[child.pk])
    return [nodes[item.pk] for item in reversed(ancestors)], nodes[post.pk]

"""Every write of the feed: posts, likes, comments, follows, remixes, reports and view counts.

Counters live on the post row and change with F() updates, so concurrent likes never lose one;
each change recomputes the stored hot score (feed/ranking.py) in the same transaction.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from characters.models import Visibility as CharacterVisibility
from characters.services import normalize_tags, set_tags
from common.errors import ApplicationError
from feed import ranking, selectors, viewcounts
from feed.models import CAPTION_MAX, COMMENT_MAX, Comment, Follow, Like, Post, RemixRequest
from generation import services as generation
from generation.models import Clip, GenerationJob
from moderation import services as moderation
from moderation.models import ModerationState
from storable import text_problem


class PostUnavailable(ApplicationError):
    """The post was deleted or taken down, so it can no longer be liked, commented on or remixed (410 in the API)."""

    code = "post_unavailable"
    status = 410


# --- counters and the hot score --------------------------------------------------------------------


def refresh_hot_score(post_id: int) -> None:
    counts = Post.objects.filter(pk=post_id).values("like_count", "comment_count", "remix_count", "view_count", "created_at")
    row = counts.first()
    if row is None:
        return
    score = ranking.hot_score(
        likes=row["like_count"],
        comments=row["comment_count"],
        remixes=row["remix_count"],
        views=row["view_count"],
        created_at=row["created_at"],
    )
    Post.objects.filter(pk=post_id).update(hot_score=score)


def add_to_counts(post_id: int, **deltas: int) -> None:
    """Change counters atomically (e.g. like_count=1) and re-rank the post."""
    with transaction.atomic():
        Post.objects.filter(pk=post_id).update(**{name: F(name) + delta for name, delta in deltas.items()})
        refresh_hot_score(post_id)


def check_live(post: Post) -> None:
    if not post.is_live:
        raise PostUnavailable(f"This post is gone: {post.tombstone_reason.lower()}")


# --- posts --------------------------------------------------------------------------------------------


def checked_text(value: str, *, field: str, noun: str, limit: int) -> str:
    """Trimmed text within its limit that can be stored; errors name the field."""
    value = value.strip()
    if len(value) > limit:
        raise ValidationError({field: f"The {noun} has {len(value):,} characters; the limit is {limit:,}."})
    problem = text_problem(value)
    if problem:
        raise ValidationError({field: f"The {noun} {problem}."})
    return value


def check_caption(caption: str) -> str:
    return checked_text(caption, field="caption", noun="caption", limit=CAPTION_MAX)


def check_can_post(*, user: User, clip: Clip) -> None:
    if clip.owner_id != user.pk:
        raise PermissionDenied("You can only post your own clips.")
    if Post.objects.filter(clip=clip).exists():
        raise ValidationError({"clip": "This clip is already posted."})
    character = clip.character
    if character.is_held:
        raise ValidationError(
            {"clip": f"{character.name} is {character.get_moderation_state_display().lower()}; its clips can't be posted."}
        )
    if character.visibility == CharacterVisibility.PRIVATE:
        raise ValidationError({"clip": f"{character.name} is private. Make the character public or unlisted to post its clips."})


def remix_source(clip: Clip) -> Post | None:
    """The post this clip remixes, when its job was started from "Remix"; it must still be live."""
    source = selectors.remix_source_of(clip)
    if source is not None:
        check_live(source)
    return source


@transaction.atomic
def create_post(*, user: User, clip: Clip, caption: str = "", tags: list[str] | None = None, visibility: str) -> Post:
    """Publish a clip; the caption and tags are screened like every other text, and remixes join their lineage."""
    check_can_post(user=user, clip=clip)
    caption = check_caption(caption)
    tags = normalize_tags(tags or [])
    screening = moderation.screen(text_fields={"caption": caption, "tags": ", ".join(tags)})
    source = remix_source(clip)
    now = timezone.now()
    post = Post(
        owner=user,
        clip=clip,
        character=clip.character,
        caption=caption,
        visibility=visibility,
        remix_of=source,
        created_at=now,
        hot_score=ranking.hot_score(likes=0, comments=0, remixes=0, views=0, created_at=now),
    )
    moderation.apply_screening(post, screening)
    post.full_clean(exclude=["owner", "clip", "character", "remix_of", "tags"])
    post.save()
    set_tags(post, tags)
    moderation.record_screening(item=post, screening=screening)
    if source is not None:
        add_to_counts(source.pk, remix_count=1)
    return post


def check_owner(post: Post, actor: User) -> None:
    if post.owner_id != actor.pk:
        raise PermissionDenied("Only the creator can change this post.")


@transaction.atomic
def update_post(
    *, post: Post, actor: User, caption: str | None = None, tags: list[str] | None = None, visibility: str | None = None
) -> Post:
    check_owner(post, actor)
    if post.deleted_at is not None:
        raise PostUnavailable("This post was deleted.")
    if caption is not None:
        post.caption = check_caption(caption)
    new_tags = normalize_tags(tags) if tags is not None else None
    screening = moderation.screen(
        text_fields={
            "caption": post.caption,
            "tags": ", ".join(new_tags if new_tags is not None else [tag.name for tag in post.tags.all()]),
        }
    )
    if visibility is not None:
        post.visibility = visibility
    moderation.apply_screening(post, screening)
    post.full_clean(exclude=["owner", "clip", "character", "remix_of", "tags"])
    post.save()
    if new_tags is not None:
        set_tags(post, new_tags)
    moderation.record_screening(item=post, screening=screening)
    return post


@transaction.atomic
def delete_post(*, post: Post, actor: User) -> None:
    """The creator removes a post; a tombstone stays so that remixes keep their place in the lineage."""
    check_owner(post, actor)
    if post.deleted_at is not None:
        return
    post.deleted_at = timezone.now()
    post.caption = ""
    post.clip = None
    post.save(update_fields=["deleted_at", "caption", "clip"])
    post.tags.clear()


# --- likes, views, follows ----------------------------------------------------------------------------


def like(*, user: User, post: Post) -> bool:
    """Idempotent; True when this call added the like."""
    check_live(post)
    with transaction.atomic():
        _, created = Like.objects.get_or_create(user=user, post=post)
        if created:
            add_to_counts(post.pk, like_count=1)
    return created


def unlike(*, user: User, post: Post) -> bool:
    """Idempotent; True when this call removed a like."""
    with transaction.atomic():
        deleted, _ = Like.objects.filter(user=user, post=post).delete()
        if deleted:
            add_to_counts(post.pk, like_count=-1)
    return bool(deleted)


def record_view(*, post: Post, viewer: str | None) -> bool:
    """Count a view in Redis (once per viewer per post per 24 h); the database hears of it at the next flush.

    A view nobody can be told apart by (viewer None) is not counted."""
    if viewer is None or not post.is_live:
        return False
    return viewcounts.record(post_id=post.pk, viewer=viewer)


def flush_views() -> int:
    """Move buffered views into the posts' counters and scores; returns how many views were written."""
    pending = viewcounts.take_pending()
    for post_id, count in sorted(pending.items()):
        add_to_counts(post_id, view_count=count)
    viewcounts.forget_taken()
    return sum(pending.values())


def follow(*, follower: User, followee: User) -> bool:
    if follower.pk == followee.pk:
        raise ValidationError("You can't follow yourself.")
    _, created = Follow.objects.get_or_create(follower=follower, followee=followee)
    return created


def unfollow(*, follower: User, followee: User) -> bool:
    deleted, _ = Follow.objects.filter(follower=follower, followee=followee).delete()
    return bool(deleted)


# --- comments -----------------------------------------------------------------------------------------


def check_comment_text(text: str) -> str:
    if not text.strip():
        raise ValidationError({"text": "Write something first."})
    return checked_text(text, field="text", noun="comment", limit=COMMENT_MAX)


def reply_parent(post: Post, parent_id: int | None) -> Comment | None:
    """Replies are one level deep: a reply to a reply joins the thread of the comment it answers."""
    if parent_id is None:
        return None
    parent = Comment.objects.filter(pk=parent_id, post=post).first()
    if parent is None:
        raise ValidationError({"parent": "That comment is not on this post."})
    return parent.parent or parent


def recount_comments(post_id: int) -> None:
    """Comments counted are those everyone sees; held ones join the count when a moderator approves them.

    The post's row is locked first, so concurrent recounts take turns and each counts the comments
    committed before it (two that counted side by side would each miss the other's comment).
    """
    with transaction.atomic():
        Post.objects.select_for_update().filter(pk=post_id).values_list("pk").first()
        visible = Comment.objects.filter(post_id=post_id, moderation_state=ModerationState.VISIBLE).count()
        Post.objects.filter(pk=post_id).update(comment_count=visible)
        refresh_hot_score(post_id)


@transaction.atomic
def add_comment(*, author: User, post: Post, text: str, parent_id: int | None = None) -> Comment:
    """Text is screened on write: blocked text is refused, doubtful text waits for a moderator (seen by its author only)."""
    check_live(post)
    text = check_comment_text(text)
    parent = reply_parent(post, parent_id)
    screening = moderation.screen(text_fields={"comment": text})
    comment = Comment(post=post, author=author, parent=parent, text=text)
    moderation.apply_screening(comment, screening)
    comment.save()
    moderation.record_screening(item=comment, screening=screening)
    recount_comments(post.pk)
    return comment


@transaction.atomic
def delete_comment(*, comment: Comment, actor: User) -> None:
    """The comment's author, the post's owner and staff may delete; its replies go with it."""
    if actor.pk not in (comment.author_id, comment.post.owner_id) and not actor.is_staff:
        raise PermissionDenied("Only the comment's author or the post's creator can delete it.")
    post_id = comment.post_id
    comment.delete()
    recount_comments(post_id)


# --- remixes ------------------------------------------------------------------------------------------


@transaction.atomic
def request_remix(
    *, user: User, source: Post, script: str | None = None, voice: str = "", audio_file: File | None = None
) -> GenerationJob:
    """Start a clip from a post's recipe (character, script, voice); what the remixer changes replaces it.

    Posting the resulting clip records the source as its remix_of.
    """
    check_live(source)
    recipe = selectors.remix_recipe(source)
    if audio_file is None and not (script and script.strip()):
        script = recipe["script"]
    job = generation.request_clip(
        user=user,
        character=source.character,
        text=script if audio_file is None else None,
        audio_file=audio_file,
        voice=voice or recipe["voice"],
    )
    RemixRequest.objects.create(job=job, source=source)
    return job

"""The feed: posts of clips, with likes, comments, follows and the remixes that link posts into lineages.

Posts are never deleted while their creator's account exists: deleting one, or a moderator's
take-down, leaves a tombstone row, so the lineage of remixes around it stays whole.
"""

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from common.validators import validate_storable_text
from moderation.models import Moderated, ModerationState

CAPTION_MAX = 500
COMMENT_MAX = 1000


class PostVisibility(models.TextChoices):
    PUBLIC = "public", "Public: in the feeds and on tag pages"
    UNLISTED = "unlisted", "Unlisted: anyone with the link"
    FOLLOWERS = "followers", "Followers: people who follow you"


LIVE = Q(deleted_at=None, moderation_state=ModerationState.VISIBLE)
LISTED = LIVE & Q(visibility=PostVisibility.PUBLIC)


class Post(Moderated):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posts")
    clip = models.OneToOneField(
        "generation.Clip", null=True, on_delete=models.SET_NULL, related_name="post", help_text="Empty once the clip is gone."
    )
    character = models.ForeignKey("characters.Character", null=True, on_delete=models.SET_NULL, related_name="posts")
    caption = models.TextField(
        max_length=CAPTION_MAX, blank=True, validators=[MaxLengthValidator(CAPTION_MAX), validate_storable_text]
    )
    tags = models.ManyToManyField("characters.Tag", blank=True, related_name="posts")
    visibility = models.CharField(max_length=10, choices=PostVisibility.choices, default=PostVisibility.PUBLIC)
    remix_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="remixes")
    like_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    remix_count = models.PositiveIntegerField(default=0)
    view_count = models.PositiveBigIntegerField(default=0)
    hot_score = models.FloatField(default=0.0, help_text="See feed/ranking.py; recomputed on every engagement.")
    created_at = models.DateTimeField()
    deleted_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when the owner deleted it; the row stays as a tombstone."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-hot_score", "-id"], condition=LISTED, name="feed_post_hot"),
            models.Index(fields=["-created_at", "-id"], condition=LISTED, name="feed_post_new"),
            models.Index(fields=["owner", "-created_at", "-id"], name="feed_post_owner"),
            models.Index(fields=["remix_of", "-created_at", "-id"], name="feed_post_remix"),
        ]

    def __str__(self) -> str:
        return f"Post {self.pk} by {self.owner}"

    def get_absolute_url(self) -> str:
        return reverse("post_detail", kwargs={"post_id": self.pk})

    @property
    def is_live(self) -> bool:
        return not self.tombstone_reason

    @property
    def tombstone_reason(self) -> str:
        """Why a post is gone, as a viewer may read it; empty for live posts."""
        if self.deleted_at is not None or self.clip_id is None:
            return "Deleted by its creator."
        if self.moderation_state == ModerationState.TAKEN_DOWN:
            return "Taken down by the moderators."
        if self.moderation_state != ModerationState.VISIBLE:
            return "Not available."
        return ""

    def moderation_owner_id(self) -> int:
        return self.owner_id

    def moderation_preview(self) -> dict[str, str]:
        return {
            "Creator": self.owner.username,
            "Character": self.character.name if self.character else "",
            "Caption": self.caption,
            "Visibility": self.get_visibility_display(),
        }

    def moderation_image_url(self) -> str:
        return self.clip.poster.url if self.clip else ""


class Like(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="likes")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "post"], name="one_like_per_user_post")]

    def __str__(self) -> str:
        return f"{self.user} likes {self.post_id}"


class Comment(Moderated):
    """A comment on a post, or a reply to one: replies have a parent and no replies of their own."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    text = models.TextField(max_length=COMMENT_MAX, validators=[MaxLengthValidator(COMMENT_MAX), validate_storable_text])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["post", "parent", "id"], name="feed_comment_thread")]

    def __str__(self) -> str:
        return f"Comment {self.pk} by {self.author}"

    def moderation_owner_id(self) -> int:
        return self.author_id

    def moderation_preview(self) -> dict[str, str]:
        return {"Author": self.author.username, "On post": str(self.post_id), "Text": self.text}


class Follow(models.Model):
    follower = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="following")
    followee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followers")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "followee"], name="one_follow_per_pair"),
            models.CheckConstraint(condition=~Q(follower=models.F("followee")), name="no_self_follow"),
        ]

    def __str__(self) -> str:
        return f"{self.follower} follows {self.followee}"


class RemixRequest(models.Model):
    """A clip job started from "Remix" on a post: posting its clip records the post as remix_of."""

    job = models.OneToOneField("generation.GenerationJob", on_delete=models.CASCADE, related_name="remix_request")
    source = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="remix_requests")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Remix of post {self.source_id} by job {self.job_id}"

"""API shapes of the feed."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import UserSummarySerializer
from characters.cards import MAX_TAG_LENGTH, MAX_TAGS
from feed.models import CAPTION_MAX, COMMENT_MAX, Comment, Post, PostVisibility
from moderation.models import ModerationState

TIMESTAMP = serializers.DateTimeField()


class CharacterLinkSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    page = serializers.CharField(source="get_absolute_url")


class ClipMediaSerializer(serializers.Serializer):
    video = serializers.FileField()
    poster = serializers.FileField()
    duration = serializers.FloatField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()


class RemixOfSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    page = serializers.CharField(source="get_absolute_url")
    tombstone = serializers.CharField(source="tombstone_reason", help_text="Why the original is gone; empty while it is live.")


class PostSerializer(serializers.ModelSerializer):
    owner = UserSummarySerializer(read_only=True)
    character = CharacterLinkSerializer(read_only=True, allow_null=True)
    clip = ClipMediaSerializer(read_only=True, allow_null=True)
    remix_of = RemixOfSerializer(read_only=True, allow_null=True)
    tags = serializers.SerializerMethodField()
    page = serializers.CharField(source="get_absolute_url", read_only=True)
    ai_generated = serializers.SerializerMethodField(help_text="Every clip on the platform is AI-generated.")
    liked = serializers.SerializerMethodField(help_text="Whether you liked it.")
    moderation = serializers.SerializerMethodField(help_text="State and reason; for the creator and staff only.")

    class Meta:
        model = Post
        fields = [
            "id",
            "page",
            "owner",
            "character",
            "clip",
            "caption",
            "tags",
            "visibility",
            "ai_generated",
            "remix_of",
            "like_count",
            "comment_count",
            "remix_count",
            "view_count",
            "hot_score",
            "liked",
            "moderation",
            "created_at",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tags(self, post: Post) -> list[str]:
        return [tag.name for tag in post.tags.all()]

    def get_ai_generated(self, post: Post) -> bool:
        return True

    def get_liked(self, post: Post) -> bool:
        return getattr(post, "liked", False)  # annotated by the selectors for signed-in viewers

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_moderation(self, post: Post) -> dict | None:
        user = self.context["request"].user
        if user.pk != post.owner_id and not user.is_staff:
            return None
        return {"state": post.moderation_state, "reason": post.moderation_reason, "tombstone": post.tombstone_reason}

    def to_representation(self, post: Post) -> dict:
        """The fields declared above, built directly: a feed page serializes 20 posts a request, and DRF's
        generic walk over nested fields costs several times as much (bench/feed.py). The declarations stay
        the documented shape; a test checks that this gives exactly what the generic walk gives."""
        media = self.context["request"].build_absolute_uri  # what DRF's FileField does with a request
        owner, character, clip, source = post.owner, post.character, post.clip, post.remix_of
        return {
            "id": post.pk,
            "page": post.get_absolute_url(),
            "owner": {
                "username": owner.username,
                "display_name": owner.display_name,
                "avatar_thumbnail": media(owner.avatar_thumbnail.url) if owner.avatar_thumbnail else None,
            },
            "character": character and {"slug": character.slug, "name": character.name, "page": character.get_absolute_url()},
            "clip": clip
            and {
                "video": media(clip.video.url) if clip.video else None,
                "poster": media(clip.poster.url) if clip.poster else None,
                "duration": clip.duration,
                "width": clip.width,
                "height": clip.height,
            },
            "caption": post.caption,
            "tags": self.get_tags(post),
            "visibility": post.visibility,
            "ai_generated": True,
            "remix_of": source and {"id": source.pk, "page": source.get_absolute_url(), "tombstone": source.tombstone_reason},
            "like_count": post.like_count,
            "comment_count": post.comment_count,
            "remix_count": post.remix_count,
            "view_count": post.view_count,
            "hot_score": post.hot_score,
            "liked": self.get_liked(post),
            "moderation": self.get_moderation(post),
            "created_at": TIMESTAMP.to_representation(post.created_at),
        }


class TagListField(serializers.ListField):
    child = serializers.CharField(max_length=MAX_TAG_LENGTH * MAX_TAGS, allow_blank=True)

    def __init__(self, **kwargs) -> None:
        super().__init__(max_length=MAX_TAGS, **kwargs)


class PostCreateSerializer(serializers.Serializer):
    clip = serializers.UUIDField(help_text="One of your finished clips.")
    caption = serializers.CharField(max_length=CAPTION_MAX, required=False, allow_blank=True, default="")
    tags = TagListField(required=False, default=list)
    visibility = serializers.ChoiceField(choices=PostVisibility.choices, default=PostVisibility.PUBLIC)


class PostUpdateSerializer(serializers.Serializer):
    caption = serializers.CharField(max_length=CAPTION_MAX, required=False, allow_blank=True)
    tags = TagListField(required=False)
    visibility = serializers.ChoiceField(choices=PostVisibility.choices, required=False)


class LikeStateSerializer(serializers.Serializer):
    liked = serializers.BooleanField()
    like_count = serializers.IntegerField()


class ViewStateSerializer(serializers.Serializer):
    counted = serializers.BooleanField(help_text="False when this viewer was already counted on this post in the last 24 h.")


class FollowStateSerializer(serializers.Serializer):
    following = serializers.BooleanField()
    followers = serializers.IntegerField()


class ReplySerializer(serializers.ModelSerializer):
    author = UserSummarySerializer(read_only=True)
    held = serializers.SerializerMethodField(help_text="Waiting for a moderator; only you see it.")

    class Meta:
        model = Comment
        fields = ["id", "author", "text", "parent", "held", "created_at"]

    def get_held(self, comment: Comment) -> bool:
        return comment.moderation_state != ModerationState.VISIBLE


class CommentSerializer(ReplySerializer):
    replies = ReplySerializer(many=True, read_only=True)

    class Meta(ReplySerializer.Meta):
        fields = [*ReplySerializer.Meta.fields, "replies"]


class CommentCreateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=COMMENT_MAX, trim_whitespace=False)
    parent = serializers.IntegerField(required=False, allow_null=True, help_text="Reply to this comment.")


class RemixCreateSerializer(serializers.Serializer):
    script = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, help_text="Defaults to the original's."
    )
    voice = serializers.CharField(required=False, allow_blank=True, default="", help_text="Defaults to the original's.")
    audio = serializers.FileField(required=False, help_text="Your own recording instead of a script.")


class LineageNodeSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="post.pk")
    page = serializers.CharField(source="post.get_absolute_url")
    tombstone = serializers.CharField(help_text="Why the post is not shown; empty for visible posts.")
    post = serializers.SerializerMethodField()
    children = serializers.SerializerMethodField()

    @extend_schema_field(PostSerializer(allow_null=True))
    def get_post(self, node) -> dict | None:
        return PostSerializer(node.post, context=self.context).data if node.visible else None

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_children(self, node) -> list[dict]:
        return LineageNodeSerializer(node.children, many=True, context=self.context).data


class LineageSerializer(serializers.Serializer):
    ancestors = LineageNodeSerializer(many=True, help_text="Oldest first; each has no children here.")
    root = LineageNodeSerializer(help_text="This post, with its remixes as a tree.")

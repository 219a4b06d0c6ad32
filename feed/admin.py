"""Staff see posts and comments here; take-downs go through the review queue so they are audited."""

from django.contrib import admin

from feed.models import Comment, Follow, Post


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "owner",
        "character",
        "visibility",
        "moderation_state",
        "like_count",
        "view_count",
        "created_at",
        "deleted_at",
    )
    list_filter = ("visibility", "moderation_state", "created_at")
    search_fields = ("caption", "owner__username", "character__name")
    raw_id_fields = ("owner", "clip", "character", "remix_of")
    readonly_fields = (
        "moderation_state",
        "moderation_reason",
        "like_count",
        "comment_count",
        "remix_count",
        "view_count",
        "hot_score",
        "created_at",
        "deleted_at",
    )
    date_hierarchy = "created_at"


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("id", "author", "post", "parent", "moderation_state", "created_at")
    list_filter = ("moderation_state", "created_at")
    search_fields = ("text", "author__username")
    raw_id_fields = ("post", "author", "parent")
    readonly_fields = ("moderation_state", "moderation_reason", "created_at")


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ("follower", "followee", "created_at")
    search_fields = ("follower__username", "followee__username")
    raw_id_fields = ("follower", "followee")

"""Staff look at clip jobs and clips here; the pipeline writes them, so the pages are read-only."""

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from generation.models import Clip, GenerationJob


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(GenerationJob)
class GenerationJobAdmin(ReadOnlyAdmin):
    list_display = ("id", "character", "owner", "status", "progress", "stage", "attempts", "created_at", "finished_at")
    list_filter = ("status", "created_at")
    search_fields = ("id", "owner__username", "character__name", "character__slug", "script")
    list_select_related = ("character", "owner")
    date_hierarchy = "created_at"


@admin.register(Clip)
class ClipAdmin(ReadOnlyAdmin):
    list_display = ("thumbnail", "id", "character", "owner", "duration", "watermark_payload", "c2pa_state", "created_at")
    list_display_links = ("thumbnail", "id")
    search_fields = ("id", "watermark_payload", "owner__username", "character__name", "character__slug")
    list_select_related = ("character", "owner")
    date_hierarchy = "created_at"
    fields = ("player", "job", "character", "owner", "duration", "width", "height", "fps", "watermark_payload", "provenance")
    readonly_fields = fields

    @admin.display(description="")
    def thumbnail(self, clip: Clip) -> str:
        return format_html('<img src="{}" width="40" height="40" class="admin-thumbnail">', clip.poster.url)

    @admin.display(description="C2PA")
    def c2pa_state(self, clip: Clip) -> str:
        return clip.provenance.get("c2pa_state", "")

    @admin.display(description="Clip")
    def player(self, clip: Clip) -> str:
        return format_html(
            '<video controls src="{}" poster="{}" class="admin-video"></video>',
            clip.video.url,
            clip.poster.url,
        )

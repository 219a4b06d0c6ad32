"""Staff manage characters and tags here."""

from django.contrib import admin
from django.utils.html import format_html

from characters.models import Character, Tag


@admin.register(Character)
class CharacterAdmin(admin.ModelAdmin):
    list_display = ("thumbnail", "name", "slug", "owner", "visibility", "created_at")
    list_display_links = ("thumbnail", "name")
    list_filter = ("visibility", "created_at")
    search_fields = ("name", "slug", "tagline", "owner__username")
    autocomplete_fields = ("owner",)
    filter_horizontal = ("tags",)
    readonly_fields = ("created_at", "updated_at", "preview", "face_rig")  # the rig changes with the portrait or in the editor
    date_hierarchy = "created_at"

    @admin.display(description="")
    def thumbnail(self, character: Character) -> str:
        if not character.portrait_thumbnail:
            return ""
        return format_html('<img src="{}" width="40" height="40" class="admin-thumbnail">', character.portrait_thumbnail.url)

    @admin.display(description="Portrait")
    def preview(self, character: Character) -> str:
        if not character.portrait:
            return "No portrait"
        return format_html('<img src="{}" alt="" class="admin-preview">', character.portrait.url)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ("name",)

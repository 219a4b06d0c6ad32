"""Characters: what creators define, share and import/export as character cards."""

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.urls import reverse

from characters.cards import FIELD_LIMITS, MAX_TAG_LENGTH
from common.validators import validate_storable_json, validate_storable_text
from moderation.models import Moderated, ModerationState


def text_field(limit_key: str) -> models.TextField:
    """A long text with its card limit enforced on full_clean (TextField alone only hints it)."""
    limit = FIELD_LIMITS[limit_key]
    return models.TextField(blank=True, max_length=limit, validators=[MaxLengthValidator(limit), validate_storable_text])


def short_text(limit_key: str, **options) -> models.CharField:
    return models.CharField(max_length=FIELD_LIMITS[limit_key], validators=[validate_storable_text], **options)


def json_field(help_text: str) -> models.JSONField:
    return models.JSONField(default=dict, blank=True, validators=[validate_storable_json], help_text=help_text)


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public: listed and searchable"
    UNLISTED = "unlisted", "Unlisted: anyone with the link"
    PRIVATE = "private", "Private: only you"


def tag_name_problem(name: str) -> str | None:
    """Why this name cannot be a tag, whose page is /tags/<name>/, or None.

    A tag of punctuation alone says nothing; "." and ".." between slashes are path steps that
    browsers resolve away, so their tag page could never be reached.
    """
    if not any(character.isalnum() for character in name):
        return "needs at least one letter or digit"
    if any(segment in (".", "..") for segment in name.split("/")):
        return 'cannot have "." or ".." between slashes'
    return None


class Tag(models.Model):
    name = models.CharField(max_length=MAX_TAG_LENGTH, unique=True, validators=[validate_storable_text])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def has_page(self) -> bool:
        """False for a tag stored before tag_name_problem existed that it refuses: shown, never linked."""
        return tag_name_problem(self.name) is None


class Character(Moderated):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="characters")
    slug = models.SlugField(max_length=60, unique=True)
    name = short_text("name")
    tagline = short_text("tagline", blank=True)
    persona = text_field("persona")
    greeting = text_field("greeting")
    example_dialogue = text_field("example_dialogue")
    tags = models.ManyToManyField(Tag, blank=True, related_name="characters")
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    voice = short_text("voice", blank=True, help_text="A voice id from the voice catalogue.")
    extensions = json_field("Free card extensions; kept untouched on export.")
    platform_data = json_field("The platform's own card extension keys.")
    card_data = json_field("Other card fields, kept for faithful export.")
    portrait = models.ImageField(upload_to="portraits/", blank=True)
    portrait_thumbnail = models.ImageField(upload_to="portraits/thumbs/", blank=True)
    face_rig = models.JSONField(
        null=True, blank=True, help_text="The current portrait's face rig, as Rig.to_dict(); null without one."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["visibility", "-created_at"]), models.Index(fields=["owner", "-created_at"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("character_detail", kwargs={"slug": self.slug})

    @property
    def is_held(self) -> bool:
        return self.moderation_state != ModerationState.VISIBLE

    def moderation_owner_id(self) -> int:
        return self.owner_id

    def moderation_preview(self) -> dict[str, str]:
        return {
            "Name": self.name,
            "Owner": self.owner.username,
            "Visibility": self.get_visibility_display(),
            "Tagline": self.tagline,
            "Persona": self.persona,
            "Greeting": self.greeting,
            "Example dialogue": self.example_dialogue,
        }

    def moderation_image_url(self) -> str:
        return self.portrait.url if self.portrait else ""

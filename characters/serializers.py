"""API shapes of characters."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import UserSummarySerializer
from characters.cards import FIELD_LIMITS, MAX_TAG_LENGTH, MAX_TAGS
from characters.models import Character, Visibility
from characters.selectors import FaceRigDisplay
from engine.rig import HANDLE_SIZES
from moderation import selectors as moderation_selectors


class ModerationStatusSerializer(serializers.Serializer):
    state = serializers.CharField(source="moderation_state")
    reason = serializers.CharField(source="moderation_reason")
    can_appeal = serializers.SerializerMethodField()

    def get_can_appeal(self, character: Character) -> bool:
        return moderation_selectors.can_appeal(character)


class CharacterSerializer(serializers.ModelSerializer):
    owner = UserSummarySerializer(read_only=True)
    tags = serializers.SerializerMethodField()
    url = serializers.HyperlinkedIdentityField(view_name="api-character-detail", lookup_field="slug")
    page = serializers.SerializerMethodField()
    moderation = serializers.SerializerMethodField(help_text="The moderation status; shown to the owner and staff only.")

    class Meta:
        model = Character
        fields = [
            "slug",
            "url",
            "page",
            "name",
            "tagline",
            "persona",
            "greeting",
            "example_dialogue",
            "tags",
            "visibility",
            "voice",
            "extensions",
            "portrait",
            "portrait_thumbnail",
            "owner",
            "moderation",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tags(self, character: Character) -> list[str]:
        return [tag.name for tag in character.tags.all()]

    @extend_schema_field(ModerationStatusSerializer(allow_null=True))
    def get_moderation(self, character: Character) -> dict | None:
        viewer = self.context["request"].user
        if viewer.pk != character.owner_id and not viewer.is_staff:
            return None
        return ModerationStatusSerializer(character).data

    def get_page(self, character: Character) -> str:
        return self.context["request"].build_absolute_uri(character.get_absolute_url())


class TagListField(serializers.ListField):
    """Tags as a JSON list, repeated form fields, or one comma-separated string."""

    child = serializers.CharField(max_length=MAX_TAG_LENGTH * MAX_TAGS, allow_blank=True)

    def __init__(self, **kwargs):
        super().__init__(max_length=MAX_TAGS, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = [data]
        return super().to_internal_value(data)


class ExtensionsField(serializers.JSONField):
    """A JSON object; in multipart forms, a JSON string."""

    def to_internal_value(self, data):
        try:
            value = super().to_internal_value(data)
        except (RecursionError, ValueError):  # nested too deeply, or an integer past Python's digit limit
            raise serializers.ValidationError("Value must be valid JSON.") from None
        if not isinstance(value, dict):
            raise serializers.ValidationError("Extensions must be a JSON object.")
        return value


class CharacterWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=FIELD_LIMITS["name"])
    tagline = serializers.CharField(max_length=FIELD_LIMITS["tagline"], allow_blank=True, required=False)
    persona = serializers.CharField(max_length=FIELD_LIMITS["persona"], allow_blank=True, required=False, trim_whitespace=False)
    greeting = serializers.CharField(max_length=FIELD_LIMITS["greeting"], allow_blank=True, required=False, trim_whitespace=False)
    example_dialogue = serializers.CharField(
        max_length=FIELD_LIMITS["example_dialogue"], allow_blank=True, required=False, trim_whitespace=False
    )
    tags = TagListField(required=False)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    voice = serializers.CharField(max_length=FIELD_LIMITS["voice"], allow_blank=True, required=False)
    extensions = ExtensionsField(required=False)
    portrait = serializers.FileField(required=False, help_text="PNG, JPEG or WebP, at most 10 MB and 4096×4096.")
    remove_portrait = serializers.BooleanField(required=False, default=False)
    own_likeness_attested = serializers.BooleanField(
        required=False,
        default=False,
        help_text="The portrait is a photo of you and you agree to its use; it is reviewed before others see it.",
    )


class CardImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A character card: PNG (V2/V3), JSON (V1/V2/V3) or CHARX.")


class CardExportQuerySerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=["png", "json", "charx"], default="png")
    spec = serializers.ChoiceField(choices=["v2", "v3"], default="v3")


POINT_SCHEMA = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2, "description": "[x, y] in pixels"}
HANDLES_SCHEMA = {
    "type": "object",
    "properties": {
        name: {"type": "array", "items": POINT_SCHEMA, "minItems": size, "maxItems": size} for name, size in HANDLE_SIZES.items()
    },
    "required": list(HANDLE_SIZES),
}


@extend_schema_field(HANDLES_SCHEMA)
class HandlesField(serializers.JSONField):
    """The rig editor's points by group; their shape and layout are checked by the rig itself, which says what is wrong."""


class FaceRigWriteSerializer(serializers.Serializer):
    handles = HandlesField(help_text="The points of the face outline, eyes and mouth, in pixels of the stored portrait.")


class FaceRigSerializer(serializers.Serializer):
    source = serializers.CharField(
        help_text="What placed the points: mediapipe (the face-mesh detector), haar (a face box with a template), "
        "template (no face was found) or editor (the creator)."
    )
    width = serializers.IntegerField(help_text="Width of the portrait the points are measured on.")
    height = serializers.IntegerField()
    portrait = serializers.SerializerMethodField()
    handles = HandlesField()
    handle_help = serializers.DictField(child=serializers.CharField(), help_text="What each group of handles marks, in order.")
    rig = serializers.JSONField(help_text="The whole rig: version, source, width, height and 70 points by group.")

    @extend_schema_field(OpenApiTypes.URI)
    def get_portrait(self, display: FaceRigDisplay) -> str:
        return self.context["request"].build_absolute_uri(display.portrait)

"""API shapes of characters."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import UserSummarySerializer
from characters.cards import FIELD_LIMITS, MAX_TAG_LENGTH, MAX_TAGS
from characters.models import Character, Visibility


class CharacterSerializer(serializers.ModelSerializer):
    owner = UserSummarySerializer(read_only=True)
    tags = serializers.SerializerMethodField()
    url = serializers.HyperlinkedIdentityField(view_name="api-character-detail", lookup_field="slug")
    page = serializers.SerializerMethodField()

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
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tags(self, character: Character) -> list[str]:
        return [tag.name for tag in character.tags.all()]

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


class CardImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A character card: PNG (V2/V3), JSON (V1/V2/V3) or CHARX.")


class CardExportQuerySerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=["png", "json", "charx"], default="png")
    spec = serializers.ChoiceField(choices=["v2", "v3"], default="v3")

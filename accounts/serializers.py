"""API shapes of accounts."""

from rest_framework import serializers

from accounts.models import BIO_MAX, DISPLAY_NAME_MAX, User


class UserSummarySerializer(serializers.ModelSerializer):
    """How a user appears next to their content."""

    class Meta:
        model = User
        fields = ["username", "display_name", "avatar_thumbnail"]


class ProfileSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["username", "display_name", "bio", "avatar", "avatar_thumbnail", "date_joined"]


class OwnProfileSerializer(ProfileSerializer):
    class Meta(ProfileSerializer.Meta):
        fields = [*ProfileSerializer.Meta.fields, "email"]


class ProfileUpdateSerializer(serializers.Serializer):
    display_name = serializers.CharField(max_length=DISPLAY_NAME_MAX, allow_blank=True, required=False)
    bio = serializers.CharField(max_length=BIO_MAX, allow_blank=True, required=False)
    avatar = serializers.FileField(required=False, help_text="PNG, JPEG or WebP, at most 10 MB and 4096×4096.")
    remove_avatar = serializers.BooleanField(required=False, default=False)


class SignUpSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    password = serializers.CharField(write_only=True, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    user = OwnProfileSerializer()
